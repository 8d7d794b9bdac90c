#!/usr/bin/env bash
# The record reader's peers for `npm run bench` (src/bench/peers.ts runs them): FastWARC and warcio (Python) from PyPI
# into a virtualenv inside the project (.venv-bench/), pinned with every dependency by scripts/requirements-bench.txt.
# Installed once; again when the requirements change. Exits 0 with .venv-bench/bin/python ready, else 1 saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/requirements-bench.txt
stamp=.venv-bench/.requirements-bench.txt
if [ -x .venv-bench/bin/python ] && cmp -s "$req" "$stamp"; then exit 0; fi
PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || { echo "scripts/bench-peers.sh: $PY not found (Python 3.9 or later)" >&2; exit 1; }
echo "== installing FastWARC and warcio into .venv-bench/ (PyPI, pinned: $req)" >&2
"$PY" -m venv .venv-bench 2>/dev/null || {
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  "$PY" -m venv .venv-bench
}
.venv-bench/bin/pip install --quiet --disable-pip-version-check --no-input -r "$req" >&2
cp "$req" "$stamp"
