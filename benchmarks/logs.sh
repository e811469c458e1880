#!/usr/bin/env bash
# Logs at the speed of the build: a buildspec printing LINES lines (400,000 by default, about
# 40 bytes each) built by `slipway build` (its log goes to the build record and stderr) and
# run through `slipway run` (the same build, its log also stored in the state database in
# batches, then a deploy to a local target). Each pair alternates on a new commit; medians of
# RUNS. Reports the run's build stage against `slipway build` (what storing the log costs), the
# whole run against it (its source and deploy stages included), and
# the size of the state database per run.
#   benchmarks/logs.sh [RUNS]        LINES=… ; SLIPWAY=path/to/slipway to skip the release build
# Target: a run's log costs at most 10 % over `slipway build` (build stage / build ≤ 1.10).
set -euo pipefail
runs=${1:-5}
lines=${LINES:-400000}
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/benchmarks/release.sh"
source "$repo/benchmarks/lib.sh"
slipway=$SLIPWAY
require_tools git python3

work=$(mktemp -d /tmp/slipway-bench-logs.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'echo "logs.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
export SLIPWAY_HOME="$work/home"
"$slipway" image build "$repo/images/busybox" >/dev/null 2>&1

project="$work/project"
mkdir -p "$project"
cat > "$project/buildspec.yml" <<SPEC
version: 0.2
phases:
  build:
    commands:
      - awk 'BEGIN { for (i = 1; i <= $lines; i++) printf "[%6d/$lines] compiling src/module%d.c\n", i, i }'
      - echo done > out.txt
artifacts:
  files: [ out.txt, appspec.yml ]
SPEC
printf 'version: 0.0\nos: linux\n' > "$project/appspec.yml"
git -C "$project" init -q
commit() { git -C "$project" add -A; git -C "$project" -c user.name=b -c user.email=b@e commit -qm "$1"; }
commit bench

# Warm-up: unpacks the image, fills the page cache, creates the state database.
"$slipway" build "$project" --no-cache >/dev/null 2>&1
echo warm-up > "$project/round"; commit warm-up
"$slipway" run "$project" --target "$work/target" >/dev/null 2>&1
lines_stored=$(python3 - "$SLIPWAY_HOME/state.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(sum(t.count("\n") for (t,) in db.execute("SELECT text FROM log_chunk WHERE run = 1")))
PY
)
[ "$lines_stored" -gt "$lines" ] || { echo "the warm-up run stored $lines_stored lines, not the build's $lines" >&2; exit 1; }

: > "$work/build"; : > "$work/run"; : > "$work/stage"
for i in $(seq "$runs"); do
  # A new commit for each command: the result cache never hits.
  echo "build $i" > "$project/round"; commit "build $i"
  s=$(now_ms)
  "$slipway" build "$project" --no-cache --json > "$work/build.json" 2>/dev/null
  e=$(now_ms); echo $((e - s)) >> "$work/build"
  grep -q '"status" : "SUCCEEDED"' "$work/build.json" || { echo "the build did not succeed" >&2; exit 1; }
  echo "run $i" > "$project/round"; commit "run $i"
  s=$(now_ms)
  "$slipway" run "$project" --target "$work/target" --json > "$work/run.json" 2>/dev/null
  e=$(now_ms); echo $((e - s)) >> "$work/run"
  python3 - "$work/run.json" >> "$work/stage" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["run"]["status"] == "succeeded", summary
print(round(summary["timings"]["build"] * 1000))
PY
done
run_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["id"])' "$work/run.json")
log_bytes=$("$slipway" logs "$run_id" | wc -c)
log_lines=$("$slipway" logs "$run_id" | wc -l)
# The state database once its WAL is checked in: runs + 1 runs (the warm-up's too).
read -r chunks state <<<"$(python3 - "$SLIPWAY_HOME/state.sqlite" "$run_id" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
chunks = db.execute("SELECT COUNT(*) FROM log_chunk WHERE run = ?", (int(sys.argv[2]),)).fetchone()[0]
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
print(chunks, os.path.getsize(sys.argv[1]))
PY
)"

build_ms=$(median < "$work/build")
run_ms=$(median < "$work/run")
stage_ms=$(median < "$work/stage")
echo "lines: $lines, runs: $runs (median), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
echo "slipway build --no-cache:              ${build_ms} ms"
echo "slipway run (source, build, deploy):   ${run_ms} ms"
echo "  its build stage:                     ${stage_ms} ms"
echo "ratio build stage / build:             $(awk -v a="$stage_ms" -v b="$build_ms" 'BEGIN { printf "%.3f", a / b }')   (the log's cost; target ≤ 1.10)"
echo "ratio run / build:                     $(awk -v a="$run_ms" -v b="$build_ms" 'BEGIN { printf "%.3f", a / b }')   (source and deploy stages included)"
echo "the run's stored log:                  $log_bytes bytes, $log_lines lines, $chunks chunks"
echo "state database:                        $state bytes for $((runs + 1)) runs, $((state / (runs + 1))) bytes per run"
