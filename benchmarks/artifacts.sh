#!/usr/bin/env bash
# Artifact store vs the stock tools, in one run, each pair alternating (A,B,A,B...):
#  1. `slipway artifact pack DIR` vs
#     `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - DIR | zstd -3 | sha256sum`;
#  2. `slipway artifact unpack DIGEST NEWDIR` vs `bsdtar -xf BLOB` and GNU `tar --zstd -xf BLOB`
#     into fresh directories on the same file system;
#  3. `slipway artifact verify DIGEST` vs `zstd -dc BLOB | sha256sum`.
# Pack and verify run twice: as the CPU is, and with its SHA extensions hidden from Slipway's
# SHA-256 (BoringSSL), for the figures of a CPU without them. Wall and CPU time (user + system
# of the process tree) are both reported: on a shared machine CPU is the steadier figure.
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
# measure_into NAME CMD...: appends the wall time of CMD (microseconds) to NAME and its CPU time,
# user + system of the whole process tree (microseconds), to NAME_cpu.
measure_into() {
  local -n wall=$1 cpu=${1}_cpu; shift
  local start end
  start=$(now_us)
  /usr/bin/time -f "%U %S" -o "$work/time" "$@" >/dev/null
  end=$(now_us)
  wall+=($((end - start)))
  cpu+=($(awk '{ printf "%d", ($1 + $2) * 1e6 }' "$work/time"))
}
# BoringSSL (swift-crypto) reads OPENSSL_ia32cap: this mask hides the SHA extensions from it,
# so one machine gives the figures of a CPU without them (the peers' sha256sum never uses them).
nosha=(env "OPENSSL_ia32cap=:~0x20000000")

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
export -f tar_zstd slipway_pack
export src SLIPWAY

# --- 1. Pack. ---
pack=() pack_cpu=() packn=() packn_cpu=() peer_pack=() peer_pack_cpu=()
for run in $(seq 1 "$runs"); do
  measure_into pack bash -c slipway_pack
  measure_into peer_pack bash -c tar_zstd
  measure_into packn "${nosha[@]}" bash -c slipway_pack
done
digest=$("$SLIPWAY" artifact pack "$src")
hex=${digest#sha256:}
blob=$SLIPWAY_HOME/store/blobs/sha256/${hex:0:2}/$hex
echo "artifact $digest: $(($(stat -c %s "$blob") >> 20)) MB stored (zstd)" >&2

# --- 2. Unpack into fresh directories. ---
unpack=() unpack_cpu=() bsd=() bsd_cpu=() gnu=() gnu_cpu=()
bsdtar_x() { mkdir "$1" && bsdtar -xf "$blob" -C "$1"; }
gnutar_x() { mkdir "$1" && tar --zstd -xf "$blob" -C "$1"; }
export -f bsdtar_x gnutar_x
export blob
for run in $(seq 1 "$runs"); do
  measure_into unpack "$SLIPWAY" artifact unpack "$digest" "$work/u-slipway"
  measure_into bsd bash -c 'bsdtar_x "$0"' "$work/u-bsdtar"
  measure_into gnu bash -c 'gnutar_x "$0"' "$work/u-gnutar"
  rm -rf "$work/u-slipway" "$work/u-bsdtar" "$work/u-gnutar"
done

# --- 3. Verify. ---
verify=() verify_cpu=() verifyn=() verifyn_cpu=() peer_verify=() peer_verify_cpu=()
for run in $(seq 1 "$runs"); do
  measure_into verify "$SLIPWAY" artifact verify "$digest"
  measure_into peer_verify bash -c "zstd -q -dc '$blob' | sha256sum"
  measure_into verifyn "${nosha[@]}" "$SLIPWAY" artifact verify "$digest"
done

m() { printf '%s\n' "$@" | median; }
ms() { awk -v us="$1" 'BEGIN { printf "%.0f ms", us / 1e3 }'; }
# row LABEL TARGET SLIPWAY-ARRAY PEER-LABEL PEER-ARRAY: one line of the table, wall and CPU.
row() {
  local -n sw=$3 sc=${3}_cpu pw=$5 pc=${5}_cpu
  local a b c d
  a=$(m "${sw[@]}") b=$(m "${pw[@]}") c=$(m "${sc[@]}") d=$(m "${pc[@]}")
  echo "| $1 | $(secs "$a") / $(ms "$c") | $4 | $(secs "$b") / $(ms "$d") | **$(ratio "$a" "$b")** | $(ratio "$c" "$d") | $2 |"
}
echo "cpu: $cpu_model, SHA extensions: $cpu_sha (rows marked \"no SHA\": masked from BoringSSL with OPENSSL_ia32cap)"
echo "| what | Slipway wall / CPU (median of $runs) | peer | peer wall / CPU | wall ratio | CPU ratio | target (wall) |"
echo "|---|---|---|---|---|---|---|"
row "\`artifact pack DIR\`" "≤ 0.8" pack "\`tar --sort=name … \| zstd -3 \| sha256sum\`" peer_pack
row "\`artifact pack DIR\`, no SHA" "≤ 0.8" packn "the same" peer_pack
row "\`artifact unpack DIGEST NEW\`" "≤ 0.8" unpack "\`bsdtar -xf BLOB\`" bsd
row "" "≤ 1.0" unpack "GNU \`tar --zstd -xf BLOB\`" gnu
row "\`artifact verify DIGEST\`" "≤ 0.8" verify "\`zstd -dc BLOB \| sha256sum\`" peer_verify
row "\`artifact verify DIGEST\`, no SHA" "≤ 0.8" verifyn "the same" peer_verify
echo "all runs, wall (us): pack ${pack[*]} / no SHA ${packn[*]} / peer ${peer_pack[*]}; unpack ${unpack[*]} / bsdtar ${bsd[*]} / gnu ${gnu[*]}; verify ${verify[*]} / no SHA ${verifyn[*]} / peer ${peer_verify[*]}" >&2
