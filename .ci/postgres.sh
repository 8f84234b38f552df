#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the store tests; source it, then call
# pg_start (exports DECLINERISK_TEST_POSTGRES_URL) and pg_stop. Installs the server from
# Debian's packages when it is missing.
PG_PORT="${PG_PORT:-55432}"
PG_ROOT="${PG_ROOT:-/tmp/declinerisk-pg}"

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$bin"
}

pg_start() {
  local bin run=()
  bin=$(pg_bin)
  # PostgreSQL refuses to run as root: use the postgres account the package creates.
  if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
  rm -rf "$PG_ROOT" && mkdir -p "$PG_ROOT"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_ROOT"
  "${run[@]}" "$bin/initdb" -D "$PG_ROOT/data" -U postgres --auth=trust >/dev/null
  local ctl="${run[*]} $bin/pg_ctl -D $PG_ROOT/data -l $PG_ROOT/log -w"
  local options="-p $PG_PORT -k $PG_ROOT -c listen_addresses=127.0.0.1"
  $ctl -o "$options" start >/dev/null
  "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres declinerisk_test
  export DECLINERISK_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/declinerisk_test"
  # The outage test stops and restarts the server with these.
  export DECLINERISK_TEST_POSTGRES_STOP="$ctl -m fast stop"
  export DECLINERISK_TEST_POSTGRES_START="$ctl -o '$options' start"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  local bin run=()
  bin=$(pg_bin)
  if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/pg_ctl" -D "$PG_ROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_ROOT"
}
