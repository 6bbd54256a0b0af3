#!/usr/bin/env bash
# Sets up releasekit and releases examples/demo-package in a throwaway git repository with a
# bare remote: init and doctor set up publishing, `releasekit rehearse minor` runs the whole
# release end to end against a local index (prepare, build, check, publish, install, import),
# then the real release is prepared from the Conventional Commits (prepare auto) and pushed,
# and its notes printed.
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
git remote add github git@github.com:example/demo-package.git  # named only, never contacted
say releasekit init --testpypi
"$releasekit" init --testpypi
say releasekit doctor
"$releasekit" doctor
git add -A
git commit -q -m "ci: publish with trusted publishing"
# A change written as a Conventional Commit: prepare auto reads the bump and the entry from it.
sed -i.orig 's/def greet(name: str) -> str:/def greet(name: str, end: str = "!") -> str:/; s/Hello, {name}!/Hello, {name}{end}/' src/demo_package/__init__.py
rm src/demo_package/__init__.py.orig
git commit -q -am "feat(greet): choose how the greeting ends"
git push -q origin main
say releasekit rehearse minor
"$releasekit" rehearse minor
say releasekit notes --from-commits
"$releasekit" notes --from-commits
say releasekit prepare auto --dry-run
"$releasekit" prepare auto --dry-run
say releasekit prepare auto --yes --push
"$releasekit" prepare auto --yes --push
say git log --oneline --decorate
git log --oneline --decorate
say git ls-remote --tags origin
git ls-remote --tags origin
say releasekit notes
"$releasekit" notes
