#!/usr/bin/env bash
# Sets up releasekit and releases examples/demo-package in a throwaway git repository with a
# bare remote: a dry run, the real release (commit, tag, atomic push), its notes, then the
# build of its sdist and wheel and the check of both as PyPI would see them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/_uv.sh
uv sync --locked --quiet
releasekit="$root/.venv/bin/releasekit"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R examples/demo-package "$work/demo-package"
git init -q --bare -b main "$work/remote.git"
cd "$work/demo-package"
git init -q -b main
git config user.name "Demo Maintainer"
git config user.email "maintainer@example.com"
git add -A
git commit -q -m "Initial commit"
git tag -a v0.1.0 -m "Release 0.1.0"
git remote add origin "$work/remote.git"
git push -q -u origin main --tags

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
say releasekit prepare minor --dry-run
"$releasekit" prepare minor --dry-run
say releasekit prepare minor --yes --push
"$releasekit" prepare minor --yes --push
say git log --oneline --decorate
git log --oneline --decorate
say git ls-remote --tags origin
git ls-remote --tags origin
say releasekit notes
"$releasekit" notes
say releasekit build
"$releasekit" build
say releasekit check
"$releasekit" check
