#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server from Debian's packages on 127.0.0.1 for the tests
# (installing it first if needed) and prints its URL. Password authentication (SCRAM), so
# the tests exercise credentials the way a real deployment uses them; the password is in
# FERRY_TEST_POSTGRES_PASSWORD, never in the URL.
set -euo pipefail

port="${FERRY_TEST_POSTGRES_PORT:-54329}"
base="${FERRY_TEST_POSTGRES_DIR:-/tmp/ferry-test-postgres}"
password="ferry-test-password"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bin" ]; then
  echo "ferry: installing PostgreSQL for the tests" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$base"
  mkdir -p "$base"
  printf '%s\n' "$password" > "$base/pw"
  [ "$(id -u)" -ne 0 ] || chown -R postgres "$base"
  run "$bin/initdb" -D "$base/data" -U ferry --auth=scram-sha-256 --pwfile="$base/pw" >"$base/initdb.log" 2>&1
  run "$bin/pg_ctl" -D "$base/data" -l "$base/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $base -c fsync=off" start >&2
fi
echo "postgres://ferry@127.0.0.1:$port/postgres"
