#!/usr/bin/env bash
# SPIN against pgmapcheck on the same P2PDMA v5.10 scenarios (bench/spin/*.pml
# mirrors them step for step): verdicts, states and seconds from one run.
# Usage: bench/spin/run.sh [BUILD_DIR]   (default build/release; needs: apt-get install spin)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
bin=$root/${1:-build/release}/pgmapcheck
command -v spin >/dev/null || { echo "spin is not installed: apt-get install spin" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
field() { grep -o "\"$1\": [0-9.e+-]*" "$2" | head -n 1 | sed 's/.*: //'; }
printf '%-38s %-12s %-28s %10s %9s\n' scenario checker verdict states seconds
for case in "p2pdma/alloc-vs-memunmap-refs-v5.10:" "p2pdma/v1-unbalanced-put-v5.10:-DSTRAY" \
            "bench/p2pdma-4-allocs-v5.10:-DBIG"; do
  name=${case%%:*}; flag=${case#*:}
  spin $flag -a "$here/p2pdma-v5.10.pml" >/dev/null
  gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c 2>/dev/null
  start=$(date +%s.%N); ./pan -m100000 > pan.out 2>&1 || true; end=$(date +%s.%N)
  errors=$(grep -o 'errors: [0-9]*' pan.out | sed 's/.*: //')
  what=$(grep -o 'assertion violated.*\|invalid end state' pan.out | head -n 1 | cut -c1-28)
  verdict=$([ "$errors" = 0 ] && echo holds || echo "violation: $what")
  states=$(grep -o '[0-9]* states, stored' pan.out | sed 's/ .*//')
  printf '%-38s %-12s %-28s %10s %9.3f\n' "$name" spin "$verdict" "$states" "$(echo "$end - $start" | bc)"
  case $name in bench/*) spec=$root/bench/specs/${name#bench/}.toml ;; *) spec=$root/specs/$name.toml ;; esac
  "$bin" check --quiet --out "$work/out" "$spec" >/dev/null || true
  r=$work/out/report.json
  v=$(grep -o '"verdict": "[a-z]*"' "$r" | sed 's/.*: "//; s/"//'); p=$(grep -o '"property": "[a-z-]*"' "$r" | sed 's/.*: "//; s/"//' || true)
  printf '%-38s %-12s %-28s %10s %9.3f\n' "$name" pgmapcheck "$v${p:+: $p}" "$(field states "$r")" "$(field seconds "$r")"
done
