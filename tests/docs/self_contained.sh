#!/usr/bin/env bash
# Fails when a tracked file names a document outside the repository: the
# kernel semantics the models rely on are docs/kernel-model.md's, with kernel
# sources, and nothing a user lacks may stand in for them.
# Usage: tests/docs/self_contained.sh SOURCE_DIR
set -euo pipefail
cd "$1"
# The names are spelled as patterns so that this file does not match itself.
pattern='KERNEL[.]md|DESIGN[.]md|LANGUAGE-SKETCH[.]md|[.][.]/shared/'
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -path ./build -prune -o -path ./out -prune -o -type f -print)
fi
hits=$(echo "$files" | xargs grep -InE "$pattern" -- 2>/dev/null || true)
if [ -n "$hits" ]; then
  echo "these lines name a document outside the repository (cite docs/kernel-model.md or kernel source):"
  echo "$hits"
  exit 1
fi
echo "no tracked file names a document outside the repository"
