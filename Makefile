# dataflow — make demo · make test · make build · make install
SWIFT      ?= swift
PREFIX     ?= /usr/local
BIN        := .build/debug
APT_PKGS   := libcurl4-openssl-dev libsqlite3-dev libssl-dev libpq-dev zlib1g-dev

.PHONY: all deps test-deps build release demo test reliability bench install clean

all: build

# System libraries the package links against; installed with apt-get when missing.
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The Swift runtime and Foundation are linked into the binaries: an installed `dataflow` needs
# the system libraries above, not a Swift toolchain, and runs faster (docs/performance.md, item 30).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# Starts the sandbox platform on a free loopback port, syncs, mutates upstream, syncs again,
# prints status and the catalogue, exports a CSV, and stops the sandbox (also on failure).
demo: build
	bash scripts/demo.sh

# Report acceptance tests need headless Chromium (HTML page) and a Python venv with rdflib and
# prometheus-client (DCAT, metrics); scripts/test-deps.sh installs them only when missing.
test-deps:
	bash scripts/test-deps.sh

# The suite runs against SQLite and a throwaway PostgreSQL server (scripts/with-postgres.sh
# starts it on a free port and stops it afterwards, also on failure).
test: build test-deps
	$(SWIFT) build --build-tests
	DATAFLOW_TEST_DEPS=1 bash scripts/with-postgres.sh $(SWIFT) test

# The crash soak: 100 runs killed with SIGKILL at random moments while upstream changes, then
# the warehouse and change feed are checked against the truth.
reliability: build
	$(SWIFT) build --build-tests
	DATAFLOW_KILL_ROUNDS=$${ROUNDS:-100} $(SWIFT) test --filter killNineAtRandomMomentsThenRerunEqualsTheTruth

# Every figure of docs/performance.md next to its floor, in one run (docs/performance.md).
bench: deps
	WITH_PG_DURABLE=1 bash scripts/with-postgres.sh bash scripts/bench.sh

install: release
	install -d $(PREFIX)/bin
	install -m 0755 .build/release/dataflow .build/release/dataflow-sandbox $(PREFIX)/bin/

clean:
	rm -rf .build demo warehouse
