#!/usr/bin/env bash
# make verify-sources: every kernel library function, as the checker loads it
# for v6.1 and for v6.15, cites "FILE: FUNCTION" on its comment's first line;
# this checks that FUNCTION is defined in FILE of the matching kernel tree:
# Debian's linux-source-6.1 (6.1.192) for v6.1, and linux-source-6.12
# (6.12.117) standing in for v6.15. A citation that does not hold there must
# be listed, with its reason, in scripts/verify-sources.known ("ERA FUNCTION:
# reason"); a listed one that now holds is an error too, so the list stays
# true. Not part of make test: it needs the two source packages (installed
# here if missing). With V5_10_TREE=DIR (a v5.10 kernel tree, or the files
# above from one) it checks the v5.10 library against that tree as well.
# Usage: [V5_10_TREE=DIR] scripts/verify-sources.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/dev}/pgmapcheck
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 2; }
trees=${TMPDIR:-/tmp}/pgmapcheck-sources
for v in 6.1 6.12; do
  if [ ! -f /usr/src/linux-source-$v.tar.xz ]; then
    [ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock)" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-source-$v >/dev/null
  fi
  # A tree extracted by an older list lacks the newest file: extract again.
  if [ ! -f "$trees/$v/drivers/gpu/drm/amd/amdkfd/kfd_svm.c" ]; then
    mkdir -p "$trees/$v"
    tar -xJf /usr/src/linux-source-$v.tar.xz -C "$trees/$v" --strip-components=1 \
      --wildcards 'linux-source-*/mm/*' 'linux-source-*/include/linux/*' 'linux-source-*/fs/dax.c' \
      'linux-source-*/fs/ext4/inode.c' 'linux-source-*/fs/ext4/file.c' 'linux-source-*/lib/test_hmm.c' \
      'linux-source-*/drivers/pci/p2pdma.c' 'linux-source-*/drivers/dax/*' 'linux-source-*/drivers/nvdimm/pmem.c' \
      'linux-source-*/kernel/module/main.c' 'linux-source-*/drivers/gpu/drm/nouveau/nouveau_dmem.c' \
      'linux-source-*/drivers/gpu/drm/nouveau/nouveau_svm.c' 'linux-source-*/drivers/gpu/drm/amd/amdkfd/kfd_migrate.c' \
      'linux-source-*/drivers/gpu/drm/amd/amdkfd/kfd_svm.c'
  fi
done
known=scripts/verify-sources.known
functions=$(grep -rhoE '^(static )?(inline )?(void|int|bool|struct [a-z_]+ \*|vm_fault_t|unsigned long) \*?[a-zA-Z_0-9]+\(' \
  models/kernel | sed -E 's/.*[ *]([a-zA-Z_0-9]+)\($/\1/' | sort -u)
checked=0; held=0; listed=0; fail=0
pairs="v6.1:$trees/6.1 v6.15:$trees/6.12"
[ -z "${V5_10_TREE:-}" ] || pairs="v5.10:$V5_10_TREE $pairs"
for pair in $pairs; do
  era=${pair%%:*}; tree=${pair#*:}
  e_checked=0; e_held=0
  for f in $functions; do
    first=$("$bin" show "$f" --kernel "$era" 2>/dev/null | sed -n 2p) || true
    [ -n "$first" ] || continue  # not in this era's library
    cite=$(printf '%s\n' "$first" | sed -nE 's|^/\* ([a-z0-9_/.-]+\.[ch]): ([a-zA-Z_0-9]+).*|\1 \2|p')
    [ -n "$cite" ] || continue  # a model helper, not a kernel function (its comment says so)
    set -- $cite
    e_checked=$((e_checked + 1))
    if [ -f "$tree/$1" ] && grep -Eq "^[a-z].*[ *]$2\(|^$2\(|define $2\(" "$tree/$1"; then
      e_held=$((e_held + 1))
      if grep -q "^$era $f:" "$known" 2>/dev/null; then
        echo "$era $f: cites $1: $2, which now holds: take it off $known"; fail=1
      fi
    elif grep -q "^$era $f:" "$known" 2>/dev/null; then
      listed=$((listed + 1))
    else
      echo "$era $f: cites $1: $2, not defined there in $(basename "$tree")"; fail=1
    fi
  done
  echo "$era: $e_checked functions cite a kernel function; $e_held found in $(basename "$tree")'s file"
  checked=$((checked + e_checked)); held=$((held + e_held))
done
echo "in all: $held of $checked citations hold; $listed listed in $known with their reasons"
exit $fail
