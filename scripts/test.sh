#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds, runs the whole vitest suite.
#   bash scripts/test.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck (src, jobs, scripts, test)"
npx tsc -p tsconfig.test.json
echo "== vitest"
npx vitest run "$@"
