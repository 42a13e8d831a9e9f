#!/usr/bin/env bash
# Builds the S3 server used by integration tests (libs/testing startS3) into the user cache, once.
# Idempotent: does nothing when the binary is already there. Needs Go (go install from source,
# ~1.5 min; the Go module proxy is the only source reachable on CI). libs/testing looks in the
# same place unless LZY_VERSITYGW_BIN points elsewhere; keep the version in sync with
# libs/testing/src/versitygw-bin.ts.
set -euo pipefail

version=v1.8.0
dir="${XDG_CACHE_HOME:-$HOME/.cache}/lzy-ts/versitygw-$version"
bin="$dir/versitygw"

if [[ ! -x "$bin" ]]; then
  # Build next to the target and rename, so an interrupted build never leaves a partial binary.
  tmp="$dir/.build-$$"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  echo "building versitygw $version into $dir (takes a minute or two)" >&2
  GOBIN="$tmp" go install "github.com/versity/versitygw/cmd/versitygw@$version"
  mv "$tmp/versitygw" "$bin"
fi
echo "$bin"
