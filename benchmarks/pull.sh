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
source benchmarks/release.sh
source benchmarks/lib.sh
source benchmarks/oci-layout.sh
require_tools docker-registry skopeo umoci
registry_pid=
on_exit() { [ -z "$registry_pid" ] || kill -9 "$registry_pid" 2>/dev/null; }
use_work_directory pull

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
diff_ids=() layers=()
for i in 1 2 3 4; do
  src=$work/src$i
  mkdir -p "$src/opt/layer$i"
  head -c $((300 * 163840)) /dev/urandom | split -b 163840 -a 3 - "$src/opt/layer$i/f"
  add_layer "$layout" "$src" "$work/layer$i.tar" gzip
  rm -rf "$src" "$work/layer$i.tar"
done
write_oci_layout "$layout" 1
total=$(du -cb "$layout"/blobs/sha256/* | tail -1 | cut -f1)
image=127.0.0.1:$port/bench/image:1
skopeo --insecure-policy copy --quiet --dest-tls-verify=false "oci:$layout:1" "docker://$image"
rm -rf "$layout"

# --- Timing: alternate the two, RUNS times each, warm cache. ---
copy_and_unpack() {
  skopeo --insecure-policy copy --quiet --src-tls-verify=false "docker://$image" "oci:$work/oci:1" &&
  umoci unpack --image "$work/oci:1" "$work/bundle"
}
: > "$work/slipway.times"; : > "$work/peer.times"; : > "$work/again.times"
for run in $(seq "$runs"); do
  rm -rf "$SLIPWAY_HOME"; sync
  measure "$SLIPWAY" image pull --insecure "$image" >> "$work/slipway.times"
  measure "$SLIPWAY" image pull --insecure "$image" >> "$work/again.times"
  rm -rf "$work/oci" "$work/bundle"; sync
  measure copy_and_unpack >> "$work/peer.times"
done
files=$(find "$work/bundle/rootfs" -type f | wc -l)
printf 'image: 4 gzip layers, %d files, %d MB of blobs, registry and stores in %s; median of %d runs\n' "$files" $((total / 1000000)) "$work" "$runs"
timing_rows "slipway image pull (fresh store)" "$work/slipway.times" \
  "skopeo copy + umoci unpack (fresh directory)" "$work/peer.times" \
  "slipway image pull again (tag unchanged)" "$work/again.times"
timing_ratio "slipway / (skopeo + umoci)" "$work/slipway.times" "$work/peer.times"
