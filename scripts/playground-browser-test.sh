#!/usr/bin/env bash
# The playground in a real browser: headless Chromium (Debian's `chromium`, installed with
# apt-get when missing) driven by playwright-core (pinned, installed under target/). Starts a
# throw-away demo server, opens /playground with every request to another host refused (the
# network cable pulled), runs the first example operation and checks its result against the
# database, checks that an insufficient_scope error is explained, and saves screenshots under
# target/playground/.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/browser-tools.sh
source "$(dirname "$0")/lib/browser-tools.sh"

# shellcheck source=lib/demo-server.sh
source "$(dirname "$0")/lib/demo-server.sh"

mkdir -p target/playground
echo "playground browser test against $BASE (screenshots in target/playground/)"
CHROMIUM="$CHROMIUM" NODE_PATH="$TOOLS/node_modules" \
  node scripts/playground-browser-test.js "$BASE" target/playground
