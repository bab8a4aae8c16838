#!/usr/bin/env bash
# Typed clients are generated from the published API descriptions without hand-fixes, with
# pinned tools installed under target/ (npm: clients/package-lock.json into
# target/client-tools; Python: clients/openapi/requirements.txt into target/client-tools/venv).
# Generated code goes to target/client-checks/.
#
#  openapi  1. @redocly/cli lint, `recommended` ruleset (clients/openapi/redocly.yaml), on
#              openapi.json: 0 errors, 0 warnings, nothing ignored;
#           2. openapi-typescript types from openapi.json, without warnings;
#           3. tsc --strict over them and clients/openapi/usage.ts (openapi-fetch);
#           4. openapi-python-client generates a client with no warning, and the client passes
#              ruff's pyflakes rules and imports.
#  graphql  (a throw-away demo server)
#           1. graphql-codegen, `client` preset, strictScalars and the scalar map of README.md,
#              over clients/graphql/operations: once from schema.graphql, once from the live
#              schema introspected with a token without `read:customers:pii` (demo-no-pii);
#           2. both generations are identical;
#           3. tsc --strict over the generated code and clients/graphql/usage.ts;
#           4. the operations run on the server without errors (no-PII token without PII
#              fields, full-access token with them).
#
#   scripts/client-checks.sh                   # both parts (openapi first: it needs no server)
#   scripts/client-checks.sh graphql           # one part
#   CLIENT_CHECKS=openapi scripts/client-checks.sh
#   OPENAPI_DOCUMENT=/tmp/served.json scripts/client-checks.sh openapi   # another document
# Every check of a part runs even when an earlier one failed; the closing summary lists them
# with their timings, and the exit status is 1 when any failed.
# shellcheck disable=SC2329 # the check functions are run by name, through check()
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TOOLS=target/client-tools
OUT=target/client-checks
OPENAPI_DOCUMENT=${OPENAPI_DOCUMENT:-openapi.json}

PARTS=("$@")
if [ ${#PARTS[@]} -eq 0 ]; then
  read -r -a PARTS <<<"${CLIENT_CHECKS:-openapi graphql}"
fi
for part in "${PARTS[@]}"; do
  case "$part" in
    openapi | graphql) ;;
    all) PARTS=(openapi graphql) && break ;;
    *) echo "usage: $0 [openapi] [graphql] [all]   (or CLIENT_CHECKS=\"openapi graphql\")" >&2 && exit 2 ;;
  esac
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds() { printf '%d.%01d s' $(($1 / 1000)) $((($1 % 1000) / 100)); }

SUMMARY=()
FAILED=0
# check NAME COMMAND...: runs COMMAND in a background subshell, where `set -e` still applies (it
# is ignored in a function called as an `if` or `||` condition), and records the outcome.
check() {
  local name=$1 start rc=0
  shift
  printf '\n--> %s\n' "$name"
  start=$(now_ms)
  "$@" &
  wait $! || rc=$?
  local took
  took=$(seconds $(($(now_ms) - start)))
  if [ "$rc" -eq 0 ]; then
    SUMMARY+=("ok     $(printf '%8s' "$took")  $name")
  else
    SUMMARY+=("FAILED $(printf '%8s' "$took")  $name")
    FAILED=1
  fi
}

ensure_npm_tools() {
  if cmp -s clients/package.json "$TOOLS/package.json" &&
    cmp -s clients/package-lock.json "$TOOLS/package-lock.json" &&
    [ -x "$TOOLS/node_modules/.bin/tsc" ]; then
    return
  fi
  echo "installing the npm tools of clients/package-lock.json into $TOOLS"
  mkdir -p "$TOOLS"
  cp clients/package.json clients/package-lock.json "$TOOLS/"
  npm ci --prefix "$TOOLS" --no-audit --no-fund --silent
}

ensure_python_tools() {
  if cmp -s clients/openapi/requirements.txt "$TOOLS/venv/requirements.txt" &&
    [ -x "$TOOLS/venv/bin/openapi-python-client" ]; then
    return
  fi
  echo "installing openapi-python-client (clients/openapi/requirements.txt) into $TOOLS/venv"
  rm -rf "$TOOLS/venv"
  if ! python3 -m venv "$TOOLS/venv" >/dev/null 2>&1; then
    # Debian's python3 keeps venv (ensurepip) in a separate package.
    echo "installing python3-venv (apt-get)"
    rm -rf "$TOOLS/venv"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$TOOLS/venv"
  fi
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    -r clients/openapi/requirements.txt
  cp clients/openapi/requirements.txt "$TOOLS/venv/requirements.txt"
}

# ---------------------------------------------------------------------------------- OpenAPI
redocly_lint() {
  local report=$OUT/openapi/redocly-lint.json rc=0
  mkdir -p "$OUT/openapi"
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    "$TOOLS/node_modules/.bin/redocly" lint --config clients/openapi/redocly.yaml \
    --format json "$OPENAPI_DOCUMENT" >"$report" 2>"$OUT/openapi/redocly-lint.stderr" || rc=$?
  # The JSON report is the gate (the exit status counts errors only); rc 1 is "problems found".
  if [ "$rc" -gt 1 ] || ! node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$report" 2>/dev/null; then
    cat "$OUT/openapi/redocly-lint.stderr" "$report" >&2
    echo "redocly lint did not run (exit $rc)" >&2
    return 1
  fi
  node - "$report" <<'EOF'
const report = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
for (const p of report.problems) {
  const at = p.location?.[0];
  const where = at ? `${at.pointer} (line ${at.start?.line ?? '?'})` : '';
  console.log(`${p.severity.padEnd(5)} ${p.ruleId}: ${p.message.replace(/\s+/g, ' ')}  ${where}`);
}
const { errors, warnings, ignored } = report.totals;
console.log(`redocly ${report.version}, recommended: ${errors} errors, ${warnings} warnings, ${ignored} ignored`);
if (ignored) console.log('problems may not be ignored: switch a rule off in clients/openapi/redocly.yaml with the reason');
process.exit(errors + warnings + ignored === 0 ? 0 : 1);
EOF
}

openapi_typescript() {
  local log=$OUT/openapi/openapi-typescript.log
  rm -rf "$OUT/openapi/typescript"
  mkdir -p "$OUT/openapi/typescript"
  if ! "$TOOLS/node_modules/.bin/openapi-typescript" "$OPENAPI_DOCUMENT" \
    -o "$OUT/openapi/typescript/schema.ts" >"$log" 2>&1; then
    cat "$log" >&2
    return 1
  fi
  cat "$log"
  if grep -Eiq 'warn|⚠' "$log"; then
    echo "openapi-typescript reported warnings" >&2
    return 1
  fi
}

openapi_tsc() {
  [ -f "$OUT/openapi/typescript/schema.ts" ] || { echo "no generated types" >&2 && return 1; }
  "$TOOLS/node_modules/.bin/tsc" -p clients/openapi/tsconfig.json --strict --noEmit
  echo "tsc --strict: no error in clients/openapi/usage.ts and the generated types"
}

openapi_python_client() {
  local log=$OUT/openapi/openapi-python-client.log rc=0 package=partner_gateway_client
  rm -rf "$OUT/openapi/python"
  mkdir -p "$OUT/openapi/python"
  # The post hooks (ruff) are looked up in PATH; --fail-on-warning turns every warning into a
  # failing exit status, and the output is searched as well.
  PATH="$ROOT/$TOOLS/venv/bin:$PATH" "$TOOLS/venv/bin/openapi-python-client" generate \
    --path "$OPENAPI_DOCUMENT" --meta none --output-path "$OUT/openapi/python/$package" \
    --fail-on-warning >"$log" 2>&1 </dev/null || rc=$?
  cat "$log"
  if [ "$rc" -ne 0 ] || grep -Eiq 'warning|error|skipping' "$log"; then
    echo "openapi-python-client: warnings or errors (exit $rc)" >&2
    return 1
  fi
  # The generator does not notice every defect of its own output (an undefined name, say):
  # pyflakes' rules and Python syntax errors (ruff, pinned beside it), then every module imports
  # (with the client's own runtime dependencies: httpx, attrs).
  "$TOOLS/venv/bin/ruff" check --isolated --no-cache --select F,E9 --output-format concise \
    "$OUT/openapi/python/$package" || rc=$?
  PYTHONPATH="$OUT/openapi/python" "$TOOLS/venv/bin/python" - "$package" <<'EOF'
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
modules = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
failed = 0
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failed += 1
        print(f"{name} does not import: {type(e).__name__}: {e}", file=sys.stderr)
print(f"openapi-python-client: {len(modules)} modules generated, {len(modules) - failed} import")
sys.exit(1 if failed else 0)
EOF
  return "$rc"
}

part_openapi() {
  ensure_npm_tools
  ensure_python_tools
  check "openapi: redocly lint (recommended) of $OPENAPI_DOCUMENT: 0 errors, 0 warnings" redocly_lint
  check "openapi: openapi-typescript generates types from $OPENAPI_DOCUMENT without warnings" \
    openapi_typescript
  check "openapi: tsc --strict over the generated types and clients/openapi/usage.ts" openapi_tsc
  check "openapi: openapi-python-client generates a client without warnings, sound (ruff F, imports)" \
    openapi_python_client
}

# ---------------------------------------------------------------------------------- GraphQL
codegen() { # codegen OUTPUT_DIR [SCHEMA_URL TOKEN]
  rm -rf "$1"
  # The preset is resolved from the working directory: run from the tools' install.
  (cd "$TOOLS" && CODEGEN_OUT="$ROOT/$1" CODEGEN_SCHEMA_URL="${2:-}" CODEGEN_TOKEN="${3:-}" \
    node_modules/.bin/graphql-codegen --config "$ROOT/clients/graphql/codegen.ts" --errors-only)
  [ -f "$1/graphql.ts" ] || { echo "graphql-codegen wrote no $1/graphql.ts" >&2 && return 1; }
  echo "generated $(find "$1" -name '*.ts' | wc -l) files in $1"
}

codegen_identical() {
  [ -f "$OUT/graphql/sdl/graphql.ts" ] && [ -f "$OUT/graphql/live/graphql.ts" ] ||
    { echo "a generation is missing" >&2 && return 1; }
  diff -ru "$OUT/graphql/sdl" "$OUT/graphql/live"
  echo "schema.graphql and the live schema give identical code"
}

graphql_tsc() {
  [ -f "$OUT/graphql/sdl/graphql.ts" ] || { echo "no generated code" >&2 && return 1; }
  "$TOOLS/node_modules/.bin/tsc" -p clients/graphql/tsconfig.json --strict --noEmit
  echo "tsc --strict: no error in clients/graphql/usage.ts and the generated code"
}

token_for() { # token_for CLIENT_ID CLIENT_SECRET: prints the access token and checks the PII scope
  curl -fsS -X POST "$BASE/oauth/token" \
    -d grant_type=client_credentials -d client_id="$1" -d client_secret="$2" |
    python3 -c 'import json, sys
t = json.load(sys.stdin)
print(" ".join(t["scope"].split()), file=sys.stderr)
print(t["access_token"])'
}

part_graphql() {
  ensure_npm_tools
  # shellcheck source=scripts/lib/demo-server.sh
  source scripts/lib/demo-server.sh
  local no_pii_scopes
  NO_PII_TOKEN=$(token_for demo-no-pii pgs_demo_no_pii_secret 2>"$WORK/no-pii-scopes")
  no_pii_scopes=$(cat "$WORK/no-pii-scopes")
  case " $no_pii_scopes " in
    *" read:customers:pii "*) echo "demo-no-pii holds read:customers:pii: $no_pii_scopes" >&2 && exit 1 ;;
  esac
  echo "live schema: $BASE/graphql as demo-no-pii ($no_pii_scopes)"

  check "graphql: codegen (client preset, strictScalars) from schema.graphql" codegen "$OUT/graphql/sdl"
  check "graphql: codegen from the live schema, token without read:customers:pii" \
    codegen "$OUT/graphql/live" "$BASE/graphql" "$NO_PII_TOKEN"
  check "graphql: both generations identical" codegen_identical
  check "graphql: tsc --strict over the generated code and clients/graphql/usage.ts" graphql_tsc
  check "graphql: operations run without errors (demo-no-pii, withPii false)" \
    node clients/graphql/run-operations.mjs "$BASE/graphql" "$NO_PII_TOKEN" false
  check "graphql: operations run without errors (demo-full-access, withPii true)" \
    node clients/graphql/run-operations.mjs "$BASE/graphql" "$TOKEN" true
}

for part in "${PARTS[@]}"; do
  printf '\n==> client checks: %s\n' "$part"
  start=$(now_ms)
  case "$part" in
    openapi) part_openapi ;;
    graphql) part_graphql ;;
  esac
  SUMMARY+=("       $(printf '%8s' "$(seconds $(($(now_ms) - start)))")  $part part in all (tool installs and demo server included)")
done

printf '\n==> client checks summary\n'
printf '%s\n' "${SUMMARY[@]}"
exit "$FAILED"
