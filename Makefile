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

test: deps
	$(SWIFT) test

clean:
	rm -rf .build $(DEMO_DIR)
