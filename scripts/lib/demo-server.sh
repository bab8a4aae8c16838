# Sourced by scripts that need a throw-away demo server: builds the debug binary, starts it in
# demo mode on a free loopback port over a temporary SQLite database, waits until it is ready,
# and exports BASE, TOKEN (demo-full-access) and WORK. The server and WORK go on exit.
cargo build --quiet --bin partner-gateway
WORK=$(mktemp -d /tmp/partner-gateway-demo.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
# Demo mode: demo data and credentials; a quota large enough for generated traffic.
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
  target/debug/partner-gateway --database-url "sqlite://$WORK/demo.db" --bind "127.0.0.1:$PORT" \
  --rate-limit-pro 10000000 serve >"$WORK/server.log" 2>&1 &
SERVER=$!
stop_demo_server() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap stop_demo_server EXIT INT TERM
for _ in $(seq 1 120); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 1; fi
  sleep 0.5
done
TOKEN=$(curl -fsS -X POST "$BASE/oauth/token" \
  -d grant_type=client_credentials -d client_id=demo-full-access -d client_secret=pgs_demo_full_access_secret |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
export BASE TOKEN WORK
