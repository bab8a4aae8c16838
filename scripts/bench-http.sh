#!/usr/bin/env bash
# HTTP throughput of the release build on the default demo data (SQLite), measured with
# ApacheBench (`ab`, from apache2-utils). Prints a Markdown table for BENCHMARKS.md.
#   scripts/bench-http.sh [requests] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-2000}
CONCURRENCY=${2:-8}
command -v ab >/dev/null || { echo "needs ab (apt-get install apache2-utils)" >&2; exit 1; }
cargo build --release --quiet --bin partner-gateway

WORK=$(mktemp -d /tmp/partner-gateway-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
  target/release/partner-gateway --database-url "sqlite://$WORK/bench.db" --bind "127.0.0.1:$PORT" \
  --rate-limit-pro 10000000 serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 240); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 1; fi
  sleep 0.5
done
TOKEN=$(curl -fsS -X POST "$BASE/oauth/token" \
  -d grant_type=client_credentials -d client_id=demo-full-access -d client_secret=pgs_demo_full_access_secret |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

graphql_body() {
  python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1]}))' "$1" >"$WORK/$2.json"
}
graphql_body '{ salesOrders(first: 50) { edges { node { orderNumber totalAmount items { skuName quantity lineTotal } customer { name } branch { name } } } } }' orders50
graphql_body '{ salesOrders(first: 200) { edges { node { orderNumber totalAmount items { skuName quantity lineTotal } customer { name } branch { name } } } } }' orders200
graphql_body '{ purchaseOrders(first: 50) { edges { node { poNumber supplier { name } items { quantity sku { skuCode } } receipts { quantity } } } } }' po50
graphql_body '{ viewer { plan } }' viewer

# ab's summary lines → "requests/s | mean ms | p99 ms"
measure() {
  local out
  out=$(ab -q -n "$REQUESTS" -c "$CONCURRENCY" -H "Authorization: Bearer $TOKEN" "$@" 2>&1)
  if ! grep -q "Non-2xx responses" <<<"$out" && grep -q "Failed requests: *0" <<<"$out"; then :; else
    echo "errors in the run:" >&2; echo "$out" >&2; exit 1
  fi
  local rps mean p99
  rps=$(awk '/Requests per second/ {print $4}' <<<"$out")
  mean=$(awk '/Time per request/ && /\(mean\)/ && !/across/ {print $4; exit}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%s | %s | %s' "$rps" "$mean" "$p99"
}

echo "| request | requests/s | mean ms | p99 ms |"
echo "|---|---|---|---|"
echo "| REST \`GET /sales?limit=50\` | $(measure "$BASE/api/partner/v1/sales?limit=50") |"
echo "| REST \`GET /sales?limit=200\` | $(measure "$BASE/api/partner/v1/sales?limit=200") |"
for case in viewer orders50 orders200 po50; do
  echo "| GraphQL \`$case\` | $(measure -p "$WORK/$case.json" -T application/json "$BASE/graphql") |"
done
echo
echo "($REQUESTS requests per row, $CONCURRENCY concurrent, release build, default demo data on SQLite)"
