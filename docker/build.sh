#!/usr/bin/env bash
# Builds every image of docker/Dockerfile from the repository root (needs Docker with BuildKit):
#   bash docker/build.sh [tag] [registry]   e.g. bash docker/build.sh 0.1.0 cr.example.com/lzy
# Images: <registry>/lzy-<target>:<tag> (no registry: lzy-<target>:<tag>, as kind loads them).
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-0.1.0}"
registry="${2:-}"
prefix="${registry:+${registry%/}/}"
targets=(iam storage channel-manager allocator scheduler graph-executor whiteboard lzy-service site portal worker)
for target in "${targets[@]}"; do
  docker build -f docker/Dockerfile --target "$target" -t "${prefix}lzy-${target}:${tag}" .
done
printf '%s\n' "${targets[@]/#/${prefix}lzy-}" | sed "s/\$/:${tag}/"
