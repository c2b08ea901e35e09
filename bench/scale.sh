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
#                 but use-after-free and kernel-bug (the V11 and V12 windows
#                 violate them: docs/kernel-model.md)
#   fs-dax        v5.10: P pages, P faults, P gups, one truncate
#   dev-private   v6.1: P pages, P drivers, P cpu faults, the process's
#                 munmap and memunmap (without the munmap, or a driver's
#                 eviction, memunmap_pages waits for device pages the
#                 process still maps: a deadlock, as in the kernel)
# Then, for each scenario and P, SPIN on pgmapcheck's Promela export of it
# (bench/spin/run.sh: the unreduced state graph): its row, and in every
# pgmapcheck row vs_spin, SPIN's seconds over the row's (for an unreduced
# row, with the same states, also its states/s over SPIN's), and "=" where
# the row stores exactly SPIN's states (pan times in hundredths of a second:
# no ratio under 0.05 s). Then livelock's cost: p2pdma at MAX_P unreduced
# with every property and with every property but livelock (the
# p2pdma-no-livelock rows), and the ratios. SPIN=0 leaves SPIN out;
# GROUPS_ONLY="NAME:P ..." runs those groups alone (then the 6-page rows).
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
    p2pdma-no-livelock) printf 'kernel = "v5.10"\npagemap = "p2pdma"\npages = %d\nproperties = ["refcount-underflow", "get-from-zero", "memunmap-early", "use-after-free", "free-while-used", "deadlock", "ref-leak", "kernel-warn", "kernel-bug", "lifecycle", "model-range"]\n[actors]\np2p_alloc = %d\nstray_get_put = %d\n' "$p" "$p" "$p" ;;
    p2pdma+unmap) printf 'kernel = "v5.10"\npagemap = "p2pdma"\npages = %d\nproperties = ["refcount-underflow", "get-from-zero", "memunmap-early", "free-while-used", "deadlock", "ref-leak", "kernel-warn", "lifecycle"]\n[actors]\np2p_alloc = %d\nmemunmap = 1\n' "$p" "$p" ;;
    fs-dax) printf 'kernel = "v5.10"\npagemap = "fs_dax"\npages = %d\n[actors]\nfault = %d\ngup = %d\ntruncate = 1\n' "$p" "$p" "$p" ;;
    dev-private) printf 'kernel = "v6.1"\npagemap = "device_private"\npages = %d\n[actors]\ndriver = %d\ncpu_fault = %d\nuser = 1\nmemunmap = 1\n' "$p" "$p" "$p" ;;
  esac >"$f"
  echo "$f"
}
field() { grep -o "\"$1\": [0-9.e+-]*" "$2" | head -n 1 | sed 's/.*: //'; }

# run NAME P MODE THREADS: one pgmapcheck run; sets the row's fields
# (r_line, r_states, r_secs) or r_line to a "cut" line.
run() {
  local name=$1 p=$2 mode=$3 threads=$4 spec flag=""
  spec=$(scenario "$name" "$p")
  [ "$mode" = off ] && flag=--no-reduction
  rm -rf "$work/r"
  r_states=""; r_secs=""
  timeout "$limit" "$bin" check --quiet $flag --threads "$threads" --max-memory "$mem" --out "$work/r" "$spec" \
    >/dev/null 2>&1 || true
  r=$work/r/report.json
  if [ ! -s "$r" ]; then
    r_line=$(printf '%-13s %2d %-4s %3s (cut after %s s)' "$name" "$p" "$mode" "$threads" "$limit")
    return 0
  fi
  local verdict prop rate bps rss speedup=""
  verdict=$(grep -o '"verdict": "[a-z]*"' "$r" | sed 's/.*: "//; s/"//')
  prop=$(grep -o '"property": "[a-z-]*"' "$r" | sed 's/.*: "//; s/"//' || true)
  [ -n "$prop" ] && verdict="$verdict $prop"
  r_states=$(field states "$r"); r_secs=$(field seconds "$r")
  rate=$(awk -v s="$r_states" -v t="$r_secs" 'BEGIN { printf "%.0f", (t > 0 ? s / t : 0) }')
  bps=$(awk -v b="$(field bytes_per_state "$r")" 'BEGIN { printf "%.1f", b }')
  rss=$(awk -v b="$(field peak_rss_bytes "$r")" 'BEGIN { printf "%.0f", b / 1048576 }')
  [ "$threads" -gt 1 ] && [ -n "$one_secs" ] &&
    speedup=$(awk -v a="$one_secs" -v b="$r_secs" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')
  r_line=$(printf '%-13s %2d %-4s %3d %-20s %11s %12s %9.3f %11s %7s %8s %7s' "$name" "$p" "$mode" "$threads" "$verdict" \
    "$r_states" "$(field transitions "$r")" "$r_secs" "$rate" "$bps" "$rss" "$speedup")
  [ "$threads" = 1 ] && one_secs=$r_secs
  return 0
}

# group NAME P: the four pgmapcheck rows, then SPIN's, each pgmapcheck row
# with its ratio to SPIN.
group() {
  local name=$1 p=$2 lines=() states=() secs=() i mode threads est=1000000
  for mode in on off; do
    one_secs=""
    for threads in 1 2; do
      run "$name" "$p" "$mode" "$threads"
      lines+=("$r_line"); states+=("$r_states"); secs+=("$r_secs")
      [ "$mode$threads" = off1 ] && [ -n "$r_states" ] && est=$r_states
    done
  done
  local spin_line="" s_states="" s_secs=""
  if [ "${SPIN:-1}" != 0 ] && command -v spin >/dev/null; then
    local out
    if out=$(timeout "$limit" bench/spin/run.sh "$(scenario "$name" "$p")" "${bin%/pgmapcheck}" "$est" "$mem" 2>/dev/null); then
      read -r sv s_states st s_secs sbps smem <<<"$out"
      spin_line=$(printf '%-13s %2d %-4s %3d %-20s %11s %12s %9.3f %11s %7s %8.0f %7s' "$name" "$p" spin 1 "$sv" \
        "$s_states" "$st" "$s_secs" "$(awk -v s="$s_states" -v t="$s_secs" 'BEGIN { printf "%.0f", (t > 0 ? s / t : 0) }')" \
        "$sbps" "$smem" "")
    else
      spin_line=$(printf '%-13s %2d %-4s %3d (cut after %s s or at %s MiB)' "$name" "$p" spin 1 "$limit" "$mem")
    fi
  fi
  for i in "${!lines[@]}"; do
    local vs=""
    if [ -n "$s_secs" ] && [ -n "${secs[$i]}" ] && awk -v t="$s_secs" 'BEGIN { exit !(t >= 0.05) }'; then
      vs=$(awk -v a="$s_secs" -v b="${secs[$i]}" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }')
      [ "${states[$i]}" = "$s_states" ] && vs="$vs ="
    fi
    printf '%s %s\n' "${lines[$i]}" "$vs"
  done
  [ -n "$spin_line" ] && printf '%s\n' "$spin_line"
  return 0
}

printf '%-13s %2s %-4s %3s %-20s %11s %12s %9s %11s %7s %8s %7s %s\n' scenario P red thr verdict states transitions \
  seconds states/s B/state RSS_MiB speedup vs_spin
if [ -n "${GROUPS_ONLY:-}" ]; then  # e.g. GROUPS_ONLY="p2pdma:4 fs-dax:3": those groups alone
  for g in $GROUPS_ONLY; do group "${g%%:*}" "${g##*:}"; done
else
  for name in p2pdma p2pdma+unmap fs-dax dev-private; do
    for p in $(seq 1 "$max_p"); do group "$name" "$p"; done
  done
fi
# Livelock's cost (docs/performance.md): the p2pdma group at MAX_P unreduced,
# every property against every property but livelock, in one run, with the
# time and peak memory ratios.
if [ -z "${GROUPS_ONLY:-}" ]; then
  for threads in 1 2; do
    run p2pdma "$max_p" off "$threads"
    printf '%s\n' "$r_line"
    with_secs=$r_secs with_rss=$(field peak_rss_bytes "$work/r/report.json")
    one_secs=""
    run p2pdma-no-livelock "$max_p" off "$threads"
    printf '%s\n' "$r_line"
    [ -n "$with_secs" ] && [ -n "$r_secs" ] &&
      awk -v a="$with_secs" -v b="$r_secs" -v m="$with_rss" -v n="$(field peak_rss_bytes "$work/r/report.json")" \
        'BEGIN { printf "livelock costs %.2fx the time and %.2fx the peak RSS\n", (b > 0 ? a / b : 0), (n > 0 ? m / n : 0) }'
  done
fi
# The 6-page target: reductions on only (unreduced, it needs more than this machine's LIMIT).
for threads in 1 2; do
  run p2pdma+unmap 6 on "$threads"
  printf '%s\n' "$r_line"
done
