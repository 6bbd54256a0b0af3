# Sourced by the other scripts: makes `uv` available, installing it with pip when it is missing.
if ! command -v uv >/dev/null 2>&1; then
  if ! python3 -m uv --version >/dev/null 2>&1; then
    python3 -m pip install --quiet uv
  fi
  uv() { python3 -m uv "$@"; }
fi
