#!/usr/bin/env bash
# Starts a throwaway MariaDB server from Debian's packages on 127.0.0.1 for the tests
# (installing it, the ODBC drivers and the client tools first if needed) and prints its URL.
# The user `ferry` has a password (mysql_native_password over TCP), held in
# FERRY_TEST_MARIADB_PASSWORD by the Makefile, never in the URL.
set -euo pipefail

port="${FERRY_TEST_MARIADB_PORT:-33069}"
base="${FERRY_TEST_MARIADB_DIR:-/tmp/ferry-test-mariadb}"
password="ferry-test-password"

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
# The ODBC tests reach PostgreSQL, MariaDB and SQLite through Debian's drivers.
[ -e /usr/lib/x86_64-linux-gnu/odbc/libmaodbc.so ] || [ -e /usr/lib/aarch64-linux-gnu/odbc/libmaodbc.so ] || need+=(odbc-mariadb)
[ -e /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so ] || [ -e /usr/lib/aarch64-linux-gnu/odbc/psqlodbcw.so ] || need+=(odbc-postgresql)
[ -e /usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so ] || [ -e /usr/lib/aarch64-linux-gnu/odbc/libsqlite3odbc.so ] || need+=(libsqliteodbc)
if [ ${#need[@]} -gt 0 ]; then
  echo "ferry: installing for the tests: ${need[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2
  # Debian's package starts a server on the default socket; the tests use their own.
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

server=/usr/sbin/mariadbd
client() { mariadb --protocol=socket -S "$base/sock" -u root "$@"; }

# Restarted when it is down, or when it was started before it spoke TLS.
if ! mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$port" -u ferry -p"$password" ping >/dev/null 2>&1 || [ ! -s "$base/tls/ca.pem" ]; then
  pkill -f -- "--datadir=$base/data" 2>/dev/null || true
  rm -rf "$base"
  mkdir -p "$base"
  owner=(); [ "$(id -u)" -ne 0 ] || { chown mysql "$base" 2>/dev/null || true; owner=(--user=mysql); }
  mariadb-install-db "${owner[@]}" --datadir="$base/data" --auth-root-authentication-method=socket >"$base/install.log" 2>&1
  # A throwaway CA and a server certificate for 127.0.0.1: the tls and tls_ca tests verify it.
  mkdir -p "$base/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Ferry test CA" -keyout "$base/tls/ca.key" -out "$base/tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$base/tls/server.key" -out "$base/tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$base/tls/san.ext"
  openssl x509 -req -in "$base/tls/server.csr" -CA "$base/tls/ca.pem" -CAkey "$base/tls/ca.key" -CAcreateserial -days 30 \
    -extfile "$base/tls/san.ext" -out "$base/tls/server.pem" 2>/dev/null
  [ "$(id -u)" -ne 0 ] || chown -R mysql "$base/tls" 2>/dev/null || true
  # fsync off: a test server's data is thrown away.
  # --no-defaults comes first: the machine's own my.cnf belongs to its own server.
  setsid "$server" --no-defaults "${owner[@]}" --datadir="$base/data" --socket="$base/sock" --pid-file="$base/pid" \
    --bind-address=127.0.0.1 --port="$port" --skip-name-resolve --innodb-flush-log-at-trx-commit=0 \
    --innodb-doublewrite=0 --local-infile=1 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --ssl-ca="$base/tls/ca.pem" --ssl-cert="$base/tls/server.pem" --ssl-key="$base/tls/server.key" \
    >"$base/server.log" 2>&1 &
  for _ in $(seq 1 60); do
    [ -S "$base/sock" ] && client -e "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.5
  done
  client <<SQL
CREATE USER IF NOT EXISTS 'ferry'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS 'ferry'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS ferry_test CHARACTER SET utf8mb4;
SQL
fi
echo "mysql://ferry@127.0.0.1:$port/ferry_test"
