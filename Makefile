# Ferry: the two commands a fresh machine needs are `make demo` and `make test`.
# Both first install the C libraries Ferry links against if they are missing.
SWIFT   ?= swift
RECORDS ?= 10000
DEMO_DIR ?= demo-out

.PHONY: deps build demo test clean

deps:
	@bash Ops/install-deps.sh

build: deps
	$(SWIFT) build

demo: build
	$(SWIFT) run ferry demo --records $(RECORDS) --dir $(DEMO_DIR)

# The tests need a PostgreSQL server: Ops/test-postgres.sh installs and starts one on
# 127.0.0.1 (password authentication) and prints its URL. Ops/test-mariadb.sh does the same
# for MariaDB, with Debian's ODBC drivers for PostgreSQL, MariaDB and SQLite. Ops/test-airbyte.sh installs the
# Airbyte connector source-faker from PyPI into a cached venv and prints its path.
# Ops/test-ops.sh installs promtool, systemd-analyze, logrotate and nftables for the Ops/ kit's tests.
test: deps
	bash Ops/test-ops.sh
	FERRY_TEST_POSTGRES="$$(bash Ops/test-postgres.sh)" FERRY_TEST_POSTGRES_PASSWORD=ferry-test-password \
	FERRY_TEST_MARIADB="$$(bash Ops/test-mariadb.sh)" FERRY_TEST_MARIADB_PASSWORD=ferry-test-password \
	FERRY_TEST_MARIADB_CA=$${FERRY_TEST_MARIADB_DIR:-/tmp/ferry-test-mariadb}/tls/ca.pem \
	FERRY_TEST_AIRBYTE_FAKER="$$(bash Ops/test-airbyte.sh)" $(SWIFT) test

clean:
	rm -rf .build $(DEMO_DIR)
