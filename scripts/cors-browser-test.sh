#!/usr/bin/env bash
# CORS per application in a real browser: headless Chromium (Debian's `chromium`, installed with
# apt-get when missing) driven by playwright-core (pinned, installed under target/). Builds the
# debug binary, seeds a throw-away demo database, allows one browser origin for demo-full-access
# (`apps origins`, before the server starts) and none for demo-no-pii, starts the demo server and
# fetches both apps' tokens. scripts/cors-browser-test.js then serves a page from that allowed
# origin and from a second origin on nobody's list (both loopback, other ports than the API) and
# checks, in the browser and with plain HTTP requests carrying an Origin header:
#   - from the allowed origin, GraphQL and REST answer with data and readable X-RateLimit-*;
#   - from the other origin, the browser blocks both (the preflight is refused: 403);
#   - from the allowed origin with the demo-no-pii token (no origins) the request is refused.
# Prints a PASS/FAIL line per check and exits non-zero when any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/browser-tools.sh
source "$(dirname "$0")/lib/browser-tools.sh"

cargo build --quiet --bin partner-gateway
BIN=target/debug/partner-gateway
WORK=$(mktemp -d /tmp/partner-gateway-cors.XXXXXX)
DB="sqlite://$WORK/demo.db"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PORT=$(free_port)
PAGE_PORT=$(free_port)
while [ "$PAGE_PORT" = "$PORT" ]; do PAGE_PORT=$(free_port); done
OTHER_PORT=$(free_port)
while [ "$OTHER_PORT" = "$PORT" ] || [ "$OTHER_PORT" = "$PAGE_PORT" ]; do OTHER_PORT=$(free_port); done
BASE="http://127.0.0.1:$PORT"
PAGE_ORIGIN="http://127.0.0.1:$PAGE_PORT"
OTHER_ORIGIN="http://127.0.0.1:$OTHER_PORT"

# Demo mode (no JWT_SECRET): the demo applications with their public secrets.
gateway() {
  env -u JWT_SECRET -u DATABASE_URL -u NO_DEMO RUST_LOG=warn "$BIN" --database-url "$DB" "$@"
}

# Setup checks go to a file the .js reads, so that one summary lists every check.
SETUP_CHECKS="$WORK/setup-checks.tsv"
: >"$SETUP_CHECKS"
record() { # PASS|FAIL name detail
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SETUP_CHECKS"
  printf '  %s  %s — %s\n' "$1" "$2" "$3"
}
one_line() { tr '\n' ' ' <"$1" | sed 's/  */ /g' | cut -c1-400; }

echo "CORS browser test: API $BASE, allowed page origin $PAGE_ORIGIN, other origin $OTHER_ORIGIN"
echo "setup:"

# The demo data and applications first (what `serve` does on an empty demo database), so that
# the origins are in place before the server starts and caches them.
if ! gateway seed >"$WORK/seed.log" 2>&1; then
  cat "$WORK/seed.log" >&2
  echo "FAIL: seeding the demo database failed (see above)" >&2
  exit 1
fi

if gateway apps origins --json demo-full-access "$PAGE_ORIGIN" >"$WORK/origins-full.out" 2>&1 &&
  grep -qF "$PAGE_ORIGIN" "$WORK/origins-full.out"; then
  record PASS "cli: apps origins demo-full-access $PAGE_ORIGIN" "$(one_line "$WORK/origins-full.out")"
else
  record FAIL "cli: apps origins demo-full-access $PAGE_ORIGIN" \
    "command failed or did not print the origin (CORS not implemented yet?): $(one_line "$WORK/origins-full.out")"
fi
if gateway apps origins --json demo-no-pii >"$WORK/origins-nopii.out" 2>&1 &&
  ! grep -qF "127.0.0.1" "$WORK/origins-nopii.out"; then
  record PASS "cli: apps origins demo-no-pii (cleared)" "$(one_line "$WORK/origins-nopii.out")"
else
  record FAIL "cli: apps origins demo-no-pii (cleared)" \
    "command failed or still lists an origin: $(one_line "$WORK/origins-nopii.out")"
fi

# Not through gateway(): $! must be the server itself, so that the cleanup stops it.
env -u JWT_SECRET -u DATABASE_URL -u NO_DEMO RUST_LOG=warn \
  "$BIN" --database-url "$DB" --bind "127.0.0.1:$PORT" --rate-limit-pro 10000000 serve \
  >"$WORK/server.log" 2>&1 &
SERVER=$!
ready=""
for _ in $(seq 1 120); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then ready=1; break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  cat "$WORK/server.log" >&2
  echo "FAIL: the demo server did not become ready on $BASE (log above)" >&2
  exit 1
fi

token() {
  curl -fsS -X POST "$BASE/oauth/token" \
    -d grant_type=client_credentials -d client_id="$1" -d client_secret="$2" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
if ! FULL_TOKEN=$(token demo-full-access pgs_demo_full_access_secret) ||
  ! NOPII_TOKEN=$(token demo-no-pii pgs_demo_no_pii_secret); then
  tail -n 20 "$WORK/server.log" >&2
  echo "FAIL: could not get the demo tokens from $BASE/oauth/token" >&2
  exit 1
fi
echo "  server ready on $BASE; tokens for demo-full-access and demo-no-pii"

# The server rereads the allowed origins every few seconds: wait until the preflight from the
# allowed origin is answered 204 (at once when the origins were read at start).
code=000
for _ in $(seq 1 30); do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -X OPTIONS "$BASE/graphql" \
    -H "Origin: $PAGE_ORIGIN" -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization,content-type' || true)
  if [ "$code" = 204 ]; then break; fi
  sleep 1
done
if [ "$code" = 204 ]; then
  record PASS "server honours the allowed origin" "preflight OPTIONS /graphql from $PAGE_ORIGIN: 204"
else
  record FAIL "server honours the allowed origin" \
    "preflight OPTIONS /graphql from $PAGE_ORIGIN still answered $code after 30 s (expected 204)"
fi

rc=0
CHROMIUM="$CHROMIUM" NODE_PATH="$TOOLS/node_modules" SETUP_CHECKS="$SETUP_CHECKS" \
  FULL_TOKEN="$FULL_TOKEN" NOPII_TOKEN="$NOPII_TOKEN" \
  node scripts/cors-browser-test.js "$BASE" "$PAGE_PORT" "$OTHER_PORT" || rc=$?
if [ "$rc" != 0 ]; then
  if grep -qE 'WARN|ERROR' "$WORK/server.log"; then
    echo "server log (warnings and errors, last 20):"
    grep -E 'WARN|ERROR' "$WORK/server.log" | tail -n 20 | sed 's/^/  /'
  else
    echo "server log: no warnings or errors"
  fi
fi
exit "$rc"
