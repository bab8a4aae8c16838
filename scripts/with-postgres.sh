#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL server.
#
#   scripts/with-postgres.sh cargo test
#
# Starts a fresh cluster in a temporary directory on a free loopback port, exports
# TEST_DATABASE_URL (and PG_URL) pointing at it, runs the command, and stops and deletes the
# cluster on exit, whatever happens. initdb/pg_ctl refuse to run as root, so as root they run as
# the `postgres` user.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return
  fi
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$name"; do
    if [ -x "$candidate" ]; then
      echo "$candidate"
      return
    fi
  done
  echo "error: $name not found (install PostgreSQL server binaries)" >&2
  exit 1
}

INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    # runuser keeps it non-interactive; su works where runuser does not exist.
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

PGDIR=$(mktemp -d /tmp/partner-gateway-pg.XXXXXX)
chmod 755 "$PGDIR"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$PGDIR"
fi
PORT=${PG_PORT:-$(free_port)}

cleanup() {
  as_pg "$PG_CTL" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT INT TERM

as_pg "$INITDB" -D "$PGDIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$PGDIR/initdb.log" 2>&1 ||
  { cat "$PGDIR/initdb.log" >&2; exit 1; }
as_pg "$PG_CTL" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
  -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null || { cat "$PGDIR/server.log" >&2; exit 1; }

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export PG_URL="$TEST_DATABASE_URL"
echo "PostgreSQL running on 127.0.0.1:$PORT (data in $PGDIR)" >&2
"$@"
