#!/usr/bin/env bash
# Keyset depth on the embedded SQLite default: `GET /sales?limit=50` at page 1 and at deep
# pages of the 30-day window, release build, wrk in alternating rounds, medians and spread.
# The PostgreSQL side of the same question is bench/run.sh (its page<N> rows).
#
#   bench/sqlite-depth.sh                          # 200,000 orders, pages 1, 500, 2,500
#   ORDERS=1000000 PAGES="1 500 2500 10000" bench/sqlite-depth.sh
#
# Environment (defaults in brackets): BIN [target/release/partner-gateway, built if missing],
# ORDERS [200000], PAGES [1 500 2500] (clamped to the window's last page), ROUNDS [3],
# DURATION [10s], CONNECTIONS [8], WRK_THREADS [2]. Needs wrk (apt-get if missing), curl,
# python3. Prints a Markdown table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/partner-gateway}
ORDERS=${ORDERS:-200000}
PAGES=${PAGES:-1 500 2500}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
WRK_THREADS=${WRK_THREADS:-2}
say() { printf '[sqlite-depth] %s\n' "$*" >&2; }

[ -x "$BIN" ] || cargo build --release
if ! command -v wrk >/dev/null; then
  say "installing wrk"
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi

WORK=$(mktemp -d /tmp/partner-gateway-sqlite-depth.XXXXXX)
trap 'kill "${PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/demo.db"
say "seeding $ORDERS orders into $WORK/demo.db"
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn "$BIN" --database-url "$DB" seed --orders "$ORDERS" >"$WORK/seed.log" 2>&1 ||
  { cat "$WORK/seed.log" >&2; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn "$BIN" --database-url "$DB" --bind "127.0.0.1:$PORT" \
  --rate-limit-pro 10000000 --rate-limit-enterprise 10000000 --token-ttl-seconds 86400 serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
TOKEN=$(curl -fsS -X POST "$BASE/oauth/token" -d grant_type=client_credentials \
  -d client_id=demo-full-access -d client_secret=pgs_demo_full_access_secret |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# The URL of every page asked for, by walking the cursors from page 1.
say "walking the cursors to pages $PAGES"
python3 - "$BASE" "$TOKEN" "$WORK/pages" $PAGES <<'PY'
import json, sys, urllib.request
base, token, out, pages = sys.argv[1], sys.argv[2], sys.argv[3], sorted(int(p) for p in sys.argv[4:])
url = base + "/api/partner/v1/sales?limit=50"
found, page = {}, 1
while True:
    if page in pages:
        found[page] = url
    if page >= pages[-1]:
        break
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    body = json.load(urllib.request.urlopen(req))
    cursor = body["pagination"]["next_cursor"]
    if not cursor:
        found.setdefault(page, url)  # the window's last page stands in for deeper ones
        break
    page += 1
    url = base + "/api/partner/v1/sales?limit=50&cursor=" + cursor
with open(out, "w") as f:
    for p in pages:
        q = p if p in found else max(found)
        f.write(f"{p} {q} {found[q]}\n")
PY

: >"$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
  while read -r asked page url; do
    line=$(WRK_TOKEN=$TOKEN wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 30s \
      -s bench/lib/wrk.lua "$url" | grep '^WRKJSON ')
    echo "$asked $page $round ${line#WRKJSON }" >>"$WORK/results"
    say "round $round, page $page: $(echo "${line#WRKJSON }" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(round(r["requests"]/r["duration_us"]*1e6), "req/s")')"
  done <"$WORK/pages"
done

python3 - "$WORK/results" "$ORDERS" "$CONNECTIONS" "$DURATION" "$ROUNDS" <<'PY'
import json, statistics, sys
path, orders, conns, duration, rounds = sys.argv[1:]
rows = {}
for line in open(path):
    asked, page, _round, doc = line.split(" ", 3)
    r = json.loads(doc)
    if sum(r["errors"].values()):
        sys.exit(f"page {page}: wrk saw errors {r['errors']}")
    rows.setdefault((int(asked), int(page)), []).append(
        (r["requests"] / r["duration_us"] * 1e6, r["latency_p99_us"] / 1000))
first = statistics.median(v[0] for v in rows[min(rows)])
print(f"| `GET /sales?limit=50` on SQLite, {int(orders):,} orders | req/s, {conns} conn. | p99 ms | / page 1 |")
print("|---|---|---|---|")
for (asked, page), vals in sorted(rows.items()):
    rps = [v[0] for v in vals]
    p99 = statistics.median(v[1] for v in vals)
    label = f"page {page:,}" + ("" if asked == page else f" (the last; {asked:,} asked)")
    print(f"| {label} | {statistics.median(rps):,.0f} ({min(rps):,.0f}–{max(rps):,.0f}) | "
          f"{p99:.2f} | {statistics.median(rps) / first:.2f} |")
print(f"\n{rounds} rounds of {duration} per page, alternating.")
PY
