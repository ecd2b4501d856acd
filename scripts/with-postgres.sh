#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: initdb on a temp dir, a free loopback port,
# trust auth for one user, stopped and removed afterwards — also when the command fails or is
# interrupted. The command sees DATAFLOW_TEST_POSTGRES_URL.
#
#   bash scripts/with-postgres.sh swift test
#
# Installs the distribution's `postgresql` package when no server binaries are found. initdb
# refuses to run as root, so as root the server runs as the `postgres` system user.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "with-postgres: installing the postgresql server package" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    BIN="$(find_bin)"
fi
[ -x "$BIN/initdb" ] || { echo "with-postgres: no initdb found under /usr/lib/postgresql" >&2; exit 1; }

DIR="$(mktemp -d /tmp/dataflow-pg.XXXXXX)"
AS=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$DIR"
    AS=(runuser -u postgres --)
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

stop() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U dataflow --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
# fsync off: a throwaway test server; the tests kill clients, never the server. Benchmarks ask
# for the durable defaults with WITH_PG_DURABLE=1.
FSYNC=off; [ "${WITH_PG_DURABLE:-0}" = 1 ] && FSYNC=on
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=$FSYNC -c max_connections=200" start >/dev/null \
    || { cat "$DIR/server.log" >&2; exit 1; }

export DATAFLOW_TEST_POSTGRES_URL="postgres://dataflow@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
