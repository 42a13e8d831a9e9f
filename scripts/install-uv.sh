#!/usr/bin/env bash
# Installs uv (the Python package and environment manager the worker uses to build op
# environments, and the test setup uses for the Python test venv) into the user cache, once.
# Idempotent; prints the path of the uv binary. Needs python3 with pip (PyPI is reachable on CI).
# Keep the version in sync with services/worker's default LZY_WORKER_UV lookup.
set -euo pipefail

version=0.13.9
dir="${XDG_CACHE_HOME:-$HOME/.cache}/lzy-ts/uv-$version"
bin="$dir/bin/uv"

if [[ ! -x "$bin" ]]; then
  tmp="$dir.build-$$"
  trap 'rm -rf "$tmp"' EXIT
  echo "installing uv $version into $dir" >&2
  python3 -m pip install --quiet --disable-pip-version-check --target "$tmp" "uv==$version" >&2
  mkdir -p "$dir/bin"
  mv "$tmp/bin/uv" "$bin"
fi
echo "$bin"
