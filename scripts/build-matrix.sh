#!/usr/bin/env bash
# Builds the pgmapcheck target in Release with GCC and with Clang, each in a
# fresh tree with warnings as errors (CI opts in; a user's build does not), and
# runs each binary once: a Release-only warning or a Clang-only error cannot
# come back unseen.
# Usage: scripts/build-matrix.sh [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
for preset in release clang-release; do
  dir=build/ci-$preset
  rm -rf "$dir"
  echo "== $preset: configure and build pgmapcheck in $dir (PGMAPCHECK_WERROR=ON)"
  cmake --preset "$preset" -B "$dir" -DPGMAPCHECK_WERROR=ON >/dev/null
  cmake --build "$dir" -j "$jobs" --target pgmapcheck
  "$dir/pgmapcheck" --version
  "$dir/pgmapcheck" test specs/p2pdma/v1-unbalanced-put-v5.10.toml
done
