#!/usr/bin/env bash
# Installs the C libraries Ferry links against, when they are missing.
# A fresh Debian 12 machine with Swift 6.3 has OpenSSL and SQLite headers but not
# libcurl's or libzstd's, so this is what makes `make demo` and `make test` work there.
set -euo pipefail

need=()
pkg-config --exists openssl 2>/dev/null || need+=(libssl-dev)
pkg-config --exists libcurl 2>/dev/null || need+=(libcurl4-openssl-dev)
pkg-config --exists libzstd 2>/dev/null || need+=(libzstd-dev)
pkg-config --exists sqlite3 2>/dev/null || need+=(libsqlite3-dev)
# The mysql adapter speaks the MySQL protocol through MariaDB Connector/C; the odbc adapter
# loads database drivers through unixODBC.
pkg-config --exists libmariadb 2>/dev/null || need+=(libmariadb-dev)
pkg-config --exists odbc 2>/dev/null || need+=(unixodbc-dev)
# The tests read the console's pages with libxml2's HTML parser.
pkg-config --exists libxml-2.0 2>/dev/null || need+=(libxml2-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# The peer the benchmarks measure Ferry beside (sqlite3 .import).
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "ferry: installing missing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
