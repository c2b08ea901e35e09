#!/usr/bin/env bash
# Builds the spec fuzzer with clang (libFuzzer + ASan + UBSan), replays every
# saved regression input, then fuzzes for a bounded time seeded with specs/.
# Usage: run.sh SOURCE_DIR BUILD_DIR [SECONDS]
set -euo pipefail
src=$1
out=$2/fuzz
seconds=${3:-60}
mkdir -p "$out/corpus" "$out/crashes"
# toml++ is built as the release library ships it (Debian builds it with GCC,
# where TOML_ASSERT_ASSUME is a no-op): its debug asserts sit in front of the
# parser's own error handling.
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DTOML_HEADER_ONLY=1 '-DTOML_ASSERT(expr)=((void)0)' -I"$src/include" -I"$src" \
  "$src/tests/fuzz/spec_fuzz.cpp" "$src/explorer/spec.cpp" "$src/explorer/check.cpp" \
  "$src"/explorer/lang/*.cpp "$2/library_files.cpp" \
  -lfmt -o "$out/spec_fuzz"
shopt -s nullglob
regressions=("$src"/tests/fuzz/regressions/*)
if [ ${#regressions[@]} -gt 0 ]; then
  "$out/spec_fuzz" "${regressions[@]}"
fi
for f in "$src"/specs/*/*.toml; do
  cp "$f" "$out/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
done
export ASAN_OPTIONS=detect_leaks=0
"$out/spec_fuzz" -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/corpus" 2>&1 | tail -n 25
