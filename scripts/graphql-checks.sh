#!/usr/bin/env bash
# GraphQL conformance checks with pinned npm tools (installed under target/, not committed):
#  1. graphql-schema-linter's Relay rules on the committed schema.graphql;
#  2. the graphql-http audit suite (GraphQL over HTTP) against a throw-away demo server:
#     every MUST audit has to pass; SHOULD/MAY findings are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=target/graphql-tools
if [ ! -x "$TOOLS/node_modules/.bin/graphql-schema-linter" ] || [ ! -d "$TOOLS/node_modules/graphql-http" ]; then
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' >"$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent \
    graphql@16.15.0 graphql-schema-linter@3.0.1 graphql-http@1.23.1
fi

echo "relay lint of schema.graphql"
"$TOOLS/node_modules/.bin/graphql-schema-linter" \
  --rules relay-connection-types-spec,relay-connection-arguments-spec,relay-page-info-spec \
  schema.graphql

cargo build --quiet --bin partner-gateway
WORK=$(mktemp -d /tmp/partner-gateway-graphql.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
  target/debug/partner-gateway --database-url "sqlite://$WORK/graphql.db" --bind "127.0.0.1:$PORT" \
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

echo "graphql-http audits against $BASE/graphql"
TOKEN="$TOKEN" NODE_PATH="$TOOLS/node_modules" node scripts/graphql-http-audit.js "$BASE/graphql"
