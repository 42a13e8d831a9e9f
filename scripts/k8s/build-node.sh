#!/usr/bin/env bash
# Builds what a real node of the test control plane needs besides Debian's containerd and CNI
# plugins, once per version, into a cache outside the clone:
#   ${XDG_CACHE_HOME:-~/.cache}/lzy-ts/k8s-node-<K8S>/bin/kubelet   from the same module set as
#       the control plane (scripts/k8s/build.sh), with the same version ldflags
#   .../k8s-node-<K8S>/pause.tar   the sandbox ("pause") image: pause.c of the Kubernetes module,
#       built statically with gcc, as a docker-archive for `ctr images import`
# Prints the cache dir. Idempotent: a no-op when complete. ~1 min with warm Go caches (the module
# download is shared with build.sh), ~3 min cold. Versions: keep K8S equal to build.sh and to
# libs/testing/src/kube-node-tools.ts.
set -euo pipefail

K8S=1.37.2
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lzy-ts"
final="$cache/k8s-node-$K8S"
if [[ -f "$final/.complete" ]]; then
  echo "$final"
  exit 0
fi
for tool in go gcc tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "build-node: $tool is missing" >&2; exit 1; }
done
mkdir -p "$cache"
exec 9>"$cache/.k8s-node-$K8S.lock"
flock 9
[[ -f "$final/.complete" ]] && { echo "$final"; exit 0; }

work="$cache/.k8s-node-$K8S.partial"
rm -rf "$work"
mkdir -p "$work/bin" "$work/src"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$SECONDS
log() { echo "k8s node build [$((SECONDS - start))s]: $*" >&2; }

log "kubelet $K8S"
(
  cd "$work/src"
  go mod init lzy-ts.local/k8s-build/node >/dev/null 2>&1
  go mod download "k8s.io/kubernetes@v$K8S"
  kdir="$(go env GOMODCACHE)/k8s.io/kubernetes@v$K8S"
  {
    echo "require k8s.io/kubernetes v$K8S"
    # Same replaces as build.sh: the staging modules at their published v0.<minor>.<patch>.
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$kdir/go.mod" |
      grep -v -e sample-cli-plugin -e sample-controller |
      while read -r m; do echo "replace $m => $m v0.${K8S#*.}"; done
  } >>go.mod
  ldf="-s -w"
  major=${K8S%%.*}
  minor=$(echo "$K8S" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $p.gitVersion=v$K8S -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ldf+=" -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags "$ldf" -o "$work/bin/kubelet" k8s.io/kubernetes/cmd/kubelet

  log "pause image"
  # The sandbox image: pause.c from the module, static, in a one-layer docker-archive. Written by
  # hand (no image tool needed): manifest.json + config + layer tar, as `docker save` lays them out.
  img="$work/pause-image"
  mkdir -p "$img/rootfs"
  gcc -Os -static -o "$img/rootfs/pause" "$kdir/build/pause/linux/pause.c"
  strip "$img/rootfs/pause"
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$img/rootfs" -cf "$img/layer.tar" pause
  diff_id=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
  cat >"$img/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created_by":"scripts/k8s/build-node.sh"}]}
JSON
  config_id=$(sha256sum "$img/config.json" | cut -d' ' -f1)
  mv "$img/config.json" "$img/$config_id.json"
  mkdir -p "$img/$diff_id"
  mv "$img/layer.tar" "$img/$diff_id/layer.tar"
  cat >"$img/manifest.json" <<JSON
[{"Config":"$config_id.json","RepoTags":["registry.k8s.io/pause:3.10"],"Layers":["$diff_id/layer.tar"]}]
JSON
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$img" -cf "$work/pause.tar" \
    manifest.json "$config_id.json" "$diff_id/layer.tar"
)
rm -rf "$work/src" "$work/pause-image"
touch "$work/.complete"
rm -rf "$final"
mv "$work" "$final"
log "done"
echo "$final"
