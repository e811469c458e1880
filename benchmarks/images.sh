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
source benchmarks/release.sh
source benchmarks/lib.sh
source benchmarks/oci-layout.sh
use_work_directory images

# --- The image: 4 layers of incompressible files, 2000 x 4 KiB and 500 x 80 KiB each. ---
layout=$work/layout
diff_ids=() layers=()
for i in 1 2 3 4; do
  src=$work/src$i
  mkdir -p "$src/usr/share/layer$i/small" "$src/usr/share/layer$i/large"
  head -c $((2000 * 4096)) /dev/urandom | split -b 4096 -a 4 - "$src/usr/share/layer$i/small/f"
  head -c $((500 * 81920)) /dev/urandom | split -b 81920 -a 3 - "$src/usr/share/layer$i/large/f"
  add_layer "$layout" "$src" "$work/layer$i.tar"
  rm -rf "$src"
done
write_oci_layout "$layout"
total=$(du -cb "$work"/layer*.tar | tail -1 | cut -f1)

# --- Timing: alternate the two, RUNS times each, on the same file system, warm cache. ---
extract_with_tar() { for i in 1 2 3 4; do tar -xf "$work/layer$i.tar" -C "$work/tar-root"; done; }
# The same checks by hand: each layer hashed (sha256sum) while tar extracts it.
extract_verified() { for i in 1 2 3 4; do sha256sum "$work/layer$i.tar" & tar -xf "$work/layer$i.tar" -C "$work/tar-root"; wait; done; }
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
printf 'image: 4 layers, %d files, %d MB of layer tarballs, in %s; median of %d runs\n' "$files" $((total / 1000000)) "$work" "$runs"
timing_rows "slipway image import (OCI layout, verified)" "$work/slipway.times" \
  "GNU tar -xf of the same layers (unverified)" "$work/tar.times" \
  "GNU tar -xf + sha256sum in parallel (verified)" "$work/verified.times"
timing_ratio "slipway / tar" "$work/slipway.times" "$work/tar.times"
timing_ratio "slipway / tar+sha256sum" "$work/slipway.times" "$work/verified.times"
