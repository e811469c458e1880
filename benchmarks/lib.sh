# Sourced by the benchmarks: the tool check, the clocks, the timing of one command and the
# statistics every script reports, so that each figure in docs/benchmarks.md is computed the
# same way.

# require_tools TOOL...: exits 2 naming the first tool that is not installed.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null ||
      { echo "$(basename "$0"): $tool is not installed (scripts/install-deps installs it)" >&2; exit 2; }
  done
}

# use_work_directory NAME: sets `work` to $WORK or a new directory on tmpfs (on the VM disks
# here file creation and fsync times swing by 10x for every tool), with SLIPWAY_HOME in it;
# removed on exit unless KEEP is set, after the script's own `on_exit` when it defines one.
use_work_directory() {
  work=${WORK:-$(mktemp -d "/dev/shm/slipway-bench-$1.XXXXXX")}
  mkdir -p "$work"
  export SLIPWAY_HOME=$work/home
  trap '! declare -F on_exit >/dev/null || on_exit; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
}

# start_moto SCRIPT BUCKET: checks for the AWS CLI and moto, starts moto's S3 server on a
# random port of 127.0.0.1 (log in $work/moto.log: call after use_work_directory; the
# script's `on_exit` calls stop_moto), points the AWS variables at it and makes BUCKET.
moto_pid=
start_moto() {
  command -v aws >/dev/null || { echo "$1: the AWS CLI is not installed (pip install awscli)" >&2; exit 2; }
  python3 -c 'import moto.server' 2>/dev/null || { echo "$1: moto is not installed (scripts/install-deps)" >&2; exit 2; }
  local port=$((20000 + RANDOM % 30000))
  python3 -m moto.server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
  moto_pid=$!
  export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
  export AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent
  for _ in $(seq 200); do curl -s "$AWS_ENDPOINT_URL" >/dev/null && break; sleep 0.05; done
  aws s3 mb "s3://$2" >/dev/null
}
stop_moto() { [ -z "$moto_pid" ] || { kill -9 "$moto_pid"; wait "$moto_pid"; } 2>/dev/null || true; }

now_ms() { date +%s%3N; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# elapsed_ms CMD...: prints the wall time of CMD in milliseconds; CMD's output is discarded.
elapsed_ms() {
  local start end
  start=$(now_ms); "$@" >/dev/null 2>&1; end=$(now_ms)
  echo $((end - start))
}

# time_us VAR CMD...: appends the wall time of CMD in microseconds to the array VAR; CMD's
# standard output is discarded.
time_us() {
  local -n into=$1; shift
  local start end
  start=$(now_us); "$@" >/dev/null; end=$(now_us)
  into+=($((end - start)))
}

# measure CMD...: prints "WALL CPU" in seconds (CPU: user + system, children included; on a
# busy machine the steadier figure); CMD's output is discarded.
measure() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'
}

# median: the median of the numbers on stdin, one a line (the mean of the middle two for an
# even count), printed in full rather than in awk's 6-digit exponent form.
median() {
  sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.15g\n", m }'
}

# medians FILE: the median of each of the two columns of FILE (as `measure` writes them),
# as "WALL CPU".
medians() {
  echo "$(cut -d' ' -f1 "$1" | median) $(cut -d' ' -f2 "$1" | median)"
}

# wall_median FILE: the median wall time of FILE (as `measure` writes it).
wall_median() { cut -d' ' -f1 "$1" | median; }

# timing_rows LABEL FILE [LABEL FILE]...: a "wall cpu" header, then a row of the medians of
# each file `measure` wrote.
timing_rows() {
  local wall cpu
  printf '%-48s %8s %8s\n' "" "wall" "cpu"
  while (($#)); do
    read -r wall cpu <<<"$(medians "$2")"
    printf '%-48s %7.3fs %7.3fs\n' "$1" "$wall" "$cpu"
    shift 2
  done
}

# timing_ratio LABEL FILE_A FILE_B: "ratio LABEL: wall X, cpu Y", the medians of A over B's.
timing_ratio() {
  local aw ac bw bc
  read -r aw ac <<<"$(medians "$2")"
  read -r bw bc <<<"$(medians "$3")"
  echo "ratio $1: wall $(ratio "$aw" "$bw"), cpu $(ratio "$ac" "$bc")"
}

# percentile P: the P-th percentile (nearest rank) of the numbers on stdin, one a line.
percentile() {
  sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print a[i] }'
}

# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
