#!/usr/bin/env bash
# Sets up releasekit and releases examples/demo-package in a throwaway git repository with a
# bare remote: a dry run, the real release (commit, tag, atomic push), its notes, the build of
# its sdist and wheel, the check of both as PyPI would see them, then the upload to a local
# pypiserver with verification, a re-run that skips what is there, and an install from it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/_uv.sh
uv sync --locked --quiet
releasekit="$root/.venv/bin/releasekit"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
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
git commit -q -m "Publish with trusted publishing"
git push -q origin main
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

# A local index to publish to: pypiserver on 127.0.0.1, open for uploads.
mkdir "$work/packages"
port="$("$root/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$root/.venv/bin/pypi-server" run -p "$port" -i 127.0.0.1 -a . -P . --disable-fallback \
  "$work/packages" 2>"$work/pypiserver.log" &
server_pid=$!
index="http://127.0.0.1:$port"
for _ in $(seq 100); do
  "$root/.venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$index/simple/')" \
    2>/dev/null && break
  sleep 0.1
done
export RELEASEKIT_INDEX_URL="$index/simple/"
say releasekit publish --repository-url "$index/"
"$releasekit" publish --repository-url "$index/"
say releasekit publish --repository-url "$index/" --skip-existing
"$releasekit" publish --repository-url "$index/" --skip-existing
say pip install demo-package from the local index, in a fresh virtual environment
uv venv -q "$work/venv"
uv pip install -q --python "$work/venv/bin/python" --index-url "$index/simple/" demo-package
"$work/venv/bin/python" -c "import importlib.metadata as m; print('installed demo-package', m.version('demo-package'))"
