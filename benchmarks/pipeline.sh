#!/usr/bin/env bash
# Pipeline overhead: examples/hello-site through `slipway run` (source → build → deploy to a
# local target) with a warm busybox image, against the build's own commands run alone, and
# against the same steps done by hand (git clone, sh, tar | zstd, unpack, symlink swap).
#   benchmarks/pipeline.sh [RUNS]      SLIPWAY=path/to/slipway to skip the release build
set -euo pipefail
runs=${1:-11}
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/benchmarks/release.sh"
source "$repo/benchmarks/lib.sh"
slipway=$SLIPWAY
require_tools zstd git busybox python3

work=$(mktemp -d /tmp/slipway-bench-pipeline.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SLIPWAY_HOME="$work/home"
"$slipway" image build "$repo/images/busybox" >/dev/null 2>&1

project="$work/hello-site"
cp -R "$repo/examples/hello-site" "$project"
git -C "$project" init -q
commit() { git -C "$project" add -A; git -C "$project" -c user.name=b -c user.email=b@e commit -qm "$1"; }
commit bench

# Warm-up: unpacks the image, fills the page cache.
"$slipway" run "$project" --target "$work/target" >/dev/null 2>&1

# Every run is a new commit (the build result cache would skip the build otherwise).
: > "$work/runs"
for i in $(seq "$runs"); do
  echo "<!-- $i -->" >> "$project/site/index.html"
  commit "run $i"
  s=$(now_ms)
  "$slipway" run "$project" --target "$work/target" --json > "$work/run.json" 2>/dev/null
  e=$(now_ms)
  python3 - "$work/run.json" $((e - s)) >> "$work/runs" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["run"]["status"] == "succeeded", summary
t = summary["timings"]
print(sys.argv[2], round(t["source"] * 1000), round(t["build"] * 1000), round(t["deploy"] * 1000))
PY
done

# The build's commands alone, on the host's busybox, in a copy of the tree.
cmds="$work/cmds"
cp -R "$project" "$cmds"
cmd_ms=$( for i in $(seq "$runs"); do
  s=$(now_ms)
  (cd "$cmds" && busybox sh -c 'mkdir -p public
    sed "s/@RELEASE@/local/" site/index.html > public/index.html
    echo ok > public/health
    export BUILT_AT=$(date -u -d @0 +%Y-%m-%dT%H:%M:%SZ)
    echo "built $GREETING at $BUILT_AT" >/dev/null')
  e=$(now_ms); echo $((e - s)); done | median)

# The same steps by hand: clone the commit, run the commands, pack, unpack as a release,
# run the two hooks, swap the symlink.
hand_ms=$( for i in $(seq "$runs"); do
  d="$work/hand$i"; mkdir -p "$d/target/releases"
  s=$(now_ms)
  git clone -q --no-checkout "$project" "$d/src" && git -C "$d/src" checkout -q --detach HEAD
  (cd "$d/src" && busybox sh -c 'mkdir -p public; sed "s/@RELEASE@/local/" site/index.html > public/index.html; echo ok > public/health')
  tar -C "$d/src" -cf - public appspec.yml scripts | zstd -q -3 > "$d/a.tar.zst"
  mkdir "$d/target/releases/$i" && zstd -dcq "$d/a.tar.zst" | tar -C "$d/target/releases/$i" -xf -
  RELEASE_PATH="$d/target/releases/$i/public" sh "$d/target/releases/$i/scripts/after_install.sh" >/dev/null
  ln -s "releases/$i" "$d/target/.tmp-current" && mv -T "$d/target/.tmp-current" "$d/target/current"
  RELEASE_PATH="$d/target/releases/$i/public" sh "$d/target/releases/$i/scripts/validate.sh"
  e=$(now_ms); echo $((e - s)); rm -rf "$d"; done | median)

total_ms=$(awk '{print $1}' "$work/runs" | median)
source_ms=$(awk '{print $2}' "$work/runs" | median)
build_ms=$(awk '{print $3}' "$work/runs" | median)
deploy_ms=$(awk '{print $4}' "$work/runs" | median)
echo "runs: $runs (median), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "slipway run, start to summary:     ${total_ms} ms"
echo "  source stage:                    ${source_ms} ms"
echo "  build stage:                     ${build_ms} ms"
echo "  deploy stage:                    ${deploy_ms} ms"
echo "the build's commands alone:        ${cmd_ms} ms"
echo "overhead (the two subtracted):     $((total_ms - cmd_ms)) ms   (target < 1000 ms)"
echo "the same steps by hand:            ${hand_ms} ms"
