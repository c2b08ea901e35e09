#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan), replays every
# saved regression input, then fuzzes each for a bounded time seeded from the
# repository, the targets side by side (one core each).
#   spec: the spec parser and checker; inputs are spec files, seeded with
#         specs/; regressions in tests/fuzz/regressions/.
#   code: the model language over the kernel library; an input is a byte
#         (era and pagemap type) then a model file, seeded with the
#         library's own files; regressions in tests/fuzz/code-regressions/.
#   witness: witness conditions on a P2PDMA scenario, seeded with the
#         catalog's; regressions in tests/fuzz/witness-regressions/.
#   patch: patch files stacked on a P2PDMA v6.15 scenario, seeded with the
#         repository's patches; regressions in tests/fuzz/patch-regressions/.
# The sources both targets share are compiled once, two at a time.
# An input may run 30 s before it counts as a hang: the first input of each
# pagemap type loads the library for six kernels under ASan (about 5 s on
# one core), and four targets share two cores.
# Usage: run.sh SOURCE_DIR BUILD_DIR [SECONDS [TARGET...]]  (default: 60, spec code witness patch)
set -euo pipefail
src=$1
build=$2
seconds=${3:-60}
shift $(($# < 3 ? $# : 3))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec code witness patch)
for target in "${targets[@]}"; do
  case $target in
    spec | code | witness | patch) ;;
    *) echo "run.sh: unknown target '$target': expected spec, code, witness or patch" >&2; exit 2 ;;
  esac
done

# toml++ is built as the release library ships it (Debian builds it with GCC,
# where TOML_ASSERT_ASSUME is a no-op): its debug asserts sit in front of the
# parser's own error handling.
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
  -DTOML_HEADER_ONLY=1 '-DTOML_ASSERT(expr)=((void)0)' -I"$src/src" -I"$src")
obj=$build/fuzz/obj
mkdir -p "$obj"
shared_sources=("$src"/src/lang/*.cpp "$src"/src/check/*.cpp "$build/library_files.cpp")
sources=("${shared_sources[@]}")
for target in "${targets[@]}"; do sources+=("$src/tests/fuzz/${target}_fuzz.cpp"); done
export obj
printf '%s\0' "${sources[@]}" | xargs -0 -n 1 -P 2 bash -c \
  'source=${!#}; clang++ "${@:1:$#-1}" -c "$source" -o "$obj/$(basename "$source" .cpp).o"' _ "${flags[@]}"
shared=()
for s in "${shared_sources[@]}"; do shared+=("$obj/$(basename "$s" .cpp).o"); done

export ASAN_OPTIONS=detect_leaks=0
shopt -s nullglob
for target in "${targets[@]}"; do
  out=$build/fuzz/$target
  mkdir -p "$out/corpus" "$out/crashes"
  clang++ -fsanitize=fuzzer,address,undefined "$obj/${target}_fuzz.o" "${shared[@]}" -lfmt -o "$out/${target}_fuzz"
  case $target in
    spec) regressions=("$src"/tests/fuzz/regressions/*) ;;
    code) regressions=("$src"/tests/fuzz/code-regressions/*) ;;
    witness) regressions=("$src"/tests/fuzz/witness-regressions/*) ;;
    patch) regressions=("$src"/tests/fuzz/patch-regressions/*) ;;
  esac
  if [ ${#regressions[@]} -gt 0 ]; then
    "$out/${target}_fuzz" "${regressions[@]}"
  fi
  if [ "$target" = spec ]; then
    for f in "$src"/specs/*/*.toml; do
      cp "$f" "$out/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
  elif [ "$target" = witness ]; then
    n=0
    grep -h '^reach *=' "$src"/specs/*/*.toml | sed 's/^reach *= *"//; s/"$//' | while IFS= read -r w; do
      printf '%s' "$w" >"$out/corpus/seed-$n"
      n=$((n + 1))
    done
    printf '%s' 'done(memunmap) && pinned(page0) || refcount(page1) >= 2 && !asleep(p2p_alloc#0, pci_alloc_p2pmem)' \
      >"$out/corpus/seed-atoms"
  elif [ "$target" = patch ]; then
    for f in "$src"/specs/patches/*.toml "$src"/models/patches/*/*.toml; do
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
done

pids=()
for target in "${targets[@]}"; do
  out=$build/fuzz/$target
  "$out/${target}_fuzz" -max_total_time="$seconds" -seed=1 -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/corpus" > "$out/log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  rc=0
  wait "${pids[$i]}" || rc=$?
  echo "== fuzz/${targets[$i]}: exit $rc"
  tail -n 25 "$build/fuzz/${targets[$i]}/log"
  [ $rc -eq 0 ] || status=1
done
exit $status
