#!/usr/bin/env bash
# A rolling deploy to a fleet vs the same steps by hand, in one run: a 50 MB artifact to 4
# hosts (network namespaces on a bridge, each with its own sshd, as in the tests), one host
# at a time, with a trivial hook (ApplicationStart: `true`):
#   slipway: `slipway deploy DIGEST --target ssh://… ×4 --batch one` (lock, upload and unpack
#            with the digest checked, journal, hook, switch, per host);
#   by hand: per host `scp` the stored blob, `ssh … 'zstd -dc | tar -x'`, `ln -s` + `mv -T`.
# Median of RUNS runs each (alternating, a fresh target each run) and the ratio (target ≤ 1.2).
#
# Usage (root: it makes network namespaces): benchmarks/fleet.sh
#   SLIPWAY=path/to/slipway RUNS=5 WORK=/tmp/dir benchmarks/fleet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
[ "$(id -u)" -eq 0 ] || { echo "$(basename "$0"): run as root (it makes network namespaces)" >&2; exit 2; }
source benchmarks/lib.sh
require_tools ip sshd ssh scp zstd tar
source benchmarks/release.sh
use_work_directory fleet
chmod 755 "$work"

ms() { awk -v us="$1" 'BEGIN { printf "%.0f ms", us / 1000 }'; }

# --- The fleet: a bridge here, 4 namespaces with sshd, one client key. ---
prefix=slwb$$ net=10.214.$(($$ % 200 + 20))
user=slipway-fleet
getent passwd "$user" >/dev/null || useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh --password '*' "$user"
on_exit() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
    for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns"
  done
  ip link del "$prefix" 2>/dev/null || true
}
ip link add "$prefix" type bridge && ip addr add "$net.1/24" dev "$prefix" && ip link set "$prefix" up
mkdir -p "$work/ssh" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh/client_key"
cp "$work/ssh/client_key.pub" "$work/ssh/authorized_keys"
: > "$work/ssh/known_hosts"
for i in 1 2 3 4; do
  ns=$prefix-h$i host=$work/h$i
  mkdir -p "$host"; chown "$user" "$host"
  ip netns add "$ns"
  ip link add "${prefix}h$i" type veth peer name eth0 netns "$ns"
  ip link set "${prefix}h$i" master "$prefix" up
  ip -n "$ns" addr add "$net.1$i/24" dev eth0; ip -n "$ns" link set eth0 up; ip -n "$ns" link set lo up
  ssh-keygen -q -t ed25519 -N '' -f "$host/host_key"
  echo "$net.1$i $(cut -d' ' -f1-2 "$host/host_key.pub")" >> "$work/ssh/known_hosts"
  printf '%s\n' "ListenAddress $net.1$i:22" "HostKey $host/host_key" "AuthorizedKeysFile $work/ssh/authorized_keys" \
    "StrictModes no" "UsePAM no" "Subsystem sftp internal-sftp" "PasswordAuthentication no" "PrintMotd no" "PidFile $host/sshd.pid" > "$host/sshd_config"
  ip netns exec "$ns" /usr/sbin/sshd -f "$host/sshd_config"
done
ssh_options=(-F /dev/null -i "$work/ssh/client_key" -o IdentitiesOnly=yes -o "UserKnownHostsFile=$work/ssh/known_hosts"
             -o StrictHostKeyChecking=yes -o BatchMode=yes)
export SLIPWAY_SSH_COMMAND="ssh ${ssh_options[*]}"
for i in 1 2 3 4; do
  for _ in $(seq 100); do ssh "${ssh_options[@]}" "$user@$net.1$i" true 2>/dev/null && break; sleep 0.1; done
done

# --- The artifact: 1200 incompressible 40 KiB files and 2 MB of text, about 50 MB, with a trivial hook. ---
src=$work/src
mkdir -p "$src/assets" "$src/text" "$src/scripts"
head -c $((1200 * 40960)) /dev/urandom | split -b 40960 -a 3 - "$src/assets/f"
for i in $(seq 1 200); do seq 1 1500 | sed "s/^/line $i /" > "$src/text/t$i.txt"; done
printf '#!/bin/sh\ntrue\n' > "$src/scripts/start.sh"; chmod 755 "$src/scripts/start.sh"
printf 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n' > "$src/appspec.yml"
digest=$("$SLIPWAY" artifact pack "$src")
hex=${digest#sha256:}
blob=$SLIPWAY_HOME/store/blobs/sha256/${hex:0:2}/$hex
echo "artifact $digest: $(du -sm "$src" | cut -f1) MB unpacked, $(($(stat -c %s "$blob") / 1048576)) MB stored (zstd)" >&2

slipway_deploy() {
  local targets=() i
  for i in 1 2 3 4; do targets+=(--target "ssh://$user@$net.1$i$work/h$i/$1"); done
  "$SLIPWAY" deploy "$digest" "${targets[@]}" --batch one 2>/dev/null
}
hand_deploy() {
  local i login
  for i in 1 2 3 4; do
    login=$user@$net.1$i
    scp -q "${ssh_options[@]}" "$blob" "$login:$work/h$i/blob.tar.zst"
    ssh "${ssh_options[@]}" "$login" "cd $work/h$i && mkdir -p $1/releases/r1 && zstd -q -dc blob.tar.zst | tar -x -C $1/releases/r1 \
      && rm blob.tar.zst && (cd $1/releases/r1 && ./scripts/start.sh) && ln -s releases/r1 $1/.tmp && mv -T $1/.tmp $1/current"
  done
}
slipway_times=() hand_times=()
for run in $(seq 1 "$runs"); do
  time_us slipway_times slipway_deploy "s$run"
  time_us hand_times hand_deploy "h$run"
  for i in 1 2 3 4; do [ -e "$work/h$i/s$run/current/appspec.yml" ] || { echo "the slipway deploy to h$i did not go live" >&2; exit 1; }; done
  for i in 1 2 3 4; do rm -rf "$work/h$i/s$run" "$work/h$i/h$run"; done
done
slipway_med=$(printf '%s\n' "${slipway_times[@]}" | median)
hand_med=$(printf '%s\n' "${hand_times[@]}" | median)

echo "| what | median of $runs |"
echo "|---|---|"
echo "| \`slipway deploy\` of the 50 MB artifact to 4 hosts over SSH, one at a time (digest checked, journal, hook, switch) | $(ms "$slipway_med") |"
echo "| by hand, per host: \`scp\` the blob, \`ssh 'zstd -dc \\| tar -x'\`, the hook, \`ln -s\` + \`mv -T\` | $(ms "$hand_med") |"
echo "| **ratio slipway / by hand** (target ≤ 1.2) | **$(ratio "$slipway_med" "$hand_med")** |"
