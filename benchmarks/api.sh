#!/usr/bin/env bash
# Service API latency: GET /api/runs?limit=1000 (one page of 1,000 runs with their stages, about
# 1.3 MB of JSON) from a release `slipway serve`, with wrk: p50/p90/p99 over DURATION seconds
# and CONNECTIONS connections. Target: p99 < 50 ms.
#
# The state store is seeded with 1,000 finished runs of four stages each, inserted with sqlite3
# in the shape the orchestrator writes (Sources/State/StateStore+Schema.swift; the schema's
# triggers stamp them as for any writer), after a first start of the service has created the
# database. Their pipeline is registered with no retention limit, so the service's pruning
# keeps all of them.
#
# Besides wrk's latencies it prints the service's CPU time per request (user + system, from
# /proc), a figure that depends less on what else the machine is running.
#
# Usage: benchmarks/api.sh            (builds a release binary if SLIPWAY is not set)
#   SLIPWAY=path/to/slipway DURATION=10 CONNECTIONS=2 WORK=/tmp/dir benchmarks/api.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
connections=${CONNECTIONS:-2}
runs=${RUNS:-1000}
source benchmarks/lib.sh
require_tools wrk sqlite3 curl
source benchmarks/release.sh
pid=""
on_exit() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; }
use_work_directory api

# Starts the service on a free port; sets pid and url.
serve() {
  : > "$work/serve.log"
  "$SLIPWAY" serve --listen 127.0.0.1:0 2> "$work/serve.log" > /dev/null &
  pid=$!
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "api.sh: slipway serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

serve; stop   # creates state.sqlite with its schema
sqlite3 "$SLIPWAY_HOME/state.sqlite" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
INSERT INTO pipeline (name, repository, branch, targets, definition, updated)
VALUES ('hello-site', '/srv/git/hello-site.git', 'main', '[]',
        '{"name":"hello-site","source":{"repository":"/srv/git/hello-site.git"},"build":{"image":"busybox","environment":{},"timeout":3600},"stages":[],"retention":{"runs":null,"days":null}}',
        1764300000);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $runs)
INSERT INTO run (pipeline, status, trigger_kind, trigger_actor, commit_id, commit_author, commit_time, commit_message,
                 created, started, finished, artifact, release)
SELECT 'hello-site', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'webhook', 'octocat@203.0.113.7',
       printf('%040x', i * 2654435761), 'A U Thor <author@example.com>', 1764300000 + i * 60,
       'Change number ' || i || char(10) || char(10) || 'A body line long enough to look like a real commit message.',
       1764300000 + i * 60, 1764300001 + i * 60, 1764300009 + i * 60,
       'sha256:' || printf('%064x', i), '20261128T0900' || printf('%02d', i % 60) || 'Z-' || printf('%06x', i)
FROM n;
INSERT INTO stage (run, position, name, kind, status, started, finished, detail)
SELECT run.id, s.position, s.name, s.kind, 'succeeded', run.started + s.position * 2, run.started + s.position * 2 + 2, s.detail
FROM run, (SELECT 0 AS position, 'source' AS name, 'source' AS kind, 'commit' AS detail
           UNION ALL SELECT 1, 'build', 'build', 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
           UNION ALL SELECT 2, 'approve', 'approval', 'approved by ops'
           UNION ALL SELECT 3, 'deploy-local', 'deploy', '20261128T090000Z-abcdef') AS s;
SQL
serve
endpoint="$url/api/runs?limit=1000"
bytes=$(curl -s "$endpoint" | wc -c)
count=$(curl -s "$endpoint" | grep -o '"pipeline":' | wc -l)
[ "$count" -eq "$runs" ] || { echo "api.sh: expected $runs runs in the listing, got $count" >&2; exit 1; }
wrk -t1 -c"$connections" -d1s "$endpoint" > /dev/null   # warm-up
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }   # utime + stime, clock ticks
cpu_before=$(cpu)
wrk -t1 -c"$connections" -d"${duration}s" --latency "$endpoint" > "$work/wrk.txt"
cpu_after=$(cpu)
stop
p() { awk -v q="$1" '$1 == q { print $2 }' "$work/wrk.txt"; }
echo "GET /api/runs?limit=1000: $count runs, $bytes bytes of JSON; wrk ${duration}s, $connections connections"
echo "requests/s: $(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt")"
echo "latency p50 $(p 50%)  p90 $(p 90%)  p99 $(p 99%)  (target p99 < 50ms)"
requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
echo "service CPU per request: $(awk -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
  'BEGIN { printf "%.2f ms", t * 1000 / hz / n }') ($requests requests)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
