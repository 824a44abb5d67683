# hero-id: make setup (once), make demo, make test. See README.md.
SWIFT ?= swift
BIN := $(shell $(SWIFT) build -c release --show-bin-path 2>/dev/null)

.PHONY: setup build release test demo bench format lint clean weights samples-large soak \
	export-venv test-export ray-venv test-ray bench-ray fuzz

setup:
	scripts/setup.sh

weights:
	scripts/fetch-weights.sh

build release:
	$(SWIFT) build -c release

# Its own build folder: `swift test` compiles every module with testability on, which would
# make the next `swift build` (demo, bench, test-export, test-ray) recompile everything. After
# the whole suite, the numeric suites once more per OpenBLAS kernel the CPU runs (docs/numerics.md).
test:
	SWIFT=$(SWIFT) scripts/test.sh

# The ONNX export against hero-id itself (ONNX Runtime from PyPI in $$HERO_ID_HOME/export-venv;
# trains a model on samples/train first: about 10 minutes on 2 busy cores). docs/export.md.
export-venv:
	scripts/export-venv.sh

test-export:
	scripts/test-export.sh

# pipelines/ray/ on a local Ray cluster (head + two one-CPU workers on 127.0.0.1; Ray from PyPI
# in $$HERO_ID_HOME/ray-venv). docs/scale-out.md.
ray-venv:
	scripts/ray-venv.sh

test-ray:
	pipelines/ray/test-ray.sh

bench-ray:
	pipelines/ray/bench-ray.sh

demo: build
	scripts/demo.sh

# The soak test (issue 29; docs/hostile-inputs.md): batch extract + batch identify over 160
# sample-derived clips with faults injected (a vanishing file, a full disk, SIGTERM, a stalled
# upload to serve), the outputs compared with a clean run's. About 8 minutes on 2 cores.
soak: build
	scripts/soak.py

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
	rm -rf .build .build-test
