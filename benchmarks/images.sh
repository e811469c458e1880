#!/usr/bin/env bash
# Image import vs GNU tar, in one run: a ~200 MB image of 4 layers (10k files) is imported
# with `slipway image import` (layout read, every blob hashed and checked against its digest
# and diff_id, layers applied with openat2-resolved writes, staged and renamed into the
# cache) and, for comparison, its layer tarballs are extracted one after another with GNU tar
# (no checks). Prints the median of RUNS runs of each and the ratio slipway / tar.
#
# Usage: benchmarks/images.sh            (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=5 WORK=/tmp/dir benchmarks/images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
# tmpfs by default: on the VM disks here file creation times swing by 10x for both tools.
work=${WORK:-$(mktemp -d "/dev/shm/slipway-bench-images.XXXXXX")}
source benchmarks/release.sh
source benchmarks/oci-layout.sh
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

# --- The image: 4 layers of incompressible files, 2000 x 4 KiB and 500 x 80 KiB each. ---
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
diff_ids=() layers=()
for i in 1 2 3 4; do
  src=$work/src$i
  mkdir -p "$src/usr/share/layer$i/small" "$src/usr/share/layer$i/large"
  head -c $((2000 * 4096)) /dev/urandom | split -b 4096 -a 4 - "$src/usr/share/layer$i/small/f"
  head -c $((500 * 81920)) /dev/urandom | split -b 81920 -a 3 - "$src/usr/share/layer$i/large/f"
  tar --sort=name --format=posix --numeric-owner -cf "$work/layer$i.tar" -C "$src" .
  rm -rf "$src"
  hex=$(sha256sum "$work/layer$i.tar" | cut -d' ' -f1)
  cp "$work/layer$i.tar" "$layout/blobs/sha256/$hex"
  diff_ids+=("\"sha256:$hex\"")
  layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$hex\",\"size\":$(stat -c %s "$work/layer$i.tar")}")
done
write_oci_layout "$layout"
total=$(du -cb "$work"/layer*.tar | tail -1 | cut -f1)

# --- Timing: alternate the two, RUNS times each, on the same file system, warm cache. ---
# bash's `time` gives wall and CPU (user+sys, children included): on a busy machine the CPU
# figures are the steadier comparison.
TIMEFORMAT='%R %U %S'
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
measure() { { time "$@" >/dev/null; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'; }
extract_with_tar() { for i in 1 2 3 4; do tar -xf "$work/layer$i.tar" -C "$work/tar-root"; done; }
# The same checks by hand: each layer hashed (sha256sum) while tar extracts it.
extract_verified() { for i in 1 2 3 4; do sha256sum "$work/layer$i.tar" & tar -xf "$work/layer$i.tar" -C "$work/tar-root"; wait; done; }
export SLIPWAY_HOME=$work/home
: > "$work/slipway.times"; : > "$work/tar.times"; : > "$work/verified.times"
for run in $(seq "$runs"); do
  rm -rf "$SLIPWAY_HOME" "$work/tar-root"; sync
  measure "$SLIPWAY" image import "$layout" --name bench >> "$work/slipway.times"
  mkdir -p "$work/tar-root"; sync
  measure extract_with_tar >> "$work/tar.times"
  rm -rf "$work/tar-root"; mkdir -p "$work/tar-root"; sync
  measure extract_verified >> "$work/verified.times"
done
files=$(find "$work/tar-root" -type f | wc -l)
sw=$(cut -d' ' -f1 "$work/slipway.times" | median); sc=$(cut -d' ' -f2 "$work/slipway.times" | median)
tw=$(cut -d' ' -f1 "$work/tar.times" | median); tc=$(cut -d' ' -f2 "$work/tar.times" | median)
vw=$(cut -d' ' -f1 "$work/verified.times" | median); vc=$(cut -d' ' -f2 "$work/verified.times" | median)
printf 'image: 4 layers, %d files, %d MB of layer tarballs, in %s; median of %d runs\n' "$files" $((total / 1000000)) "$work" "$runs"
printf '%-48s %8s %8s\n' "" "wall" "cpu"
printf '%-48s %7.3fs %7.3fs\n' "slipway image import (OCI layout, verified)" "$sw" "$sc"
printf '%-48s %7.3fs %7.3fs\n' "GNU tar -xf of the same layers (unverified)" "$tw" "$tc"
printf '%-48s %7.3fs %7.3fs\n' "GNU tar -xf + sha256sum in parallel (verified)" "$vw" "$vc"
awk -v sw="$sw" -v tw="$tw" -v sc="$sc" -v tc="$tc" \
  'BEGIN { printf "ratio slipway / tar: wall %.2f, cpu %.2f\n", sw / tw, sc / tc }'
awk -v sw="$sw" -v vw="$vw" -v sc="$sc" -v vc="$vc" \
  'BEGIN { printf "ratio slipway / tar+sha256sum: wall %.2f, cpu %.2f\n", sw / vw, sc / vc }'
