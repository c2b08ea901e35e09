#!/usr/bin/env bash
# Installs the Debian 12 packages pgmapcheck needs, only those missing;
# runs apt-get update only when something has to be installed. Without an
# argument: what building and running the checker needs (make run). With
# --test: what the tests need besides (Catch2, clang for the fuzzers, SPIN,
# universal-ctags). With --browser: Chromium alone, for the HTML report's
# browser test (make test); if it cannot be installed, that test is skipped
# and says so.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config make
  libboost-dev libboost-graph-dev
  graphviz libgraphviz-dev
  libtomlplusplus-dev libcli11-dev libfmt-dev nlohmann-json3-dev tao-pegtl-dev
)
if [ "${1:-}" = "--test" ]; then
  packages+=(catch2 clang libclang-rt-14-dev zlib1g-dev spin universal-ctags)
elif [ "${1:-}" = "--browser" ]; then
  packages=(chromium)
  trap 'echo "chromium could not be installed: the browser test will be skipped" >&2; exit 0' ERR
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
