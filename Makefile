# pgmapcheck: `make run` (the flagship) and `make test` (every test).
# Both install missing Debian packages first, then configure and build.
BUILD      := build/dev
PGMAPCHECK := $(BUILD)/pgmapcheck
JOBS       ?= 2

# The thread's Q1 ("is breaking put_page -> put_dev_pagemap safe?"): the RFC
# as a patch on v5.10, diffed over scenarios of every pagemap type that
# existed then (specs/patches/rfc-v3-on-v5.10.toml lists them).
Q1_PATCH := specs/patches/rfc-v3-on-v5.10.toml

.PHONY: all deps build run test asan clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

# Fixed and introduced violations are the answer here, not failures: only bad
# input (2) or an incomplete search (3) fails `make run`.
run: build
	@$(PGMAPCHECK) diff --base v5.10 --patch $(Q1_PATCH) --out out/q1; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@echo "device_coherent: not in this table, the type came in v6.1"
	@echo "diagrams: out/q1/<type>/<scenario>/<property>/{fixed,introduced}/trace.svg"

test: build
	@ctest --preset dev -j $(JOBS)

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

clean:
	rm -rf build out/*/
