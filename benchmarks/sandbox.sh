#!/usr/bin/env bash
# Sandbox launch cost: N launches+teardowns of /bin/true in a busybox rootfs from one Slipway
# process, against bwrap doing the same from the same spawn-and-wait harness; then the same
# launch on a rootfs with 200 MB more files, to show that starting (overlay) copies nothing.
#
#   benchmarks/sandbox.sh [N]          (default N=200; run as root; needs busybox-static, bwrap)
#   SLIPWAY=path/to/slipway benchmarks/sandbox.sh
#   slipway sandbox bench --rootfs DIR --trace   (median time to each setup and teardown step)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
source benchmarks/release.sh
slipway=$SLIPWAY
work=$(mktemp -d /tmp/slipway-sandbox-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

make_rootfs() {
  mkdir -p "$1/bin" "$1/etc" "$1/proc" "$1/dev" "$1/tmp"
  cp "$(command -v busybox)" "$1/bin/busybox"
  for applet in $("$1/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$1/bin/$applet"
  done
}
make_rootfs "$work/tiny"
make_rootfs "$work/big"
mkdir -p "$work/big/usr/share/bulk"
for i in $(seq 1 400); do head -c 524288 /dev/urandom > "$work/big/usr/share/bulk/f$i"; done
big_mb=$(du -sm "$work/big" | cut -f1)

median() { sed -n 's/.*median_ms \([0-9.]*\).*/\1/p'; }

"$slipway" sandbox bench --rootfs "$work/tiny" -n 20 >/dev/null   # warm caches
slip=$("$slipway" sandbox bench --rootfs "$work/tiny" -n "$n" | median)
bwrap=$("$slipway" sandbox bench --external -n "$n" -- \
  bwrap --unshare-all --ro-bind "$work/tiny" / --proc /proc --dev /dev --tmpfs /tmp /bin/true | median)
bare=$("$slipway" sandbox bench --external -n "$n" -- /bin/true | median)
big=$("$slipway" sandbox bench --rootfs "$work/big" -n "$n" | median)

echo "runs per case:                     $n"
echo "/bin/true unsandboxed:             ${bare} ms"
echo "slipway sandbox (tiny rootfs):     ${slip} ms"
echo "bwrap --unshare-all:               ${bwrap} ms"
echo "ratio slipway/bwrap:               $(awk "BEGIN { printf \"%.2f\", $slip / $bwrap }")"
echo "slipway sandbox (+${big_mb} MB rootfs): ${big} ms (ratio big/tiny $(awk "BEGIN { printf \"%.2f\", $big / $slip }"))"
