#!/usr/bin/env bash
# A real C build through Slipway against the same commands by hand: GNU hello 2.10
# (examples/hello-c: configure, make, make check, make install) with `slipway build
# --no-cache` on the images/debian image, and the same four commands in `bwrap --unshare-all`
# over the same root filesystem (read-only, a tmpfs /tmp, the tree bound writable on
# /workspace), followed by packing `out/` as Slipway would (tar --sort | zstd -3 |
# sha256sum), on the commit's tree exported with git archive. Fresh trees each time,
# alternating, medians of RUNS; prints Slipway's overhead as a wall-time ratio (bwrap's CPU
# is not counted: the processes in its sandbox are reaped by its own PID 1).
#   benchmarks/c-build.sh [RUNS]      SLIPWAY=path/to/slipway to skip the release build
#   IMAGE=path/to/rootfs to use an unpacked debian tree (default: build images/debian)
set -euo pipefail
runs=${1:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/benchmarks/release.sh"
source "$repo/benchmarks/lib.sh"
require_tools bwrap zstd sha256sum git curl
use_work_directory c-build

if [ -n "${IMAGE:-}" ]; then
  rootfs=$IMAGE
else
  "$SLIPWAY" image build "$repo/images/debian" >/dev/null
  rootfs=$("$SLIPWAY" image inspect debian --json | jq -r .rootfs)
fi
"$repo/examples/hello-c/prepare" "$work/source" 2>/dev/null

commands='./configure --prefix=/usr && make -j"$(nproc)" && make check && make install DESTDIR="$PWD/out"'
by_hand() {
  # The commit's tree as Slipway snapshots it (git archive: every file at the commit's time).
  rm -rf "$work/hand" && mkdir "$work/hand" && git -C "$work/source" archive --format=tar HEAD | tar -x -C "$work/hand" &&
  bwrap --unshare-all --die-with-parent --ro-bind "$rootfs" / --dev /dev --proc /proc --tmpfs /tmp \
    --bind "$work/hand" /workspace --chdir /workspace \
    --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --setenv HOME /root \
    /bin/sh -ec "$commands" &&
  tar --sort=name --format=posix --numeric-owner --mtime=@0 -C "$work/hand/out" -cf - . | zstd -3 -q | sha256sum
}
through_slipway() {
  rm -rf "$work/checkout" && git clone -q "$work/source" "$work/checkout"
  "$SLIPWAY" build "$work/checkout" --image "$rootfs" --no-cache
}
: > "$work/slipway.times"; : > "$work/hand.times"
for run in $(seq "$runs"); do
  measure through_slipway >> "$work/slipway.times" || { echo "c-build.sh: the build through slipway failed; run it alone: $SLIPWAY build $work/checkout --image $rootfs" >&2; exit 1; }
  measure by_hand >> "$work/hand.times" || { echo "c-build.sh: the build by hand failed" >&2; exit 1; }
done
printf 'GNU hello 2.10: configure, make, make check, make install; load average %s; median of %d runs\n' \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs"
timing_rows "slipway build --no-cache" "$work/slipway.times" \
  "the same commands in bwrap, then tar | zstd" "$work/hand.times"
echo "ratio slipway / by hand: wall $(ratio "$(wall_median "$work/slipway.times")" "$(wall_median "$work/hand.times")") (target <= 1.10)"
