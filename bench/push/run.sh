#!/usr/bin/env bash
# What the push API's machinery (key guard, request log, idempotency) costs: upserts of new
# items through the release build, with and without it, on SQLite and on a throw-away
# PostgreSQL; and the same single upserts with a stalled or failing request-log sink.
#
#   bench/push/run.sh                      # Markdown table for BENCHMARKS.md on stdout
#   ROUNDS=1 DURATION=3s bench/push/run.sh # a quick check of the harness
#   bench/push/run.sh documents            # orders, GRNs and the stock inquiry (PostgreSQL;
#                                          # see bench/push/documents.py)
#   bench/push/run.sh webhooks             # webhook latency and throughput (PostgreSQL;
#                                          # see bench/push/webhooks.py)
#
# Environment: ROUNDS [3], DURATION per run [10s], WRK_THREADS [2], CASES (words of
# "bulk-full single-bare …" to keep) [all], SQLITE_ONLY=1 to skip PostgreSQL, PG_ONLY=1 to
# skip SQLite, SIDE_BY_SIDE=1 to run full and bare at the same time (see measure.py), OUT
# [target/bench-results/push-<UTC time>]. Needs wrk (installed with apt-get if missing),
# python3 and, for PostgreSQL, its server binaries (scripts/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (apt-get)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --features bench --example push-bench-server
export SERVER_BIN=${CARGO_TARGET_DIR:-target}/release/examples/push-bench-server
export OUT=${OUT:-target/bench-results/push-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ "${1:-}" = documents ]; then
  scripts/with-postgres.sh python3 bench/push/documents.py
elif [ "${1:-}" = webhooks ]; then
  scripts/with-postgres.sh python3 bench/push/webhooks.py
elif [ "${SQLITE_ONLY:-0}" = 1 ]; then
  python3 bench/push/measure.py
else
  # PG_URL points at the throw-away cluster; measure.py makes a database per run in it.
  scripts/with-postgres.sh python3 bench/push/measure.py
fi
