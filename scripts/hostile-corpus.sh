#!/usr/bin/env bash
# Sends the hostile corpus (tests/hostile/corpus.py) to a throw-away demo server: every case
# refused or answered within its bound, /healthz within 1 s after each, the process alive,
# and not one ERROR line in its log (client mistakes are not our errors).
set -euo pipefail
cd "$(dirname "$0")/.."
export HTTP_HEADER_TIMEOUT_SECONDS=2 HTTP_WRITE_TIMEOUT_SECONDS=2 LOG_FORMAT=json
# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"
python3 tests/hostile/corpus.py "$BASE" "$TOKEN" "$SERVER"
if grep -q '"level":"ERROR"' "$WORK/server.log"; then
  echo "ERROR lines in the server log:" >&2
  grep '"level":"ERROR"' "$WORK/server.log" | head -20 >&2
  exit 1
fi
echo "hostile corpus: no ERROR line in the server log"
