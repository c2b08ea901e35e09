#!/usr/bin/env bash
# SPIN on a scenario: pgmapcheck's Promela export of it (pgmapcheck promela,
# the unreduced state graph), compiled as a plain safety search
# (-DSAFETY -DNOREDUCE: no partial-order reduction, exact state storage) and
# run once. Prints one line:
#   verdict states transitions seconds bytes_per_state memory_MiB
# seconds is pan's own elapsed time (the search, not the compilation);
# memory is pan's total actual memory usage. With a states estimate, the
# hash table is sized for it (-w), as SPIN's manual advises.
# Usage: bench/spin/run.sh SPEC [BUILD_DIR] [STATES_ESTIMATE] [MEMLIM_MIB]
#   (default build/release; needs spin: scripts/deps.sh installs it)
set -euo pipefail
spec=$(realpath "$1")
bin=$(realpath "${2:-build/release}")/pgmapcheck
estimate=${3:-1000000}
memlim=${4:-16384}
command -v spin >/dev/null || { echo "spin is not installed (scripts/deps.sh)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" promela "$spec" --out model.pml
spin -a model.pml >/dev/null
gcc -O2 -DSAFETY -DNOREDUCE -DNOBOUNDCHECK -DVECTORSZ=4096 -DMEMLIM="$memlim" -o pan pan.c
w=$(awk -v n="$estimate" 'BEGIN { w = 10; while (2 ^ w < 2 * n && w < 30) w++; print w }')
./pan -m200000 -w"$w" >pan.out 2>&1 || true
grep -q 'states, stored' pan.out || { echo "error: pan did not finish: $(tail -n 3 pan.out | tr '\n' ' ')" >&2; exit 1; }
! grep -q 'max search depth too small' pan.out || { echo "error: the search went deeper than -m: incomplete" >&2; exit 1; }
# pan stops at its memory bound and still prints its statistics: a search
# cut short, not a verdict.
! grep -q -e 'reached -DMEMLIM bound' -e 'out of memory' pan.out ||
  { echo "error: pan reached its memory bound ($memlim MiB): incomplete" >&2; exit 1; }
errors=$(grep -o 'errors: [0-9]*' pan.out | sed 's/.*: //')
states=$(grep -o '[0-9]* states, stored' pan.out | sed 's/ .*//')
transitions=$(grep -o '[0-9.e+]* transitions' pan.out | head -n 1 | awk '{ printf "%.0f", $1 }')
secs=$(grep -o 'elapsed time [0-9.e+-]*' pan.out | sed 's/.* //')
mem=$(grep 'total actual memory usage' pan.out | awk '{ print $1 }')
state_mem=$(grep 'actual memory usage for states' pan.out | awk '{ print $1 }')
verdict=$([ "$errors" = 0 ] && echo holds || echo violation)
bps=$(awk -v m="$state_mem" -v s="$states" 'BEGIN { printf "%.1f", (s > 0 ? m * 1048576 / s : 0) }')
echo "$verdict $states $transitions $secs $bps $mem"
