#!/usr/bin/env bash
# Deploy stage vs doing it by hand, in one run:
#  1. switch latency: `slipway rollback --to` between two releases without hooks (lock, journal
#     read, symlinkat + renameat + fsync + readlinkat, journal append with fsync) vs the shell's
#     `ln -s releases/X tmp && mv -T tmp current`; p50 and p99 of SWITCHES runs each;
#  2. a local deploy of a 50 MB artifact (`slipway deploy DIGEST --target DIR`: lock, unpack
#     with the blob's digest checked, journal, switch) vs `zstd -dc blob | tar -x` + ln/mv by
#     hand; median of RUNS runs each and the ratio;
#  3. rollback (hooks excluded): the p50 of (1), target < 50 ms.
#
# Usage: benchmarks/deploy.sh            (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=7 SWITCHES=200 WORK=/tmp/dir benchmarks/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
switches=${SWITCHES:-200}
source benchmarks/release.sh
source benchmarks/lib.sh
use_work_directory deploy

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }

# --- The artifact: 1200 incompressible 40 KiB files and 2 MB of text, about 50 MB. ---
src=$work/src
mkdir -p "$src/assets" "$src/text"
head -c $((1200 * 40960)) /dev/urandom | split -b 40960 -a 3 - "$src/assets/f"
for i in $(seq 1 200); do seq 1 1500 | sed "s/^/line $i /" > "$src/text/t$i.txt"; done
digest=$("$SLIPWAY" artifact pack "$src")
hex=${digest#sha256:}
blob=$SLIPWAY_HOME/store/blobs/sha256/${hex:0:2}/$hex
echo "artifact $digest: $(du -sm "$src" | cut -f1) MB unpacked, $(($(stat -c %s "$blob") / 1048576)) MB stored (zstd)" >&2

# --- 2. Deploy vs by hand, alternating, a fresh target each run. ---
slipway_deploy() { "$SLIPWAY" deploy "$digest" --target "$1" 2>/dev/null; }
hand_deploy() {
  mkdir -p "$1/releases/r1" && zstd -q -dc "$blob" | tar -x -C "$1/releases/r1" \
    && ln -s releases/r1 "$1/.tmp" && mv -T "$1/.tmp" "$1/current"
}
slipway_times=() hand_times=()
for run in $(seq 1 "$runs"); do
  t=$work/t-slipway-$run h=$work/t-hand-$run
  time_us slipway_times slipway_deploy "$t"
  time_us hand_times hand_deploy "$h"
  rm -rf "$t" "$h"
done
deploy_med=$(printf '%s\n' "${slipway_times[@]}" | median)
hand_med=$(printf '%s\n' "${hand_times[@]}" | median)

# --- 1 and 3. Switch latency: two releases, switched back and forth. ---
t=$work/t-switch
small=$work/small; mkdir -p "$small"; echo a > "$small/index.html"
d1=$("$SLIPWAY" artifact pack "$small"); echo b > "$small/index.html"; d2=$("$SLIPWAY" artifact pack "$small")
r1=$("$SLIPWAY" deploy "$d1" --target "$t" 2>/dev/null); r2=$("$SLIPWAY" deploy "$d2" --target "$t" 2>/dev/null)
slipway_switch() { "$SLIPWAY" rollback --target "$t" --to "$1" 2>/dev/null; }
shell_switch() { ln -s "releases/$1" "$t/.tmp-shell" && mv -T "$t/.tmp-shell" "$t/current"; }
roll_times=() ln_times=()
for i in $(seq 1 "$switches"); do
  if ((i % 2)); then to=$r1; else to=$r2; fi
  time_us roll_times slipway_switch "$to"
  time_us ln_times shell_switch "$to"
done
roll_p50=$(printf '%s\n' "${roll_times[@]}" | percentile 50)
roll_p99=$(printf '%s\n' "${roll_times[@]}" | percentile 99)
ln_p50=$(printf '%s\n' "${ln_times[@]}" | percentile 50)
ln_p99=$(printf '%s\n' "${ln_times[@]}" | percentile 99)

echo "| what | p50 | p99 |"
echo "|---|---|---|"
echo "| \`slipway rollback --to\` (switch with lock, journal and fsync; no hooks), $switches runs | $(ms "$roll_p50") | $(ms "$roll_p99") |"
echo "| \`ln -s … tmp && mv -T tmp current\` from bash, $switches runs | $(ms "$ln_p50") | $(ms "$ln_p99") |"
echo
echo "| what | median of $runs |"
echo "|---|---|"
echo "| \`slipway deploy\` of the 50 MB artifact (digest checked, journal, switch) | $(ms "$deploy_med") |"
echo "| by hand: \`zstd -dc blob \\| tar -x\` + \`ln -s\` + \`mv -T\` | $(ms "$hand_med") |"
echo "| **ratio slipway / by hand** | **$(ratio "$deploy_med" "$hand_med")** |"
echo "| **rollback p50** (target < 50 ms) | **$(ms "$roll_p50")** |"
