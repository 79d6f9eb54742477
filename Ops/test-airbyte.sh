#!/usr/bin/env bash
# Installs the unmodified Airbyte connector the tests run, airbyte-source-faker from PyPI,
# into a virtual environment under a cache folder (once; about a minute) and prints the
# connector's path for FERRY_TEST_AIRBYTE_FAKER. Debian's python3 lacks venv until
# python3-venv is installed; that is done here when needed, as Ops/test-postgres.sh does
# for PostgreSQL. Progress goes to standard error, the path alone to standard output.
set -euo pipefail

version="${FERRY_TEST_AIRBYTE_FAKER_VERSION:-7.2.1}"
cache="${FERRY_TEST_AIRBYTE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/airbyte-source-faker-$version}"
venv="$cache/venv"
bin="$venv/bin/source-faker"

# A stamp written last, so an install cut short is redone rather than half used.
if [ ! -f "$cache/installed" ] || [ ! -x "$bin" ]; then
  echo "ferry: installing airbyte-source-faker $version into $venv (once)" >&2
  rm -rf "$venv" "$cache/installed"
  mkdir -p "$cache"
  # Debian's python3 has the venv module but not the pip it seeds a venv with.
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    echo "ferry: installing python3-venv for the Airbyte tests" >&2
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2
    $sudo apt-get install -y -qq --no-install-recommends python3-venv >&2
    python3 -m venv "$venv" >&2
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "airbyte-source-faker==$version" >&2
  touch "$cache/installed"
fi
echo "$bin"
