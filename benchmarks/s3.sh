#!/usr/bin/env bash
# Artifacts through S3-compatible storage vs the AWS CLI, in one run: a ~200 MB artifact
# (incompressible files) is pushed with `slipway artifact push` (multipart, parts in
# parallel, each signed with its SHA-256) and fetched into a fresh store with `slipway
# artifact fetch` (streamed, its bytes and its tar stream checked before the store takes it);
# the same blob goes up and down with `aws s3 cp`. The store is moto's S3 server on
# 127.0.0.1 (the same endpoint for both). Prints medians of RUNS runs and the ratios.
#
# Usage: benchmarks/s3.sh            (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=5 WORK=/tmp/dir benchmarks/s3.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
source benchmarks/release.sh
source benchmarks/lib.sh
on_exit() { stop_moto; }
use_work_directory s3
start_moto s3.sh bench

mkdir -p "$work/tree"
head -c $((200 << 20)) /dev/urandom | split -b $((4 << 20)) -a 3 - "$work/tree/f"
digest=$("$SLIPWAY" artifact pack --compression none "$work/tree")
blob=$SLIPWAY_HOME/store/blobs/sha256/${digest:7:2}/${digest:7}
size=$(stat -c %s "$blob")

for f in push cpup fetch cpdown; do : > "$work/$f.times"; done
for run in $(seq "$runs"); do
  measure "$SLIPWAY" artifact push "$digest" --to "s3://bench/run$run" >> "$work/push.times"
  measure aws s3 cp --quiet "$blob" "s3://bench/cli$run/blob" >> "$work/cpup.times"
  rm -rf "$work/fetched"; sync
  measure env SLIPWAY_HOME="$work/fetched" "$SLIPWAY" artifact fetch "$digest" --from "s3://bench/run$run" >> "$work/fetch.times"
  rm -f "$work/blob.copy"; sync
  measure aws s3 cp --quiet "s3://bench/cli$run/blob" "$work/blob.copy" >> "$work/cpdown.times"
done
cmp -s "$work/blob.copy" "$blob" || { echo "s3.sh: the AWS CLI's copy differs" >&2; exit 1; }
printf 'artifact: %d MB blob, moto S3 server on 127.0.0.1, %s; median of %d runs\n' $((size / 1000000)) "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$runs"
timing_rows "slipway artifact push" "$work/push.times" "aws s3 cp (upload)" "$work/cpup.times" \
  "slipway artifact fetch (verified)" "$work/fetch.times" "aws s3 cp (download)" "$work/cpdown.times"
echo "ratio slipway / aws s3 cp: upload $(ratio "$(wall_median "$work/push.times")" "$(wall_median "$work/cpup.times")"), download $(ratio "$(wall_median "$work/fetch.times")" "$(wall_median "$work/cpdown.times")") (wall)"
