#!/usr/bin/env bash
# The playground in a real browser: headless Chromium (Debian's `chromium`, installed with
# apt-get when missing) driven by playwright-core (pinned, installed under target/). Starts a
# throw-away demo server, opens /playground with every request to another host refused (the
# network cable pulled), runs the first example operation and checks its result against the
# database, checks that an insufficient_scope error is explained, and saves screenshots under
# target/playground/.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "installing chromium (apt-get)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-thai-tlwg >/dev/null
fi

TOOLS=target/browser-tools
if [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' >"$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent playwright-core@1.65.1
fi

# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"

mkdir -p target/playground
echo "playground browser test against $BASE (screenshots in target/playground/)"
CHROMIUM="$CHROMIUM" NODE_PATH="$TOOLS/node_modules" \
  node scripts/playground-browser-test.js "$BASE" target/playground
