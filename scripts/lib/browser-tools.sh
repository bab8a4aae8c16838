# Sourced by the browser tests: headless Chromium (Debian's `chromium`, installed with apt-get
# when missing) and playwright-core (pinned, installed under target/browser-tools). Exports
# CHROMIUM and TOOLS; run the test with NODE_PATH="$TOOLS/node_modules".
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
export CHROMIUM TOOLS
