#!/usr/bin/env bash
# `slipway image build images/debian` vs what it wraps: mmdebstrap alone writing the same
# tarball (the recipe's own command line, from images/debian/build) plus `slipway image import`
# of it. Both fetch .debs through the same local package cache, so the mirror's speed counts
# once (in the first, warming run, which is not timed). Then an unchanged rebuild: the recipe
# digest matches, nothing runs. Prints the medians, the ratio and the machine it ran on.
# Needs root and mmdebstrap (scripts/install-deps).
#
# Usage: benchmarks/image-build.sh        (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=3 benchmarks/image-build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
work=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-image-build.XXXXXX")}
source benchmarks/release.sh
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
[ "$(id -u)" -eq 0 ] || { echo "image-build.sh: mmdebstrap needs root here" >&2; exit 1; }

TIMEFORMAT='%R %U %S'
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
measure() { { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'; }
export SLIPWAY_CACHE=$work/cache  # the .deb cache both sides share

# The recipe alone, by hand: its tarball, then an import (each run into a fresh home).
by_hand() {
  images/debian/build "$work/debian.tar"
  SLIPWAY_HOME=$work/hand-home "$SLIPWAY" image import "$work/debian.tar" --name debian
  rm -rf "$work/hand-home" "$work/debian.tar"
}
with_slipway() {
  SLIPWAY_HOME=$work/build-home "$SLIPWAY" image build images/debian --force
}

echo "warming the package cache (not timed)..." >&2
SLIPWAY_HOME=$work/build-home "$SLIPWAY" image build images/debian >/dev/null 2>&1
: > "$work/build.times"; : > "$work/hand.times"
for run in $(seq "$runs"); do
  measure with_slipway >> "$work/build.times"
  measure by_hand >> "$work/hand.times"
done
: > "$work/unchanged.times"
for run in $(seq 5); do
  measure env SLIPWAY_HOME="$work/build-home" "$SLIPWAY" image build images/debian >> "$work/unchanged.times"
done

build=$(cut -d' ' -f1 "$work/build.times" | median)
hand=$(cut -d' ' -f1 "$work/hand.times" | median)
unchanged=$(cut -d' ' -f1 "$work/unchanged.times" | median)
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "slipway image build images/debian:            ${build} s wall (median of $runs; CPU $(cut -d' ' -f2 "$work/build.times" | median) s)"
echo "mmdebstrap to a tarball + slipway image import: ${hand} s wall (median of $runs; CPU $(cut -d' ' -f2 "$work/hand.times" | median) s)"
echo "ratio: $(awk -v a="$build" -v b="$hand" 'BEGIN { printf "%.2f", a / b }')x (target <= 1.1x)"
echo "unchanged rebuild: ${unchanged} s (median of 5; target < 1 s)"
