#!/usr/bin/env bash
# Build stage overhead: a trivial build (one echo) on a busybox image, start to result,
# against the same work done by hand (bwrap + sh + tar | zstd | sha256sum).
#   benchmarks/build.sh [RUNS]        SLIPWAY=path/to/slipway to skip the release build
set -euo pipefail
runs=${1:-15}
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/benchmarks/release.sh"
source "$repo/benchmarks/lib.sh"
slipway=$SLIPWAY
require_tools bwrap zstd sha256sum busybox git

work=$(mktemp -d /tmp/slipway-bench-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
export SLIPWAY_HOME="$work/home"

# The busybox image: static busybox and its applets.
rootfs="$work/busybox"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/proc" "$rootfs/dev" "$rootfs/src"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for applet in $(busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"

# The project: one echo, one artifact.
project="$work/project"
mkdir -p "$project"
cat > "$project/buildspec.yml" <<'SPEC'
version: 0.2
phases:
  build:
    commands:
      - echo hello > out.txt
artifacts:
  files: [ out.txt ]
SPEC
git -C "$project" init -q
git -C "$project" add -A
git -C "$project" -c user.name=b -c user.email=b@e commit -qm bench

# The command itself, measured alone (in the same image, without any sandbox).
cmd_ms=$( for i in $(seq "$runs"); do elapsed_ms "$rootfs/bin/sh" -c 'echo hello > /dev/null'; done | median)

# slipway build, no result cache: start to result.
"$slipway" build "$project" --image "$rootfs" --no-cache --json 2>"$work/first.log" | grep -q '"status" : "SUCCEEDED"' \
  || { echo "the trivial build did not succeed:" >&2; cat "$work/first.log" >&2; exit 1; }
build_ms=$( for i in $(seq "$runs"); do elapsed_ms "$slipway" build "$project" --image "$rootfs" --no-cache --json; done | median)

# slipway build again with the same inputs: a result-cache hit.
"$slipway" build "$project" --image "$rootfs" >/dev/null 2>&1
hit_ms=$( for i in $(seq "$runs"); do elapsed_ms "$slipway" build "$project" --image "$rootfs" --json; done | median)

# By hand: export HEAD, run the command under bwrap, pack, compress, hash.
hand_ms=$( for i in $(seq "$runs"); do
  ws="$work/hand-$i"; mkdir -p "$ws"
  s=$(now_ms)
  git -C "$project" archive HEAD | tar -x -C "$ws"
  bwrap --unshare-all --die-with-parent --ro-bind "$rootfs" / --bind "$ws" /src --proc /proc --dev /dev \
    --tmpfs /tmp --chdir /src /bin/sh -c 'echo hello > out.txt'
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ws" -cf - out.txt | zstd -q -3 | sha256sum >/dev/null
  e=$(now_ms); echo $((e - s)); rm -rf "$ws"; done | median)

overhead=$((build_ms - cmd_ms))
ratio=$(awk -v a="$build_ms" -v b="$hand_ms" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
cat <<REPORT
trivial build, start to result (median of $runs): ${build_ms} ms
  the command alone: ${cmd_ms} ms; build overhead: ${overhead} ms (target < 150 ms)
result-cache hit: ${hit_ms} ms (target < 100 ms)
same build by hand (git archive + bwrap + sh + tar | zstd | sha256sum): ${hand_ms} ms
ratio slipway / by hand: ${ratio}x
REPORT
