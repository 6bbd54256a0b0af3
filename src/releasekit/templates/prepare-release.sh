#!/usr/bin/env bash
# Prepare a release: bump the version, @@CHANGELOG_STEP@@commit and tag, atomically.
# A thin wrapper: every argument goes to `releasekit prepare` (see `releasekit prepare --help`).
#   ./prepare-release.sh minor --dry-run
#   ./prepare-release.sh minor,rc --push
set -euo pipefail
cd "$(dirname "$0")"
if command -v releasekit >/dev/null 2>&1; then
  exec releasekit prepare "$@"
elif command -v uv >/dev/null 2>&1; then
  exec uv run releasekit prepare "$@"
fi
echo "error: releasekit is not installed; install it (pipx install releasekit) or uv, then run again" >&2
exit 2
