#!/usr/bin/env bash
# What a CLI call costs before it does anything, and two whole calls that are mostly start-up:
#  1. `slipway --version` vs a static Swift hello world that imports Foundation (built here
#     with `swiftc -O -static-stdlib`, as the release build links Slipway) and `git --version`;
#  2. `slipway sandbox run --rootfs DIR -- /bin/true` vs `bwrap --unshare-all … /bin/true`,
#     each a whole process from exec to exit (busybox rootfs);
# alternating within one run. CPU time (user + system, all threads, from `perf stat`) is the
# figure to compare on a shared machine; instruction counts from callgrind (when valgrind is
# installed) are exact and do not move with the load.
#
# Usage: benchmarks/startup.sh [N]        (default N=200; sandbox rows need root and bwrap)
#   SLIPWAY=path/to/slipway benchmarks/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
source benchmarks/release.sh
source benchmarks/lib.sh
require_tools perf busybox
use_work_directory startup

cat > "$work/hello.swift" <<'EOF'
import Foundation
print("hello \(ProcessInfo.processInfo.processIdentifier > 0)")
EOF
swiftc -O -static-stdlib "$work/hello.swift" -o "$work/hello" 2>/dev/null

rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev" "$rootfs/tmp"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/true"
sandbox=0
if [ "$(id -u)" = 0 ] && command -v bwrap >/dev/null; then sandbox=1; fi

# cpu_us CMD...: CPU time of one run of CMD in microseconds (perf's task-clock, children included).
cpu_us() {
  perf stat -x, -e task-clock -o "$work/stat" "$@" >/dev/null 2>&1 || true
  awk -F, '/task-clock/ { printf "%d\n", $1 * 1000 }' "$work/stat"
}
wall_us() { local s e; s=$(now_us); "$@" >/dev/null 2>&1 || true; e=$(now_us); echo $((e - s)); }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1e3 }'; }

declare -a v_cpu h_cpu g_cpu s_cpu b_cpu s_wall b_wall
sandbox_run() { "$SLIPWAY" sandbox run --rootfs "$rootfs" -- /bin/true; }
bwrap_run() { bwrap --unshare-all --ro-bind "$rootfs" / --proc /proc --dev /dev --tmpfs /tmp /bin/true; }
for i in $(seq 1 "$n"); do
  v_cpu+=($(cpu_us "$SLIPWAY" --version))
  h_cpu+=($(cpu_us "$work/hello"))
  g_cpu+=($(cpu_us git --version))
  if [ "$sandbox" = 1 ] && [ "$i" -le 50 ]; then
    s_cpu+=($(cpu_us "$SLIPWAY" sandbox run --rootfs "$rootfs" -- /bin/true))
    b_cpu+=($(cpu_us bwrap --unshare-all --ro-bind "$rootfs" / --proc /proc --dev /dev --tmpfs /tmp /bin/true))
    s_wall+=($(wall_us sandbox_run))
    b_wall+=($(wall_us bwrap_run))
  fi
done
m() { printf '%s\n' "$@" | median; }
v=$(m "${v_cpu[@]}") h=$(m "${h_cpu[@]}") g=$(m "${g_cpu[@]}")

# Instructions: callgrind on copies without DWARF (valgrind 3.19 cannot read DWARF 5), the
# sandbox helper beside the copy of slipway (where slipway looks for it), the helper itself not
# counted. The Slipway home is the one every run here shares: its compiled seccomp filter is
# there after the first sandbox run, as on any machine after its first.
counted=$work/counted
mkdir -p "$counted" "$work/no-releases"
instructions() {
  cp "$1" "$counted/$(basename "$1")" && strip --strip-debug "$counted/$(basename "$1")"
  local program=$counted/$(basename "$1")
  shift
  # The exit status is the program's (the rollback below fails on purpose): only the count matters.
  { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$program" "$@" 2>&1 >/dev/null || true; } |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
vi=- hi=- si=- ri=-
if command -v valgrind >/dev/null; then
  vi=$(instructions "$SLIPWAY" --version) hi=$(instructions "$work/hello")
  # A rollback that fails at once (a target directory with no releases): the whole CLI start,
  # argument parsing included, and the target's first look.
  ri=$(instructions "$SLIPWAY" rollback --target "$work/no-releases")
  if [ "$sandbox" = 1 ]; then
    cp "$(dirname "$SLIPWAY")/slipway-sandbox" "$counted/slipway-sandbox"
    si=$(instructions "$SLIPWAY" sandbox run --rootfs "$rootfs" -- /bin/true)
  fi
fi

echo "| what | Slipway | peer | ratio | target |"
echo "|---|---|---|---|---|"
echo "| \`slipway --version\`, CPU (median of $n) | $(ms "$v") | static Swift hello world with Foundation $(ms "$h") | **$(ratio "$v" "$h")** | ≤ 1.6 |"
if [ "$vi" != - ]; then
  echo "| \`slipway --version\`, instructions | $vi | hello world $hi | $(ratio "$vi" "$hi") | |"
  echo "| \`slipway rollback --target T\` (no releases: fails at once), instructions | $ri | | | |"
fi
if [ "$si" != - ]; then
  echo "| \`slipway sandbox run -- /bin/true\`, instructions (slipway's process only) | $si | | | |"
fi
echo "| | | \`git --version\` $(ms "$g") | $(ratio "$v" "$g") | |"
if [ "$sandbox" = 1 ]; then
  s=$(m "${s_cpu[@]}") b=$(m "${b_cpu[@]}") sw=$(m "${s_wall[@]}") bw=$(m "${b_wall[@]}")
  echo "| \`slipway sandbox run -- /bin/true\`, whole process, CPU (median of 50) | $(ms "$s") | \`bwrap --unshare-all …\` $(ms "$b") | **$(ratio "$s" "$b")** | ≤ 2.0 |"
  echo "| the same, wall | $(ms "$sw") | $(ms "$bw") | $(ratio "$sw" "$bw") | |"
fi
