#!/usr/bin/env bash
# docs/development.md, Shape: each folder of src/ includes only from itself
# and the folders below it (cli -> report -> check -> lang -> search,
# cli -> export -> lang), and models/ holds no C++ but the lifecycle tables.
# Usage: tests/docs/layers.sh SOURCE_DIR
set -uo pipefail
src=$1
declare -A below=(
  [search]="search"
  [lang]="lang search models"
  [check]="check lang search models"
  [report]="report check lang search models"
  [export]="export lang search models"
  [cli]="cli report export check lang search models"
)
bad=0
for folder in "${!below[@]}"; do
  for file in "$src/src/$folder"/*; do
    while IFS= read -r line; do
      used=${line#*\"}
      used=${used%%/*}
      if [[ " ${below[$folder]} " != *" $used "* ]]; then
        echo "${file#"$src/"}: includes \"${line#*\"} (src/$folder may include only from: ${below[$folder]})"
        bad=1
      fi
    done < <(grep -h '^#include "' "$file")
  done
done
for dir in "$src"/src/*/; do
  name=$(basename "$dir")
  [[ -v below[$name] ]] || { echo "src/$name: a folder docs/development.md's layers do not name"; bad=1; }
done
for file in $(cd "$src" && git ls-files models 2>/dev/null || find models -type f); do
  case $file in
    models/*.kc | models/patches/*) ;;  # in a case pattern, * matches / too
    models/lifecycle.hpp | models/device_private.hpp | models/device_coherent.hpp | models/fs_dax.hpp | \
      models/generic.hpp | models/p2pdma.hpp) ;;
    *) echo "$file: models/ holds model code, patches and the lifecycle tables only"; bad=1 ;;
  esac
done
[ $bad = 0 ] && echo "layers: every include points down"
exit $bad
