#!/usr/bin/env bash
# Image pull vs skopeo + umoci, in one run: a ~200 MB image of 4 gzip layers (incompressible
# files) is pushed once to a local registry (Debian's docker-registry, plain HTTP on
# 127.0.0.1), then pulled into a fresh store with `slipway image pull` (each layer streamed
# from the socket through SHA-256 and gunzip into its tree, digests and diff_ids checked,
# layers stacked) and, for comparison, copied with `skopeo copy docker://… oci:DIR` and
# unpacked with `umoci unpack` (the blobs written to disk, then read back). Then a second
# `slipway image pull` of the unchanged tag (one manifest request). Prints the median of
# RUNS runs of each and the ratio slipway / (skopeo + umoci).
#
# Usage: benchmarks/pull.sh            (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=5 WORK=/tmp/dir benchmarks/pull.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
work=${WORK:-$(mktemp -d "/dev/shm/slipway-bench-pull.XXXXXX")}
source benchmarks/release.sh
source benchmarks/oci-layout.sh
for tool in docker-registry skopeo umoci; do
  command -v $tool >/dev/null || { echo "pull.sh: $tool is not installed (scripts/install-deps)" >&2; exit 2; }
done
registry_pid=
cleanup() { [ -z "$registry_pid" ] || kill -9 "$registry_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work"

# --- The registry, on a free port. ---
port=$((20000 + RANDOM % 30000))
cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done

# --- The image: 4 gzip layers, each 300 x 160 KiB of random bytes (~50 MB). ---
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
diff_ids=() layers=()
for i in 1 2 3 4; do
  src=$work/src$i
  mkdir -p "$src/opt/layer$i"
  head -c $((300 * 163840)) /dev/urandom | split -b 163840 -a 3 - "$src/opt/layer$i/f"
  tar --sort=name --format=posix --numeric-owner -cf "$work/layer$i.tar" -C "$src" .
  rm -rf "$src"
  diff_ids+=("\"sha256:$(sha256sum "$work/layer$i.tar" | cut -d' ' -f1)\"")
  gzip -1 -n "$work/layer$i.tar"
  hex=$(sha256sum "$work/layer$i.tar.gz" | cut -d' ' -f1)
  mv "$work/layer$i.tar.gz" "$layout/blobs/sha256/$hex"
  layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$hex\",\"size\":$(stat -c %s "$layout/blobs/sha256/$hex")}")
done
write_oci_layout "$layout" 1
total=$(du -cb "$layout"/blobs/sha256/* | tail -1 | cut -f1)
image=127.0.0.1:$port/bench/image:1
skopeo --insecure-policy copy --quiet --dest-tls-verify=false "oci:$layout:1" "docker://$image"
rm -rf "$layout"

# --- Timing: alternate the two, RUNS times each, warm cache. ---
TIMEFORMAT='%R %U %S'
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
measure() { { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'; }
copy_and_unpack() {
  skopeo --insecure-policy copy --quiet --src-tls-verify=false "docker://$image" "oci:$work/oci:1" &&
  umoci unpack --image "$work/oci:1" "$work/bundle"
}
export SLIPWAY_HOME=$work/home
: > "$work/slipway.times"; : > "$work/peer.times"; : > "$work/again.times"
for run in $(seq "$runs"); do
  rm -rf "$SLIPWAY_HOME"; sync
  measure "$SLIPWAY" image pull --insecure "$image" >> "$work/slipway.times"
  measure "$SLIPWAY" image pull --insecure "$image" >> "$work/again.times"
  rm -rf "$work/oci" "$work/bundle"; sync
  measure copy_and_unpack >> "$work/peer.times"
done
files=$(find "$work/bundle/rootfs" -type f | wc -l)
sw=$(cut -d' ' -f1 "$work/slipway.times" | median); sc=$(cut -d' ' -f2 "$work/slipway.times" | median)
pw=$(cut -d' ' -f1 "$work/peer.times" | median); pc=$(cut -d' ' -f2 "$work/peer.times" | median)
aw=$(cut -d' ' -f1 "$work/again.times" | median); ac=$(cut -d' ' -f2 "$work/again.times" | median)
printf 'image: 4 gzip layers, %d files, %d MB of blobs, registry and stores in %s; median of %d runs\n' "$files" $((total / 1000000)) "$work" "$runs"
printf '%-48s %8s %8s\n' "" "wall" "cpu"
printf '%-48s %7.3fs %7.3fs\n' "slipway image pull (fresh store)" "$sw" "$sc"
printf '%-48s %7.3fs %7.3fs\n' "skopeo copy + umoci unpack (fresh directory)" "$pw" "$pc"
printf '%-48s %7.3fs %7.3fs\n' "slipway image pull again (tag unchanged)" "$aw" "$ac"
awk -v sw="$sw" -v pw="$pw" -v sc="$sc" -v pc="$pc" \
  'BEGIN { printf "ratio slipway / (skopeo + umoci): wall %.2f, cpu %.2f\n", sw / pw, sc / pc }'
