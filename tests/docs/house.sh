#!/usr/bin/env bash
# docs/development.md, Shape: each folder of src/ includes only from itself
# and the folders below it (cli -> report -> check -> lang -> search,
# cli -> export -> lang, lang -> models/ -> machine), models/ holds no C++
# but the lifecycle tables, which include only the DSL,
# and no function in src/ runs to 120 lines (universal-ctags measures them).
# Usage: tests/docs/house.sh SOURCE_DIR
set -uo pipefail
src=$1
declare -A below=(
  [machine]="machine"
  [search]="search"
  [lang]="lang search models machine"
  [check]="check lang search models machine"
  [report]="report check lang search models machine"
  [export]="export lang search models machine"
  [cli]="cli report export check lang search models machine"
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
# The lifecycle tables sit between lang and machine: they include only
# each other and the DSL.
for file in "$src"/models/*.hpp; do
  while IFS= read -r line; do
    used=${line#*\"}
    used=${used%%/*}
    if [[ $used != models && $used != machine ]]; then
      echo "${file#"$src/"}: includes \"${line#*\"} (a lifecycle table may include only models/ and machine/)"
      bad=1
    fi
  done < <(grep -h '^#include "' "$file")
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
if command -v ctags >/dev/null && ctags --version | grep -q "Universal Ctags"; then
  long=$(cd "$src" && ctags -R --languages=C++ --kinds-C++=fp --fields=+ne -x \
           --_xformat="%{end} %{line} %N %F" src |
         awk '$1 ~ /^[0-9]+$/ && $1 - $2 + 1 >= 120 {print $4 ":" $2 ": " $3 " runs " $1 - $2 + 1 " lines"}')
  [ -z "$long" ] || { echo "$long (a function stays under 120 lines)"; bad=1; }
else
  echo "house: universal-ctags missing, function lengths not measured" >&2
  bad=1
fi
[ $bad = 0 ] && echo "house: every include points down, every function is under 120 lines"
exit $bad
