# Sourced by the benchmarks: sets SLIPWAY to a release binary unless the caller gave one.
# Built as the Dockerfile builds it (Swift runtime and Foundation linked statically: a CLI
# call starts without resolving the shared libraries' symbols), once, into .build-release,
# with the sandbox helper beside it.
if [ -z "${SLIPWAY:-}" ]; then
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  for product in slipway slipway-sandbox; do
    swift build --package-path "$repo" -c release --static-swift-stdlib --scratch-path "$repo/.build-release" --product $product >&2
  done
  SLIPWAY=$repo/.build-release/release/slipway
fi
