# pgmapcheck: `make run` (the flagship) and `make test` (every test).
# Both install missing Debian packages first, then configure and build.
BUILD      := build/dev
PGMAPCHECK := $(BUILD)/pgmapcheck
JOBS       ?= 2

# The thread's Q1 ("is breaking put_page -> put_dev_pagemap safe?"): the same
# scenarios under v5.10 and the 2020 RFC, for every pagemap type.
FLAGSHIP := \
  specs/p2pdma/v1-unbalanced-put-v5.10.toml \
  specs/p2pdma/v1-balanced-get-put-v5.10.toml \
  specs/p2pdma/alloc-vs-memunmap-refs-v5.10.toml \
  specs/p2pdma/memunmap-alone-v5.10.toml \
  specs/fs_dax/gup-vs-truncate-v5.10.toml \
  specs/fs_dax/v7-unmapped-gup-v5.10.toml \
  specs/fs_dax/v2-cached-page-v5.10.toml \
  specs/device_private/v9-page-free-under-mapping-v5.10.toml \
  specs/device_private/v3-memunmap-early-v5.18.toml \
  specs/device_private/v4-migrate-to-ram-uaf-v5.10.toml \
  specs/generic/v10-gup-pin-v5.10.toml \
  specs/generic/v1-stray-put-v5.10.toml \
  specs/device_coherent/driver-unmap-v6.1.toml

.PHONY: all deps build run test asan clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

# Violations are answers here, not failures: only bad input (2) or an
# incomplete search (3) fails `make run`.
run: build
	@$(PGMAPCHECK) check --quiet --kernel v5.10 --kernel rfc-v3 --out out $(FLAGSHIP); \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@echo "counterexample diagrams: out/<scenario>/<kernel>/trace.svg"

test: build
	@ctest --preset dev -j $(JOBS)

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

clean:
	rm -rf build out/*/
