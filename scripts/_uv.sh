# Sourced by the other scripts: makes `uv` available without changing the system's Python.
# Order: uv on PATH; uv importable by python3; else uv installed with pip into a private virtual
# environment under .bootstrap/ (a distribution's Python is often marked externally managed,
# PEP 668, and refuses `pip install` into itself, but always allows a virtual environment).
if ! command -v uv >/dev/null 2>&1; then
  _releasekit_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  _releasekit_uv="$_releasekit_root/.bootstrap/bin/uv"
  if [ -x "$_releasekit_uv" ]; then
    uv() { "$_releasekit_uv" "$@"; }
  elif python3 -m uv --version >/dev/null 2>&1; then
    uv() { python3 -m uv "$@"; }
  else
    if ! command -v python3 >/dev/null 2>&1; then
      echo "error: python3 is not installed; install Python 3.11 or newer and run again" >&2
      exit 2
    fi
    if ! python3 -m venv "$_releasekit_root/.bootstrap" >/dev/null 2>&1; then
      rm -rf "$_releasekit_root/.bootstrap"
      echo "error: python3 -m venv is unavailable; install it (Debian/Ubuntu: apt-get install python3-venv) and run again" >&2
      exit 2
    fi
    "$_releasekit_root/.bootstrap/bin/python" -m pip install --quiet --disable-pip-version-check uv
    uv() { "$_releasekit_uv" "$@"; }
  fi
fi
