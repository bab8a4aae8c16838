#!/usr/bin/env bash
# A short load test against a throw-away demo server (debug build, SQLite): for 20 s, 16
# connections page `GET /sales?limit=50` and 16 post a nested GraphQL page (50 orders with
# items, customer and branch). Fails on any non-2xx answer, any socket timeout, any ERROR line
# in the server log, or resident memory growing more than 64 MiB over its size after warm-up.
#   scripts/load-test.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-20}
MAX_GROWTH_KB=$((64 * 1024))
if ! command -v wrk >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
export LOG_FORMAT=json
# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"

cat >"$WORK/graphql.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ salesOrders(first: 50) { edges { node { orderNumber totalAmount items { skuName quantity lineTotal } customer { name } branch { name } } } pageInfo { endCursor } } }"}'
LUA
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER/status"; }

# Warm-up, then the baseline.
wrk -t1 -c8 -d3s -H "Authorization: Bearer $TOKEN" "$BASE/api/partner/v1/sales?limit=50" >/dev/null
wrk -t1 -c8 -d3s -s "$WORK/graphql.lua" -H "Authorization: Bearer $TOKEN" "$BASE/graphql" >/dev/null
BEFORE=$(rss_kb)

wrk -t1 -c16 -d"${SECONDS_TO_RUN}s" --latency -H "Authorization: Bearer $TOKEN" \
  "$BASE/api/partner/v1/sales?limit=50" >"$WORK/rest.txt" &
REST=$!
wrk -t1 -c16 -d"${SECONDS_TO_RUN}s" --latency -s "$WORK/graphql.lua" -H "Authorization: Bearer $TOKEN" \
  "$BASE/graphql" >"$WORK/graphql.txt" &
GRAPHQL=$!
wait "$REST" "$GRAPHQL"
AFTER=$(rss_kb)

status=0
for part in rest graphql; do
  echo "--- $part"
  grep -E "Requests/sec|Latency  |99%|Non-2xx|Socket errors|requests in" "$WORK/$part.txt"
  if grep -q "Non-2xx" "$WORK/$part.txt"; then echo "FAIL: $part had non-2xx answers" >&2; status=1; fi
  if grep -Eq "Socket errors:.*timeout [1-9]" "$WORK/$part.txt"; then echo "FAIL: $part had timeouts" >&2; status=1; fi
done
echo "RSS after warm-up ${BEFORE} KiB, after the run ${AFTER} KiB (bound: +${MAX_GROWTH_KB} KiB)"
if [ $((AFTER - BEFORE)) -gt "$MAX_GROWTH_KB" ]; then echo "FAIL: memory grew too much" >&2; status=1; fi
if grep -q '"level":"ERROR"' "$WORK/server.log"; then
  echo "FAIL: ERROR lines in the server log:" >&2
  grep '"level":"ERROR"' "$WORK/server.log" | head -20 >&2
  status=1
fi
if ! curl -fsS --max-time 1 "$BASE/healthz" >/dev/null; then echo "FAIL: /healthz after the run" >&2; status=1; fi
exit $status
