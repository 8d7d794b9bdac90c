#!/usr/bin/env bash
# A chaos run (not part of the default test run: about a minute): 200 generated files, 4 workers, worker
# processes SIGKILLed and redis-server restarted at random; prints lost=0 duplicated=0 extra=0 when the output is exact.
#   bash scripts/chaos.sh [--files N] [--pages N] [--workers N] [--interval-ms MS] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
node dist/scripts/chaos.js "$@"
