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

# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"

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
