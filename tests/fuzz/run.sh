#!/usr/bin/env bash
# Builds a fuzz target with clang (libFuzzer + ASan + UBSan), replays every
# saved regression input, then fuzzes for a bounded time seeded from the
# repository.
#   spec: the spec parser and checker; inputs are spec files, seeded with
#         specs/; regressions in tests/fuzz/regressions/.
#   code: the model language over the kernel library; an input is a byte
#         (era and pagemap type) then a model file, seeded with the
#         library's own files; regressions in tests/fuzz/code-regressions/.
# Usage: run.sh SOURCE_DIR BUILD_DIR [TARGET [SECONDS]]
set -euo pipefail
src=$1
target=${3:-spec}
seconds=${4:-60}
out=$2/fuzz/$target
mkdir -p "$out/corpus" "$out/crashes"
case $target in
  spec) regression_dir=$src/tests/fuzz/regressions ;;
  code) regression_dir=$src/tests/fuzz/code-regressions ;;
  *) echo "run.sh: unknown target '$target': expected spec or code" >&2; exit 2 ;;
esac
# toml++ is built as the release library ships it (Debian builds it with GCC,
# where TOML_ASSERT_ASSUME is a no-op): its debug asserts sit in front of the
# parser's own error handling.
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DTOML_HEADER_ONLY=1 '-DTOML_ASSERT(expr)=((void)0)' -I"$src/include" -I"$src" \
  "$src/tests/fuzz/${target}_fuzz.cpp" "$src/explorer/spec.cpp" \
  "$src"/explorer/lang/*.cpp "$src/explorer/race.cpp" "$2/library_files.cpp" \
  -lfmt -o "$out/${target}_fuzz"
shopt -s nullglob
regressions=("$regression_dir"/*)
if [ ${#regressions[@]} -gt 0 ]; then
  "$out/${target}_fuzz" "${regressions[@]}"
fi
if [ "$target" = spec ]; then
  for f in "$src"/specs/*/*.toml; do
    cp "$f" "$out/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
else
  # Each library file under each of the 20 (era, type) bytes would be 200
  # seeds; one byte a file, spread over the eras and types, is enough.
  n=0
  for f in "$src"/models/kernel/*/*.kc "$src"/models/kernel/*/*/*.kc "$src"/models/kernel/*/*/*/*.kc "$src"/models/harness/*.kc; do
    { printf "\\$(printf '%03o' $((n % 20)))"; cat "$f"; } > "$out/corpus/seed-$n.kc"
    n=$((n + 1))
  done
fi
export ASAN_OPTIONS=detect_leaks=0
"$out/${target}_fuzz" -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/corpus" 2>&1 | tail -n 25
