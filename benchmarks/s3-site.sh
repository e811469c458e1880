#!/usr/bin/env bash
# A static site through an S3 target vs the AWS CLI, in one run: a 2,000-file site (1,000
# pages, 900 scripts and style sheets with hashed names, 100 images; about 14 MB) goes up with
# `slipway deploy --target s3://…` (content types, cache headers, content-addressed, assets
# before pages, the release's manifest and state recorded in the bucket) and with `aws s3
# sync` to another prefix of the same endpoint; then one page changes and both send it again
# (slipway: one object, checked; sync: one object by size and time). The store is moto's S3
# server on 127.0.0.1. Prints medians of RUNS runs and the ratios.
#
# Usage: benchmarks/s3-site.sh        (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=5 WORK=/tmp/dir benchmarks/s3-site.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
source benchmarks/release.sh
source benchmarks/lib.sh
on_exit() { stop_moto; }
use_work_directory s3-site
start_moto s3-site.sh bench

# The site: deterministic content (seeded), 2,000 files.
python3 - "$work/site" <<'PY'
import os, random, sys
root = sys.argv[1]; rng = random.Random(7)
def write(path, data):
    full = os.path.join(root, path); os.makedirs(os.path.dirname(full), exist_ok=True)
    open(full, "wb").write(data)
def text(n): return "".join(rng.choice("abcdefghij klmnop\n") for _ in range(n)).encode()
for i in range(450):
    write(f"assets/chunk-{i:03d}.{rng.getrandbits(32):08x}a.js", text(rng.randint(2000, 20000)))
    write(f"assets/style-{i:03d}.{rng.getrandbits(32):08x}b.css", text(rng.randint(1000, 8000)))
for i in range(100):
    write(f"img/photo-{i:03d}.png", rng.randbytes(50000))
for i in range(1000):
    write(f"docs/{i // 100}/page-{i:04d}.html", b"<!doctype html><script src=/assets/chunk-001.js></script>" + text(rng.randint(2000, 6000)))
PY
files=$(find "$work/site" -type f | wc -l)
bytes=$(du -sb "$work/site" | cut -f1)
v1=$("$SLIPWAY" artifact pack "$work/site")
cp -a "$work/site" "$work/site2"
echo "<p>changed</p>" >> "$work/site2/docs/3/page-0300.html"
v2=$("$SLIPWAY" artifact pack "$work/site2")

for f in deploy sync redeploy resync; do : > "$work/$f.times"; done
for run in $(seq "$runs"); do
  measure "$SLIPWAY" deploy "$v1" --target "s3://bench/slipway$run" >> "$work/deploy.times"
  measure aws s3 sync --quiet "$work/site" "s3://bench/cli$run" >> "$work/sync.times"
  # The one-file redeploy: slipway from the second artifact, sync from the changed tree
  # (same sizes and times but for the one page).
  measure "$SLIPWAY" deploy "$v2" --target "s3://bench/slipway$run" >> "$work/redeploy.times"
  cp -a "$work/site" "$work/sync-tree"
  cp -p "$work/site2/docs/3/page-0300.html" "$work/sync-tree/docs/3/page-0300.html"
  measure aws s3 sync --quiet "$work/sync-tree" "s3://bench/cli$run" >> "$work/resync.times"
  rm -rf "$work/sync-tree"
done
# What the redeploy sent: one object.
"$SLIPWAY" deploy "$v1" --target s3://bench/verify >/dev/null 2>&1
sent=$("$SLIPWAY" deploy "$v2" --target s3://bench/verify --json 2>/dev/null | python3 -c 'import json,sys; r = json.load(sys.stdin); print(r["uploaded"] + r["copied"])')
[ "$sent" = 1 ] || { echo "s3-site.sh: a one-file change wrote $sent objects" >&2; exit 1; }
[ "$(aws s3 ls --recursive s3://bench/verify/ | grep -vc '/\.slipway/')" = "$files" ] || { echo "s3-site.sh: the bucket lacks files" >&2; exit 1; }

printf 'site: %d files, %d MB; moto S3 server on 127.0.0.1; median of %d runs\n' "$files" $((bytes / 1000000)) "$runs"
timing_rows "slipway deploy (first upload)" "$work/deploy.times" "aws s3 sync (first upload)" "$work/sync.times" \
  "slipway deploy (one file changed)" "$work/redeploy.times" "aws s3 sync (one file changed)" "$work/resync.times"
timing_ratio "slipway deploy / aws s3 sync, first upload" "$work/deploy.times" "$work/sync.times"
timing_ratio "slipway deploy / aws s3 sync, one file changed" "$work/redeploy.times" "$work/resync.times"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
