# pave — see README.md. Every target works offline once dependencies are
# vendored; `make test` also installs and starts what the end-to-end tests
# need (Docker engine, registry) through scripts/setup.sh.

GO      ?= go
BIN     := bin/pave
SAMPLE  := testdata/images/sample-debian.tar

.PHONY: all build demo test unit check fuzz bench clean

all: build

build:
	$(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/pave

# The quick start's first command: build pave, build a signed vulnerability
# database from the real records in testdata/vulndb, and scan the built-in
# sample image (real Debian packages) with it. No network needed.
demo: build
	sh scripts/demo.sh

# The quick start's second command: every test, end to end included.
test:
	bash scripts/setup.sh
	$(MAKE) check
	$(GO) test -count=1 ./...

# Unit tests only (no Docker, no registry).
unit:
	$(GO) test -short ./...

check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# Short coverage-guided runs of every fuzz target (seed corpora always run
# as part of `go test`).
fuzz:
	bash scripts/fuzz.sh 10s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
	bash scripts/bench-sbom.sh

clean:
	rm -rf bin
