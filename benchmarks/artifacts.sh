#!/usr/bin/env bash
# Artifact store vs the stock tools, in one run, each pair alternating (A,B,A,B...):
#  1. `slipway artifact pack DIR` vs
#     `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - DIR | zstd -3 | sha256sum`;
#  2. `slipway artifact unpack DIGEST NEWDIR` vs `bsdtar -xf BLOB` and GNU `tar --zstd -xf BLOB`
#     into fresh directories on the same file system;
#  3. `slipway artifact verify DIGEST` vs `zstd -dc BLOB | sha256sum`.
# The tree: copies of /usr/include and /usr/lib/python3* (about 200 MB, 12k files), padded
# with random files when the host has less.
#
# Usage: benchmarks/artifacts.sh          (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway RUNS=7 WORK=/dev/shm/dir benchmarks/artifacts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
source benchmarks/release.sh
source benchmarks/lib.sh
use_work_directory artifacts

secs() { awk -v us="$1" 'BEGIN { printf "%.3f s", us / 1e6 }'; }

# --- The tree. ---
src=$work/tree
mkdir -p "$src"
cp -a /usr/include "$src/include"
for p in /usr/lib/python3*; do cp -a "$p" "$src/$(basename "$p")"; done
have=$(du -sm "$src" | cut -f1)
if [ "$have" -lt 200 ]; then
  mkdir -p "$src/pad"
  head -c $(((200 - have) << 20)) /dev/urandom | split -b 65536 -a 4 - "$src/pad/f"
fi
echo "tree: $(du -sm "$src" | cut -f1) MB, $(find "$src" -type f | wc -l) files, $(find "$src" | wc -l) entries" >&2

tar_zstd() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$src" -cf - . | zstd -q -3 | sha256sum
}
slipway_pack() { "$SLIPWAY" artifact pack "$src"; }

# --- 1. Pack. ---
pack=() peer_pack=()
for run in $(seq 1 "$runs"); do
  time_us pack slipway_pack
  time_us peer_pack tar_zstd
done
digest=$("$SLIPWAY" artifact pack "$src")
hex=${digest#sha256:}
blob=$SLIPWAY_HOME/store/blobs/sha256/${hex:0:2}/$hex
echo "artifact $digest: $(($(stat -c %s "$blob") >> 20)) MB stored (zstd)" >&2

# --- 2. Unpack into fresh directories. ---
unpack=() bsd=() gnu=()
bsdtar_x() { mkdir "$1" && bsdtar -xf "$blob" -C "$1"; }
gnutar_x() { mkdir "$1" && tar --zstd -xf "$blob" -C "$1"; }
for run in $(seq 1 "$runs"); do
  time_us unpack "$SLIPWAY" artifact unpack "$digest" "$work/u-slipway"
  time_us bsd bsdtar_x "$work/u-bsdtar"
  time_us gnu gnutar_x "$work/u-gnutar"
  rm -rf "$work/u-slipway" "$work/u-bsdtar" "$work/u-gnutar"
done

# --- 3. Verify. ---
verify=() peer_verify=()
zstd_sha() { zstd -q -dc "$blob" | sha256sum; }
for run in $(seq 1 "$runs"); do
  time_us verify "$SLIPWAY" artifact verify "$digest"
  time_us peer_verify zstd_sha
done

m() { printf '%s\n' "$@" | median; }
p=$(m "${pack[@]}") pp=$(m "${peer_pack[@]}")
u=$(m "${unpack[@]}") ub=$(m "${bsd[@]}") ug=$(m "${gnu[@]}")
v=$(m "${verify[@]}") pv=$(m "${peer_verify[@]}")
cat <<EOF
| what | median of $runs | peer | peer median | ratio | target |
|---|---|---|---|---|---|
| \`slipway artifact pack DIR\` | $(secs "$p") | \`tar --sort=name … \| zstd -3 \| sha256sum\` | $(secs "$pp") | **$(ratio "$p" "$pp")** | ≤ 1.0 |
| \`slipway artifact unpack DIGEST NEW\` | $(secs "$u") | \`bsdtar -xf BLOB\` | $(secs "$ub") | **$(ratio "$u" "$ub")** | ≤ 1.0 |
| | | GNU \`tar --zstd -xf BLOB\` | $(secs "$ug") | **$(ratio "$u" "$ug")** | ≤ 1.2 |
| \`slipway artifact verify DIGEST\` | $(secs "$v") | \`zstd -dc BLOB \| sha256sum\` | $(secs "$pv") | **$(ratio "$v" "$pv")** | ≤ 1.0 |
EOF
echo "all runs (us): pack ${pack[*]} / ${peer_pack[*]}; unpack ${unpack[*]} / bsdtar ${bsd[*]} / gnu ${gnu[*]}; verify ${verify[*]} / ${peer_verify[*]}" >&2
