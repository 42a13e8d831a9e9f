#!/usr/bin/env bash
# README's main job: set up a fresh machine, then start the local suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm start "$@"
