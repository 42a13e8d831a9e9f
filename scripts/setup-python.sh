#!/usr/bin/env bash
# Creates the Python test venv python/.venv (gitignored): CPython 3.11 via uv (scripts/install-uv.sh),
# our SDK installed editable with its test extras, plus python/requirements-test.txt.
# Idempotent and fast when warm: skipped while the hash of its inputs is unchanged.
#   bash scripts/setup-python.sh          prints the venv's python path on stdout
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly venv=python/.venv

pick_python() {
  local candidate
  for candidate in "$HOME/.pyenv/versions/3.11.7/bin/python" "$(command -v python3.11 || true)" \
    "$(command -v python3 || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]] &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "setup-python: no CPython 3.11 found (pyenv 3.11.7, python3.11 or python3)" >&2
  exit 1
}

uv="$(bash scripts/install-uv.sh)"
inputs_hash="$(cat python/pyproject.toml python/requirements-test.txt scripts/setup-python.sh | sha256sum | cut -c1-16)"
stamp="$venv/.lzy-setup-$inputs_hash"

if [[ ! -f "$stamp" ]]; then
  python="$(pick_python)"
  echo "setup-python: building $venv with $python" >&2
  rm -rf "$venv"
  "$uv" venv --quiet --python "$python" "$venv"
  "$uv" pip install --quiet --python "$venv/bin/python" -e "python[test]" -r python/requirements-test.txt >&2
  touch "$stamp"
fi
echo "$PWD/$venv/bin/python"
