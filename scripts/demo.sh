#!/usr/bin/env bash
# A real crawl run on the bundled Common Crawl samples (test/fixtures/samples), then a look at the Parquet results.
#   bash scripts/demo.sh [out-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
out="${1:-out}"
run_id="samples-$(date -u +%Y%m%d-%H%M%S)"
echo "== wikireverse run --paths test/fixtures/samples --out $out --run-id $run_id"
node dist/cli.js run --paths test/fixtures/samples --out "$out" --run-id "$run_id"
echo "== results"
node dist/scripts/show-results.js "$out/$run_id"
