# hero-id: make setup (once), make demo, make test. See README.md.
SWIFT ?= swift
BIN := $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: setup build release test demo bench format lint clean weights samples-large fuzz

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

# A larger sample set for benchmarks and tests (gitignored): 8 heroes x 4 training clips,
# 28 test clips (2 per training hero, 6 per unknown hero), sizes up to 1920x1080.
samples-large:
	$(SWIFT) build -c release --product sample-maker
	$(BIN)/sample-maker set --preset large --out samples-large

# libFuzzer targets (Tests/Fuzz/, docs/hostile-inputs.md): FUZZ_SECONDS per target (default 60).
fuzz:
	scripts/fuzz.sh

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r Sources Tests

clean:
	rm -rf .build
