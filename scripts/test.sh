#!/usr/bin/env bash
# Sets up the development environment (uv, locked dependencies) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_uv.sh
uv sync --locked --quiet
uv run --locked --no-sync pytest "$@"
