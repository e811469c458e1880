# Sourced by the benchmarks: sets SLIPWAY to a release binary unless the caller gave one.
# Built as the Dockerfile builds it (Swift runtime and Foundation linked statically: a CLI
# call starts without resolving the shared libraries' symbols), once, into .build-release,
# with the sandbox helper beside it.
if [ -z "${SLIPWAY:-}" ]; then
  (cd "$(dirname "${BASH_SOURCE[0]}")/.." &&
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product slipway >&2 &&
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product slipway-sandbox >&2)
  SLIPWAY=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.build-release/release/slipway
fi
