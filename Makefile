# udkit: `make test` installs what the tests need (Debian), then vets and
# tests everything. `make e2e` boots every scenario on a real Debian 12 and
# Debian 13 in systemd-nspawn, and judges the golden files again with Debian
# 13's cloud-init and systemd (the second judge; `make judge` runs it alone).

GO        ?= go
TAGS      ?= libsqlite3
# System packages the tests use: cloud-init (its parser and `cloud-init
# schema`, with jsonschema so schema checks are real), systemd-analyze and
# unshare for unit verification, dqlite for the registry, shellcheck for the
# generated scripts, curl to run those scripts against a live registry.
TEST_PKGS := cloud-init python3-jsonschema systemd util-linux libdqlite-dev libraft-dev shellcheck gcc pkg-config curl zopfli
E2E_PKGS  := debootstrap systemd-container zstd iproute2

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# zsh and fish: the CLI's completion test loads its scripts in them.
TEST_PKGS += zsh fish

.PHONY: all test deps e2e-deps vet unit-test leaves e2e judge bench fuzz render

all: test

# deps installs the Debian packages named in $(PKGS) that are missing.
deps:
	@PKGS="$(TEST_PKGS)" SUDO="$(SUDO)" ./.ci/apt-ensure

e2e-deps:
	@PKGS="$(TEST_PKGS) $(E2E_PKGS)" SUDO="$(SUDO)" ./.ci/apt-ensure

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted (run gofmt -w)" >&2; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...

# The leaf packages and the CLI must build without cgo and never pull in
# go-dqlite; userdata, cloudconfig and unit never import one another.
LEAVES := ./diag/... ./userdata/... ./cloudconfig/... ./unit/... ./semdiff/... ./golden/... ./cmd/udkit/...
# The root package and these import no net/http, crypto/tls or database/sql:
# a program that only renders user data stays small.
LEAVES_LEAN := ./diag/... ./userdata/... ./cloudconfig/... ./unit/... ./registry
leaves:
	CGO_ENABLED=0 $(GO) build $(LEAVES)
	@if $(GO) list -deps $(LEAVES) | grep -q 'go-dqlite'; then \
		echo "a leaf package or cmd/udkit imports go-dqlite" >&2; exit 1; fi
	@if $(GO) list -deps ./diag | grep -v '^github.com/udkit/udkit/diag$$' | grep -q '\.'; then \
		echo "diag must import the standard library only" >&2; exit 1; fi
	@heavy=$$($(GO) list -deps . $(LEAVES_LEAN) | grep -xE 'net/http|crypto/tls|database/sql' | sort -u); \
	if [ -n "$$heavy" ]; then \
		echo "the root package or a leaf imports $$(echo $$heavy): keep the service in registry/store, registry/api, registry/client (see issue 10)" >&2; exit 1; fi
	@if $(GO) list -deps . $(LEAVES) ./registry ./registry/client | grep -q 'github.com/prometheus/'; then \
		echo "the root package, a leaf, registry or registry/client imports prometheus: keep metrics in registry/api (issue 14)" >&2; exit 1; fi
	@for p in userdata cloudconfig unit; do \
		if $(GO) list -deps ./$$p/... | grep -v "udkit/$$p" | grep -qE 'github.com/udkit/udkit/(userdata|cloudconfig|unit)($$|/)'; then \
			echo "leaf package $$p imports another leaf (userdata, cloudconfig, unit)" >&2; exit 1; fi; \
	done

unit-test:
	UDKIT_STRICT_TOOLS=1 $(GO) test -race -tags $(TAGS) ./...

test: deps vet leaves unit-test

# Both images are debootstrapped on first use and cached in
# /var/cache/udkit-e2e (UDKIT_E2E_CACHE); UDKIT_E2E_IMAGES=trixie boots one.
# Hold `flock /tmp/udkit-e2e.lock` around it when others may boot too.
e2e: e2e-deps
	$(GO) test -tags "e2e $(TAGS)" -count=1 -timeout 75m -v ./e2e/...

# judge: the golden checks and parser-differential tests once more, with
# cloud-init 25.1 and systemd 257 run inside the cached Debian 13 image
# (e2e.TestSecondJudge; part of `make e2e`).
judge: e2e-deps
	$(GO) test -tags "e2e $(TAGS)" -count=1 -timeout 40m -v -run '^TestSecondJudge$$' ./e2e/...

bench:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem ./...

render:
	$(GO) run ./cmd/udkit render examples/managed-server/spec.yaml
