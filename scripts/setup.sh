#!/usr/bin/env bash
# Installs what WikiReverse needs on a fresh Debian/Ubuntu machine: a supported Node (22 or 24; scripts/node.sh),
# redis-server, the npm dependencies (npm ci, pinned by package-lock.json), and builds dist/. Sourced by test.sh and
# demo.sh, so that they run on the Node it chose.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/node.sh

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing redis-server (Debian package)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

# The fast inflate addon (native/, built by npm ci's install script) links Debian's libdeflate-dev statically.
if [ ! -f /usr/include/libdeflate.h ]; then
  echo "== installing libdeflate-dev (Debian package, for the inflate addon)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libdeflate-dev g++ make python3 >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi

# npm ci builds the addon; a tree installed before it existed (or after a failed build) builds it here.
[ -f native/build/Release/wikireverse_inflate.node ] || node scripts/build-native.mjs

echo "== build"
npm run build --silent
