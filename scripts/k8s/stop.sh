#!/usr/bin/env bash
# Stops the clusters scripts/k8s/start.sh started in <dir> (the processes in <dir>/pids):
# KWOK, scheduler and controller manager, then kube-apiserver, then etcd; waits until all are
# gone. Leaves <dir> (logs, etcd data) in place. Idempotent.
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 <dir>" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
node="$root/node_modules/.bin/node"
[[ -x "$node" ]] || node=node
exec "$node" "$root/libs/testing/src/kube-cli.ts" stop "$1"
