# Sourced by the benchmarks: sets SLIPWAY to a release binary unless the caller gave one.
# Built as the Dockerfile builds it (Swift runtime, Foundation and the C libraries but libc
# linked statically, see scripts/static-libs: a CLI call starts without loading shared
# libraries and resolving their symbols), once, into .build-release, with the sandbox helper
# beside it. Linked at a fixed address (-no-pie), as the Dockerfile does: the dynamic loader
# then has none of the PIE's 158,000 pointers to relocate at start. RELEASE_PRODUCTS adds
# products built the same way (the queue benchmark's).
if [ -z "${SLIPWAY:-}" ] || [ -n "${RELEASE_PRODUCTS:-}" ]; then
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  "$repo/scripts/static-libs" "$repo/.build-release/static"
  for product in slipway slipway-sandbox ${RELEASE_PRODUCTS:-}; do
    swift build --package-path "$repo" -c release --static-swift-stdlib -Xlinker -no-pie -Xlinker --no-export-dynamic \
      --pkg-config-path "$repo/.build-release/static/pkgconfig" --scratch-path "$repo/.build-release" --product $product >&2
  done
  SLIPWAY=${SLIPWAY:-$repo/.build-release/release/slipway}
fi
# Every benchmark says which CPU it ran on: the figures differ by CPU kind, SHA-256 most of all.
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
if grep -qw sha_ni /proc/cpuinfo; then cpu_sha=yes; else cpu_sha=no; fi
echo "cpu: $cpu_model ($(nproc) CPUs), SHA extensions: $cpu_sha; load average $(cut -d' ' -f1-3 /proc/loadavg)"
