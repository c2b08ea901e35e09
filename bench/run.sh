#!/usr/bin/env bash
# Benchmarks: every scenario in bench/specs (and two catalog specs), BFS and
# DFS: states, transitions, seconds, states per second, peak search memory
# and bytes per stored state, all from one run on this machine. Absolute times
# drift on shared machines: read the ratios between rows of the same run.
# A run past LIMIT seconds (default 120) is cut and shown as such.
# Usage: bench/run.sh [BUILD_DIR]   (default build/release: make release)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release}/pgmapcheck
limit=${LIMIT:-120}
[ -x "$bin" ] || { echo "build first: make release" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
field() { grep -o "\"$1\": [0-9.e+-]*" "$2" | head -n 1 | sed 's/.*: //'; }
printf '%-36s %-4s %-10s %11s %12s %9s %11s %10s %8s\n' scenario srch verdict states transitions seconds states/s peak_MiB B/state
for spec in bench/specs/*.toml specs/p2pdma/alloc-vs-memunmap-refs-v5.10.toml specs/device_private/v9-fixed-v6.1.toml; do
  for search in bfs dfs; do
    rm -f "$out/r/report.json"
    if ! timeout "$limit" "$bin" check --quiet --search "$search" --out "$out/r" "$spec" >/dev/null 2>&1 &&
       [ ! -s "$out/r/report.json" ]; then
      printf '%-36s %-4s %-10s (cut after %s s)\n' "$(basename "$spec" .toml)" "$search" "-" "$limit"
      continue
    fi
    r=$out/r/report.json
    states=$(field states "$r"); secs=$(field seconds "$r"); peak=$(field peak_memory_bytes "$r")
    verdict=$(grep -o '"verdict": "[a-z]*"' "$r" | sed 's/.*: "//; s/"//')
    rate=$(awk -v s="$states" -v t="$secs" 'BEGIN { printf "%.0f", (t > 0 ? s / t : 0) }')
    mib=$(awk -v b="$peak" 'BEGIN { printf "%.1f", b / 1048576 }')
    bps=$(awk -v b="$(field bytes_per_state "$r")" 'BEGIN { printf "%.0f", b }')
    printf '%-36s %-4s %-10s %11s %12s %9.3f %11s %10s %8s\n' "$(basename "$spec" .toml)" "$search" "$verdict" \
      "$states" "$(field transitions "$r")" "$secs" "$rate" "$mib" "$bps"
  done
done
