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

# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"

echo "graphql-http audits against $BASE/graphql"
TOKEN="$TOKEN" NODE_PATH="$TOOLS/node_modules" node scripts/graphql-http-audit.js "$BASE/graphql"
