#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: repeatable for the same binary
# and data whatever else the machine is doing, so it compares two builds where a wall-clock
# benchmark on a busy 2-core machine cannot.
#
#   scripts/instructions-per-request.sh [BIN] [REQUESTS]
#
# BIN defaults to target/release/partner-gateway (build it first). Seeds the default demo
# data (20,000 orders, SQLite) with BIN, serves it under callgrind, warms up with 10 requests,
# zeroes the counters, sends REQUESTS (default 100) GraphQL pages of 50 orders with items,
# customer and branch, and prints the instructions per request (the server's process, all
# threads, SQLite's engine included).
#
# DB_URL=postgres://… serves an already seeded PostgreSQL database instead (no seeding; the
# instructions are then the gateway's alone, PostgreSQL's own work runs in its processes).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/partner-gateway}
N=${2:-100}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/partner-gateway-ir.XXXXXX)
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB_URL=${DB_URL:-}
if [ -z "$DB_URL" ]; then
  DB_URL="sqlite://$WORK/demo.db"
  env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn "$BIN" --database-url "$DB_URL" seed >/dev/null 2>&1
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn valgrind --tool=callgrind \
  --callgrind-out-file="$WORK/cg.out" "$BIN" --database-url "$DB_URL" \
  --bind "127.0.0.1:$PORT" --rate-limit-pro 10000000 serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
python3 - "$PORT" "$N" <<'PY'
import json, subprocess, sys, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}"
token = json.load(urllib.request.urlopen(urllib.request.Request(
    base + "/oauth/token",
    data=b"grant_type=client_credentials&client_id=demo-full-access"
         b"&client_secret=pgs_demo_full_access_secret")))["access_token"]
query = json.dumps({"query": "{ salesOrders(first: 50) { edges { node { orderNumber totalAmount "
                    "items { skuName quantity lineTotal } customer { name } branch { name } } } } }"}).encode()
def page():
    request = urllib.request.Request(base + "/graphql", data=query, headers={
        "Authorization": "Bearer " + token, "content-type": "application/json"})
    body = json.load(urllib.request.urlopen(request))
    assert "errors" not in body and len(body["data"]["salesOrders"]["edges"]) == 50, body
for _ in range(10):
    page()
subprocess.run(["callgrind_control", "-z"], check=True, capture_output=True)
for _ in range(n):
    page()
subprocess.run(["callgrind_control", "-d"], check=True, capture_output=True)
PY
DUMP=$(ls -v "$WORK"/cg.out.* | tail -1)
TOTAL=$(grep -m1 '^summary:' "$DUMP" | awk '{print $2}')
echo "$((TOTAL / N)) instructions per request ($N requests of 50 orders with items, customer, branch)"
