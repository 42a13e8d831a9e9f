#!/usr/bin/env bash
# Builds the real Kubernetes control plane the tests and deploy checks use, once per version set,
# into a cache outside the clone:
#   ${XDG_CACHE_HOME:-~/.cache}/lzy-ts/k8s-<tag>/bin   etcd, kube-apiserver, kube-scheduler,
#       kube-controller-manager, kubectl, kwok (+ kwok-stages/*.yaml), helm, tofu
#   .../k8s-<tag>/providers                             filesystem mirror: kubernetes + helm providers
#   .../k8s-<tag>/tofu.tfrc                             CLI config (TF_CLI_CONFIG_FILE) using it
# Prints the bin dir. Idempotent: a quick no-op when the cache is complete. Everything is built
# from the Go module proxy (the only source reachable here and on CI); a cold build takes about
# 12 minutes on 2 quiet cores (56 min when shared with seven other busy jobs). Components are
# built into <tag>.partial and the directory is renamed when all are done, so an interrupted
# build never leaves a half-built k8s-<tag>; a rerun resumes (finished components are kept, Go
# caches make the rest quick). Versions: keep in sync with
# libs/testing/src/kube-tools.ts (K8S_TOOLS_TAG).
set -euo pipefail

K8S=1.37.2
ETCD=3.6.8
KWOK=0.8.0
HELM=3.22.0
TOFU=1.12.6
# The registry has no tagged release of either provider that builds from source here; these are
# the main branch right after the named releases, installed in the mirror under those versions.
PROVIDER_K8S_VERSION=3.2.1
PROVIDER_K8S_MOD=v1.13.4-0.20260821094251-3a33fb6cc605
PROVIDER_HELM_VERSION=3.2.0
PROVIDER_HELM_MOD=v1.3.3-0.20260629194918-a4f1c1d8b008

tag="$K8S-etcd$ETCD-kwok$KWOK-helm$HELM-tofu$TOFU"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lzy-ts"
final="$cache/k8s-$tag"

if [[ -f "$final/.complete" ]]; then
  echo "$final/bin"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.k8s-$tag.lock"
if ! flock -n 9; then
  echo "k8s build: another build of $tag is running, waiting for it" >&2
  flock 9
fi
if [[ -f "$final/.complete" ]]; then
  echo "$final/bin"
  exit 0
fi

work="$cache/.k8s-$tag.partial"
bin="$work/bin"
src="$work/src"
mkdir -p "$bin" "$src"
export GOFLAGS=-mod=mod
export GOTOOLCHAIN=local
start=$SECONDS

log() { echo "k8s build [$((SECONDS - start))s]: $*" >&2; }

# Writes a scratch module in $src/$1 requiring "$2" (module@version).
scratch() {
  local dir="$src/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && go mod init "lzy-ts.local/k8s-build/$1" >/dev/null 2>&1)
  echo "$dir"
}

build_etcd() {
  [[ -x "$bin/etcd" ]] && return
  log "etcd $ETCD"
  local d
  d=$(scratch etcd)
  (cd "$d" && go get "go.etcd.io/etcd/server/v3@v$ETCD" >/dev/null 2>&1 &&
    go build -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$bin/etcd.tmp" "$bin/etcd"
}

build_kubernetes() {
  local names=(kube-apiserver kube-scheduler kube-controller-manager kubectl)
  local missing=0 n
  for n in "${names[@]}"; do [[ -x "$bin/$n" ]] || missing=1; done
  ((missing)) || return 0
  log "kube-apiserver, kube-scheduler, kube-controller-manager, kubectl $K8S (~5 min cold)"
  local d
  d=$(scratch kubernetes)
  (
    cd "$d"
    go mod download "k8s.io/kubernetes@v$K8S"
    local kdir
    kdir=$(go list -m -f '{{.Dir}}' "k8s.io/kubernetes@v$K8S" 2>/dev/null ||
      echo "$(go env GOMODCACHE)/k8s.io/kubernetes@v$K8S")
    {
      echo "require k8s.io/kubernetes v$K8S"
      # k8s.io/kubernetes replaces its staging modules with ./staging/src/...: point each at the
      # published v0.<minor>.<patch> module instead.
      sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$kdir/go.mod" |
        grep -v -e sample-cli-plugin -e sample-controller |
        while read -r m; do echo "replace $m => $m v0.${K8S#*.}"; done
    } >>go.mod
    # Without the version ldflags /version says v0.0.0-master and helm's kubeVersion checks fail.
    local ldf="-s -w" p major minor
    major=${K8S%%.*}
    minor=$(echo "$K8S" | cut -d. -f2)
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldf+=" -X $p.gitVersion=v$K8S -X $p.gitMajor=$major -X $p.gitMinor=$minor"
      ldf+=" -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
    done
    mkdir -p out
    # No `go mod tidy` before this: nothing imports k8s.io/kubernetes, so tidy would drop the
    # require and go build would then resolve whatever version is newest.
    go build -trimpath -ldflags "$ldf" -o out/ \
      "k8s.io/kubernetes/cmd/kube-apiserver" "k8s.io/kubernetes/cmd/kube-scheduler" \
      "k8s.io/kubernetes/cmd/kube-controller-manager" "k8s.io/kubernetes/cmd/kubectl"
    for n in "${names[@]}"; do mv "out/$n" "$bin/$n"; done
  )
}

build_kwok() {
  [[ -x "$bin/kwok" && -d "$bin/kwok-stages" ]] && return
  log "kwok $KWOK"
  rm -rf "$work/kwok-gobin"
  GOBIN="$work/kwok-gobin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK"
  local kdir stage
  kdir="$(go env GOMODCACHE)/sigs.k8s.io/kwok@v$KWOK/kustomize/stage"
  rm -rf "$bin/kwok-stages.tmp"
  mkdir -p "$bin/kwok-stages.tmp"
  for stage in node/fast node/heartbeat-with-lease pod/fast; do
    cp "$kdir/$stage"/*.yaml "$bin/kwok-stages.tmp/"
  done
  chmod -R u+w "$bin/kwok-stages.tmp"
  rm -f "$bin/kwok-stages.tmp/kustomization.yaml"
  rm -rf "$bin/kwok-stages"
  mv "$bin/kwok-stages.tmp" "$bin/kwok-stages"
  mv "$work/kwok-gobin/kwok" "$bin/kwok"
}

build_helm() {
  [[ -x "$bin/helm" ]] && return
  log "helm $HELM"
  # go install leaves helm 3 assuming Kubernetes 1.20 for template/lint: set what the Makefile sets.
  local ldf="-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM" p
  for p in pkg/lint/rules pkg/chartutil; do
    ldf+=" -X helm.sh/helm/v3/$p.k8sVersionMajor=${K8S%%.*}"
    ldf+=" -X helm.sh/helm/v3/$p.k8sVersionMinor=$(echo "$K8S" | cut -d. -f2)"
  done
  rm -rf "$work/helm-gobin"
  GOBIN="$work/helm-gobin" go install -trimpath -ldflags "$ldf" "helm.sh/helm/v3/cmd/helm@v$HELM"
  mv "$work/helm-gobin/helm" "$bin/helm"
}

build_tofu() {
  [[ -x "$bin/tofu" ]] && return
  log "OpenTofu $TOFU (~2.5 min cold)"
  local d
  d=$(scratch tofu)
  if (
    cd "$d"
    go mod download "github.com/opentofu/opentofu@v$TOFU"
    local tdir
    tdir="$(go env GOMODCACHE)/github.com/opentofu/opentofu@v$TOFU"
    echo "require github.com/opentofu/opentofu v$TOFU" >>go.mod
    # go install can't build tofu: its go.mod replaces hcl; the scratch module repeats that.
    grep '^replace ' "$tdir/go.mod" >>go.mod
    go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
      -o "$bin/tofu.tmp" github.com/opentofu/opentofu/cmd/tofu
  ); then
    mv "$bin/tofu.tmp" "$bin/tofu"
  elif [[ -x /usr/local/bin/terraform ]]; then
    log "OpenTofu build failed: using /usr/local/bin/terraform as bin/tofu"
    ln -sf /usr/local/bin/terraform "$bin/tofu"
  else
    log "OpenTofu build failed and there is no /usr/local/bin/terraform"
    return 1
  fi
}

# build_provider <type> <mirror version> <module version>
build_provider() {
  local type=$1 version=$2 mod=$3
  local file="terraform-provider-${type}_v$version" host
  local first="$work/providers/registry.opentofu.org/hashicorp/$type/$version/linux_amd64"
  [[ -x "$first/$file" ]] && return
  log "terraform provider $type ($mod, mirrored as $version)"
  rm -rf "$work/$type-gobin"
  GOBIN="$work/$type-gobin" go install -trimpath -ldflags "-s -w" \
    "github.com/hashicorp/terraform-provider-$type@$mod"
  # Both registry hosts (terraform's and tofu's default), so either CLI finds it offline.
  for host in registry.terraform.io registry.opentofu.org; do
    local dir="$work/providers/$host/hashicorp/$type/$version/linux_amd64"
    mkdir -p "$dir"
    ln -f "$work/$type-gobin/terraform-provider-$type" "$dir/$file.tmp" 2>/dev/null ||
      cp "$work/$type-gobin/terraform-provider-$type" "$dir/$file.tmp"
    mv "$dir/$file.tmp" "$dir/$file"
  done
}

write_tfrc() {
  local m='"registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"'
  cat >"$work/tofu.tfrc" <<TFRC
# TF_CLI_CONFIG_FILE for tofu/terraform: the kubernetes and helm providers come from the local
# filesystem mirror (built by scripts/k8s/build.sh), never from a registry.
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = "$final/providers"
    include = [$m]
  }
  direct {
    exclude = [$m]
  }
}
TFRC
}

build_etcd
build_kubernetes
build_kwok
[[ "${LZY_K8S_BUILD_ONLY_CORE:-}" == 1 ]] && { log "core done"; exit 0; }

build_helm
build_tofu
build_provider kubernetes "$PROVIDER_K8S_VERSION" "$PROVIDER_K8S_MOD"
build_provider helm "$PROVIDER_HELM_VERSION" "$PROVIDER_HELM_MOD"
write_tfrc

log "done"
touch "$work/.complete"
rm -rf "$src" "$work"/*-gobin
mv "$work" "$final"
echo "$final/bin"
