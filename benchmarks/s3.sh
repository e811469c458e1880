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
command -v aws >/dev/null || { echo "s3.sh: the AWS CLI is not installed (pip install awscli)" >&2; exit 2; }
python3 -c 'import moto.server' 2>/dev/null || { echo "s3.sh: moto is not installed (scripts/install-deps)" >&2; exit 2; }
moto_pid=
on_exit() { [ -z "$moto_pid" ] || kill -9 "$moto_pid" 2>/dev/null; }
use_work_directory s3

port=$((20000 + RANDOM % 30000))
python3 -m moto.server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
moto_pid=$!
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent
for _ in $(seq 200); do curl -s "$AWS_ENDPOINT_URL" >/dev/null && break; sleep 0.05; done
aws s3 mb s3://bench >/dev/null

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
