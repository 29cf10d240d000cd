# Nirnay — the two commands are `make run` and `make test`.
GO        ?= go
BIN       := bin/nirnay
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
TESTFLAGS ?=
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test bench lint clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/nirnay

# Starts the service on the embedded default (SQLite + in-process features
# under ./var) with demo customers and keys.
run: build
	./$(BIN) serve --demo

# Every test. scripts/with-services starts a throwaway PostgreSQL and Redis on
# free loopback ports for the integration tests and stops them afterwards.
# -race also turns on checkptr, which checks every unsafe.Pointer conversion;
# in modernc.org's translation of SQLite's C to Go those checks were half the
# CPU of an embedded-database test. They stay on for Nirnay's code and every
# other module, and the race detector stays on everywhere.
TESTGCFLAGS := -gcflags=modernc.org/...=-d=checkptr=0

test:
	scripts/with-services $(GO) test $(TESTGCFLAGS) $(TESTFLAGS) ./...

bench:
	scripts/with-services $(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod is not tidy (run go mod tidy):"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin var
