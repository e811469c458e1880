#!/usr/bin/env bash
# The job queue on PostgreSQL: how soon an idle worker takes a job it is told of (NOTIFY),
# and how many jobs per second 1, 2 and 4 worker processes drain. The workers run the claim
# loop `slipway worker` runs (JobLoop) with jobs that do nothing, so the figures are the
# queue's own: claim (FOR UPDATE SKIP LOCKED), lease, completion, wake-up. A throwaway
# PostgreSQL 15 cluster on 127.0.0.1, durability off as in the tests.
#
# Usage: benchmarks/queue.sh            (builds the benchmark in release mode)
#   WORK=/tmp/dir benchmarks/queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RELEASE_PRODUCTS=QueueBench source benchmarks/release.sh
source benchmarks/lib.sh
require_tools setpriv
bin=/usr/lib/postgresql/15/bin
[ -x $bin/postgres ] || { echo "queue.sh: PostgreSQL 15 is not installed (scripts/install-deps)" >&2; exit 2; }
postgres_pid=
on_exit() { [ -z "$postgres_pid" ] || kill -9 "$postgres_pid" 2>/dev/null || true; }
use_work_directory queue

chmod 755 "$work"
mkdir -m 700 "$work/data" && chown postgres:postgres "$work/data"
as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --reset-env)
"${as_postgres[@]}" $bin/initdb -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
port=$((20000 + RANDOM % 30000))
"${as_postgres[@]}" $bin/postgres -D "$work/data" -p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 > "$work/postgres.log" 2>&1 &
postgres_pid=$!
for _ in $(seq 300); do
  "${as_postgres[@]}" $bin/psql -h 127.0.0.1 -p $port -U postgres -c 'CREATE DATABASE bench' >/dev/null 2>&1 && break
  sleep 0.1
done
.build-release/release/QueueBench "postgres://postgres@127.0.0.1:$port/bench"
