# make test is the whole suite: it installs what the tests need (Debian
# packages when run as root, Go modules), then vet (for Linux, macOS and
# Windows), race-enabled tests and the fuzz seed corpora (go test runs every
# Fuzz target's seeds).
GO ?= go
PKGS ?= ./...

.PHONY: all build install docs test deps vet vet-cross generate bench clean

all: build

# The binary is static (CGO_ENABLED=0: pure-Go DNS and user lookups, so no
# dynamic loader runs at each start, ~0.4 ms of a lookup) and without symbol
# tables (-s -w: 24 MB instead of 34; stack traces keep their names).
# -buildvcs=auto overrides a GOFLAGS=-buildvcs=false so --version names
# the commit it was built from.
build:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -ldflags='-s -w' -o bin/portolan ./cmd/portolan
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -ldflags='-s -w' -o bin/portolan-mcp ./cmd/portolan-mcp

# install puts the same static binaries (portolan, and portolan-mcp, which
# `portolan mcp` runs) in $(go env GOBIN), else $(go env GOPATH)/bin.
install:
	CGO_ENABLED=0 $(GO) install -buildvcs=auto -ldflags='-s -w' ./cmd/portolan ./cmd/portolan-mcp

deps:
	./scripts/install-deps.sh
	$(GO) mod download

vet:
	$(GO) vet $(PKGS)

# The library and the binary build elsewhere too (sockets and host ranges
# say "not supported" or use the documented defaults there); vetting for
# macOS and Windows type-checks every package and test for them (~2 min cold).
vet-cross:
	GOOS=darwin $(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)

test: deps vet vet-cross
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

# docs regenerates the CLI reference (docs/cli, docs/man) from the command
# tree; a test fails when the committed pages differ.
docs:
	$(GO) run ./internal/gendocs

generate:
	$(GO) generate ./...

# Every comparison in bench/, one after the other (each prints its figures
# and ratios; BENCHMARKS.md records them). They want a quiet machine, and
# root for the network namespaces and package installs.
bench: build
	./bench/know.sh
	./bench/startup-floor.sh
	./bench/see-local.sh
	./bench/see-remote.sh
	./bench/allocate.sh
	./bench/serve.sh
	./bench/ui.sh
	./bench/names.sh

clean:
	rm -rf bin
