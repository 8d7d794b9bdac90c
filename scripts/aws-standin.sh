#!/usr/bin/env bash
# The protocol-level AWS of the suite (README "Running on EC2 spot"): moto in server mode (EC2, SSM, ECR, CloudWatch Logs)
# and the AWS CLI the simulated fleet instances run, from PyPI into a virtualenv inside the project (.venv/), pinned with
# every dependency by scripts/requirements-test.txt. Installed once; again when the requirements change.
#   bash scripts/aws-standin.sh   # then .venv/bin/moto_server and .venv/bin/aws
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/requirements-test.txt
stamp=.venv/.requirements-test.txt
if [ -x .venv/bin/moto_server ] && [ -x .venv/bin/aws ] && cmp -s "$req" "$stamp"; then exit 0; fi
PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || { echo "scripts/aws-standin.sh: $PY not found (Python 3.9 or later is needed for moto)" >&2; exit 1; }
echo "== installing moto and the AWS CLI into .venv/ (PyPI, pinned: $req)"
"$PY" -m venv .venv 2>/dev/null || {
  # Debian's python3 has no venv module until python3-venv is installed.
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  "$PY" -m venv .venv
}
.venv/bin/pip install --quiet --disable-pip-version-check --no-input -r "$req"
cp "$req" "$stamp"
