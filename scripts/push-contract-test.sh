#!/usr/bin/env bash
# Property-based contract test of the Push Integration API: schemathesis generates requests
# from its served OpenAPI document (/api/v1/openapi.json) and checks every response against it,
# with the demo key (X-API-Key) and an operator token (for /api/v1/api-keys) on every request.
# `positive_data_acceptance` is excluded, as for the partner API: bodies that fit the schema
# may still break the documented rules (at most 4 decimal places, an unknown tenant or
# warehouse code), and their 400 answers are themselves documented and checked.
#
#   scripts/push-contract-test.sh            # EXAMPLES=25 per operation by default
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${EXAMPLES:-25}
SCHEMATHESIS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis"
if [ ! -x "$SCHEMATHESIS" ]; then
  python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi

# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"

OPERATOR=$(env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
  target/debug/partner-gateway admin-token --subject contract-test)

"$SCHEMATHESIS" run "$BASE/api/v1/openapi.json" \
  --url "$BASE" \
  --header "X-API-Key: wms_demo_push_integration_key_0123456789abcdef" \
  --header "Authorization: Bearer $OPERATOR" \
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
echo "push contract: schemathesis found no violation"
