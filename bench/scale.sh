#!/usr/bin/env bash
# make bench: the bench scenarios scaled with P, checked with every reduction
# on and off, each with 1 and 2 search threads; for each run: states,
# transitions, seconds, states per second, bytes per stored state, the
# process's peak RSS, and for 2 threads the speed-up over 1. One run on this
# machine: compare rows of one table, not tables. Last, the 6-page P2PDMA
# memunmap scenario, reductions on, 1 and 2 threads. A run past LIMIT seconds (default
# 120) or MEM MiB of search memory (default 8192) is cut and shown as such.
# Scenarios (generated here, in the catalog's format):
#   p2pdma        v5.10: P pages, P p2p_alloc, P stray_get_put (consumers), no memunmap
#   p2pdma+unmap  v5.10: P pages, P p2p_alloc and memunmap; every property
#                 but use-after-free (the V11 window violates it)
#   fs-dax        v5.10: P pages, P faults, P gups, one truncate
#   dev-private   v6.1: P pages, P drivers, P cpu faults, memunmap
# Usage: bench/scale.sh [BUILD_DIR] [MAX_P]   (default build/release, 4)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release}/pgmapcheck
max_p=${2:-4}
limit=${LIMIT:-120}
mem=${MEM:-8192}
[ -x "$bin" ] || { echo "build first: make release" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

scenario() {  # NAME P -> a spec file
  local name=$1 p=$2 f=$work/$1-$2.toml
  case $name in
    p2pdma) printf 'kernel = "v5.10"\npagemap = "p2pdma"\npages = %d\n[actors]\np2p_alloc = %d\nstray_get_put = %d\n' "$p" "$p" "$p" ;;
    p2pdma+unmap) printf 'kernel = "v5.10"\npagemap = "p2pdma"\npages = %d\nproperties = ["refcount-underflow", "get-from-zero", "memunmap-early", "free-while-used", "deadlock", "ref-leak", "kernel-warn", "kernel-bug", "lifecycle"]\n[actors]\np2p_alloc = %d\nmemunmap = 1\n' "$p" "$p" ;;
    fs-dax) printf 'kernel = "v5.10"\npagemap = "fs_dax"\npages = %d\n[actors]\nfault = %d\ngup = %d\ntruncate = 1\n' "$p" "$p" "$p" ;;
    dev-private) printf 'kernel = "v6.1"\npagemap = "device_private"\npages = %d\n[actors]\ndriver = %d\ncpu_fault = %d\nmemunmap = 1\n' "$p" "$p" "$p" ;;
  esac >"$f"
  echo "$f"
}
field() { grep -o "\"$1\": [0-9.e+-]*" "$2" | head -n 1 | sed 's/.*: //'; }

one() {  # NAME P MODE THREADS: one row
  local name=$1 p=$2 mode=$3 threads=$4 spec flag=""
  spec=$(scenario "$name" "$p")
  [ "$mode" = off ] && flag=--no-reduction
  rm -rf "$work/r"
  timeout "$limit" "$bin" check --quiet $flag --threads "$threads" --max-memory "$mem" --out "$work/r" "$spec" \
    >/dev/null 2>&1 || true
  r=$work/r/report.json
  if [ ! -s "$r" ]; then
    printf '%-13s %2d %-4s %3d (cut after %s s)\n' "$name" "$p" "$mode" "$threads" "$limit"
    one_secs=""
    return
  fi
  local verdict prop states secs rate bps rss speedup=""
  verdict=$(grep -o '"verdict": "[a-z]*"' "$r" | sed 's/.*: "//; s/"//')
  prop=$(grep -o '"property": "[a-z-]*"' "$r" | sed 's/.*: "//; s/"//' || true)
  [ -n "$prop" ] && verdict="$verdict $prop"
  states=$(field states "$r"); secs=$(field seconds "$r")
  rate=$(awk -v s="$states" -v t="$secs" 'BEGIN { printf "%.0f", (t > 0 ? s / t : 0) }')
  bps=$(awk -v b="$(field bytes_per_state "$r")" 'BEGIN { printf "%.1f", b }')
  rss=$(awk -v b="$(field peak_rss_bytes "$r")" 'BEGIN { printf "%.0f", b / 1048576 }')
  [ "$threads" -gt 1 ] && [ -n "$one_secs" ] &&
    speedup=$(awk -v a="$one_secs" -v b="$secs" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
  printf '%-13s %2d %-4s %3d %-20s %11s %12s %9.3f %11s %7s %8s %7s\n' "$name" "$p" "$mode" "$threads" "$verdict" \
    "$states" "$(field transitions "$r")" "$secs" "$rate" "$bps" "$rss" "$speedup"
  [ "$threads" = 1 ] && one_secs=$secs
  return 0
}

printf '%-13s %2s %-4s %3s %-20s %11s %12s %9s %11s %7s %8s %7s\n' scenario P red thr verdict states transitions \
  seconds states/s B/state RSS_MiB speedup
for name in p2pdma p2pdma+unmap fs-dax dev-private; do
  for p in $(seq 1 "$max_p"); do
    for mode in on off; do
      for threads in 1 2; do one "$name" "$p" "$mode" "$threads"; done
    done
  done
done
for threads in 1 2; do one p2pdma+unmap 6 on "$threads"; done
