#!/usr/bin/env bash
# Property-based contract test: schemathesis generates requests from the served OpenAPI
# document and checks every response against it (no 5xx, status codes, content types, bodies,
# headers). Runs against a throw-away demo server on a free loopback port.
# `positive_data_acceptance` is excluded: requests that fit the schema may still break the
# documented business rules (the 30-day date rules, unknown branch or warehouse ids), and
# their 400/404 answers are themselves documented and checked.
#
#   scripts/contract-test.sh            # EXAMPLES=25 per operation by default
#   EXAMPLES=200 scripts/contract-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${EXAMPLES:-25}

# The console script of the interpreter's own scripts directory (pyenv shims may not know a
# freshly installed command until rehashed).
SCHEMATHESIS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis"
if [ ! -x "$SCHEMATHESIS" ]; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi

cargo build --quiet --bin partner-gateway
WORK=$(mktemp -d /tmp/partner-gateway-contract.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"

# Demo mode: demo data and credentials; a quota large enough for the fuzzer.
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
  target/debug/partner-gateway --database-url "sqlite://$WORK/contract.db" --bind "127.0.0.1:$PORT" \
  --rate-limit-pro 10000000 serve >"$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 120); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 1; fi
  sleep 0.5
done

TOKEN=$(curl -fsS -X POST "$BASE/oauth/token" \
  -d grant_type=client_credentials -d client_id=demo-full-access -d client_secret=pgs_demo_full_access_secret |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

"$SCHEMATHESIS" run "$BASE/api/partner/v1/openapi.json" \
  --url "$BASE" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --max-examples "$EXAMPLES" \
  --generation-deterministic \
  --request-timeout 30

if grep -q "panicked" "$WORK/server.log"; then
  echo "the server panicked during the run:" >&2
  grep -A5 "panicked" "$WORK/server.log" >&2
  exit 1
fi
echo "contract: schemathesis found no violation"
