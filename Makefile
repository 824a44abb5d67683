# hero-id: make setup (once), make demo, make test. See README.md.
SWIFT ?= swift
BIN := $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: setup build release test demo bench format lint clean weights samples samples-large

setup:
	scripts/setup.sh

weights:
	scripts/fetch-weights.sh

build release:
	$(SWIFT) build -c release

test:
	$(SWIFT) test -c release

demo: build
	scripts/demo.sh

bench: build
	scripts/bench.sh

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r Sources Tests

clean:
	rm -rf .build
