#!/usr/bin/env bash
# Kept for old instructions: the main job is `pnpm start` (scripts/start.mjs), which installs
# what is missing itself. Without pnpm: `npx pnpm@10.34.9 start`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/start.mjs "$@"
