#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds, type-checks, lints, runs the whole vitest suite.
#   bash scripts/test.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

# The fleet tests talk to a protocol-level AWS (moto in server mode) and run the instances' user-data with the real AWS
# CLI: both from PyPI into .venv/ (scripts/aws-standin.sh; cold: about 40 s).
bash scripts/aws-standin.sh

# The report test opens report.html in a real headless browser (playwright-core drives Debian's chromium).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian package, for the report.html browser test)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The container test builds and runs the worker image: podman and the Dockerfile's base images (local stand-ins where no
# registry is reachable) are made ready here, before vitest runs its files side by side (cold: a few minutes). Where no
# container engine can run, the test says why and skips (CI sets WIKIREVERSE_CONTAINER_TEST=require: it fails instead).
bash scripts/container-base.sh || echo "== container engine not ready (the container test says why)"

echo "== typecheck (src, jobs, scripts, test)"
npx tsc -p tsconfig.test.json
echo "== lint (import layers and cycles: .dependency-cruiser.cjs; TypeScript: eslint.config.js)"
npm run --silent lint
echo "== vitest"
npx vitest run "$@"
