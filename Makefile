# pgmapcheck: `make run` (the flagship) and `make test` (every test).
# Both install missing Debian packages first, then configure and build.
BUILD      := build/dev
PGMAPCHECK := $(BUILD)/pgmapcheck
JOBS       ?= 2

# The thread's Q1 ("is breaking put_page -> put_dev_pagemap safe?"): the RFC
# as a patch on v5.10, diffed over scenarios of every pagemap type that
# existed then (specs/patches/rfc-v3-on-v5.10.toml lists them).
Q1_PATCH := specs/patches/rfc-v3-on-v5.10.toml

.PHONY: all deps test-deps build tool run test asan release build-matrix verify-sources bench clean

all: build

# What building and running the checker needs; the tests' packages besides.
deps:
	@scripts/deps.sh

test-deps: deps
	@scripts/deps.sh --test

# Everything, tests included (what `make test` runs).
build: test-deps
	@cmake --preset dev -DPGMAPCHECK_BUILD_TESTS=ON >/dev/null
	@cmake --build --preset dev -j $(JOBS)

# The checker alone: what `make run` runs, and nothing else (the tests are
# not configured, so their packages need not be there).
tool: deps
	@cmake --preset dev -DPGMAPCHECK_BUILD_TESTS=OFF >/dev/null
	@cmake --build --preset dev -j $(JOBS) --target pgmapcheck

# Fixed and introduced violations are the answer here, not failures: only bad
# input (2) or an incomplete search (3) fails `make run`.
run: tool
	@$(PGMAPCHECK) diff --base v5.10 --patch $(Q1_PATCH) --out out/q1 --html; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@echo "device_coherent: not in this table, the type came in v6.1"
	@echo "diagrams: out/q1/<type>/<scenario>/<property>/{fixed,introduced}/trace.svg; the page: out/q1/report.html"

test: build
	@scripts/deps.sh --browser
	@ctest --preset dev -j $(JOBS)

# Every library function's kernel citation, for v6.1 and v6.15, against
# Debian's linux-source-6.1 and -6.12 (installed if missing): not part of
# `make test`.
verify-sources: tool
	@scripts/verify-sources.sh $(BUILD)

# The suite under ASan+UBSan. The fuzzers are left out: they build their own
# ASan+UBSan binaries with clang, and `make test` runs them; so is the SPIN
# cross-check (`make test` runs it on the same export code).
asan: test-deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS) -E '^(fuzz$$|spin/)'


# The scaling benchmark (not part of `make test`): bench/scale.sh on the
# optimised checker; MAX_P (default 3) sets how far P grows.
MAX_P ?= 3
bench: release
	@bench/scale.sh build/release $(MAX_P)

# The optimised checker alone (-O3, no tests): what bench/ runs and packagers build.
release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# CI: Release builds of the checker with GCC and with Clang, warnings as errors.
build-matrix: deps
	@scripts/build-matrix.sh $(JOBS)

clean:
	rm -rf build out/*/
