#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then the installed checker alone:
# --version, and a catalog spec from the installed share/ folder, run from
# an unrelated directory so nothing of the source tree is found by accident.
# Usage: tests/install/run.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
bin=$prefix/bin/pgmapcheck
[ -x "$bin" ] || { echo "no $bin after cmake --install" >&2; exit 1; }
got=$("$bin" --version)
[ "$got" = "pgmapcheck $version" ] || { echo "--version printed '$got', expected 'pgmapcheck $version'" >&2; exit 1; }
spec=$prefix/share/pgmapcheck/specs/p2pdma/v1-unbalanced-put-v5.10.toml
[ -f "$spec" ] || { echo "the catalog is not installed: no $spec" >&2; exit 1; }
[ -f "$prefix/share/doc/pgmapcheck/kernel-model.md" ] || { echo "docs/kernel-model.md is not installed" >&2; exit 1; }
cd "$prefix"
"$bin" test "$spec"
