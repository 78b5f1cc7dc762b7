# authbench — make bench runs the default comparison, make test runs every test.

GO       ?= go
BIN      := bin/authbench
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

# make bench                      runs scenarios/compare.yaml
# make bench BENCH=quick          runs a built-in scenario by name
# make bench SCENARIO=my.yaml     runs any scenario file
# make bench ARGS="--set load.clients=64"   passes flags to authbench run
BENCH    ?= compare
SCENARIO ?= $(BENCH)
ARGS     ?=

# Fuzz time per fuzz target in make test (a fixed budget, so CI time is bounded).
FUZZTIME ?= 10s

.PHONY: all build bench bench-once test test-short fuzz calibrate lint vet fmt clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/authbench

# scripts/bench-prereqs.sh installs redis-server when it is missing: the
# Redis backends are half of the comparison.
bench: build
	@scripts/bench-prereqs.sh
	./$(BIN) run --out results $(ARGS) $(SCENARIO)

# Every test, with the race detector, then each fuzz target for FUZZTIME.
# The time-out per package is a guard against hangs, not a speed target:
# on a busy machine the CLI's end-to-end tests take several minutes.
test: lint
	$(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) bench-once
	$(MAKE) fuzz

# Every benchmark once, so that a broken one fails make test; its figures
# mean nothing here (-short: calibration checks only what holds anywhere).
bench-once:
	$(GO) test -short -count=1 -run '^$$' -bench . -benchtime 1x ./...

test-short:
	$(GO) test -short -count=1 ./...

# Each fuzz target for FUZZTIME of fuzzing (see scripts/fuzz.sh: a target
# that spent its time replaying its corpus runs again, longer).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The harness's absolute calibration (a known service time comes out of the
# engine within 10%): a benchmark, since it measures the machine too. Run it
# on a quiet machine; make test checks only what holds on a busy one.
calibrate:
	$(GO) test -run '^$$' -bench 'SleepCalibration' -benchtime 1x ./internal/load

lint: vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w .

clean:
	rm -rf bin
	find results -mindepth 1 -maxdepth 1 ! -name README.md ! -name reference -exec rm -rf {} +
