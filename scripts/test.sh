#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds, runs the whole vitest suite.
#   bash scripts/test.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

# The report test opens report.html in a real headless browser (playwright-core drives Debian's chromium).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian package, for the report.html browser test)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== typecheck (src, jobs, scripts, test)"
npx tsc -p tsconfig.test.json
echo "== vitest"
npx vitest run "$@"
