# The in-cluster layer, usable on any Kubernetes cluster (managed, kind, the test control plane):
# namespaces, the Secrets the chart references, the Helm release of the local chart
# (deploy/helm/lzy), and optionally pool labels on existing nodes. Providers come from the caller
# (kubernetes + helm, configured for one cluster); call the module once per cluster:
#   mode = "system": the services (chart mode full) and their Secrets;
#   mode = "worker": the allocator's RBAC (chart mode rbacOnly) and a token for its kubeconfig,
#                    output as `allocator_kubeconfig` for the system cluster's `worker_kubeconfig`.

terraform {
  required_version = ">= 1.6"
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.23"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 3.0"
    }
  }
}

locals {
  system = var.mode == "system"
  chart  = var.chart_path != "" ? var.chart_path : "${path.module}/../../../helm/lzy"

  namespace    = var.create_namespace ? kubernetes_namespace_v1.lzy[0].metadata[0].name : var.namespace
  vm_namespace = length(kubernetes_namespace_v1.vms) > 0 ? kubernetes_namespace_v1.vms[0].metadata[0].name : var.vm_namespace

  secret_names = {
    internal_keys     = "${var.release_name}-internal-keys"
    encryption_keys   = "${var.release_name}-encryption-keys"
    database          = "${var.release_name}-db"
    s3                = "${var.release_name}-s3"
    worker_kubeconfig = "${var.release_name}-worker-kubeconfig"
  }

  system_values = {
    mode  = "full"
    image = { registry = var.image_registry, tag = var.image_tag, pullPolicy = "IfNotPresent" }
    database = {
      host           = var.database.host
      port           = var.database.port
      sslMode        = var.database.ssl_mode
      databasePrefix = "lzy_"
      user           = var.database.user
      existingSecret = local.secret_names.database
      secretKeys     = "passwordKeys"
    }
    internalKeys   = { existingSecret = local.secret_names.internal_keys, privateKeyKey = "private-key", publicKeyKey = "public-key" }
    encryptionKeys = { existingSecret = local.secret_names.encryption_keys, key = "keys" }
    s3 = {
      endpoint           = var.s3.endpoint
      region             = var.s3.region
      forcePathStyle     = var.s3.force_path_style
      existingSecret     = local.secret_names.s3
      accessKeyIdKey     = "access-key-id"
      secretAccessKeyKey = "secret-access-key"
    }
    allocator = merge(
      {
        vmNamespace = local.vm_namespace
        workerCluster = {
          kubeconfigSecret = var.separate_worker_cluster ? local.secret_names.worker_kubeconfig : ""
          kubeconfigKey    = "kubeconfig"
        }
      },
      # No pools given: the chart's default (a conditional cannot mix {} and { pools = … }).
      { for key, pools in { pools = var.pools } : key => pools if length(var.pools) > 0 },
    )
    services = { for service, user in var.database.users : service => { database = { user = user } } }
  }
  worker_values = {
    mode      = "rbacOnly"
    allocator = { vmNamespace = local.vm_namespace }
    # The module makes its own token Secret below and waits for it to be filled in.
    rbac = { create = true, createTokenSecret = false }
  }
}

resource "kubernetes_namespace_v1" "lzy" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/part-of" = "lzy" }
  }
}

resource "kubernetes_namespace_v1" "vms" {
  count = var.create_vm_namespace && var.vm_namespace != var.namespace ? 1 : 0
  metadata {
    name   = var.vm_namespace
    labels = { "app.kubernetes.io/part-of" = "lzy" }
  }
}

resource "kubernetes_secret_v1" "internal_keys" {
  count = local.system ? 1 : 0
  metadata {
    name      = local.secret_names.internal_keys
    namespace = local.namespace
  }
  data = {
    "private-key" = var.internal_private_key_pem
    "public-key"  = var.internal_public_key_pem
  }
}

resource "kubernetes_secret_v1" "encryption_keys" {
  count = local.system ? 1 : 0
  metadata {
    name      = local.secret_names.encryption_keys
    namespace = local.namespace
  }
  data = {
    "keys" = var.encryption_keys
  }
}

resource "kubernetes_secret_v1" "database" {
  count = local.system ? 1 : 0
  metadata {
    name      = local.secret_names.database
    namespace = local.namespace
  }
  data = { for service, password in var.database.passwords : "${service}-password" => password }
}

resource "kubernetes_secret_v1" "s3" {
  count = local.system ? 1 : 0
  metadata {
    name      = local.secret_names.s3
    namespace = local.namespace
  }
  data = {
    "access-key-id"     = var.s3.access_key_id
    "secret-access-key" = var.s3.secret_access_key
  }
}

resource "kubernetes_secret_v1" "worker_kubeconfig" {
  count = local.system && var.separate_worker_cluster ? 1 : 0
  metadata {
    name      = local.secret_names.worker_kubeconfig
    namespace = local.namespace
  }
  data = { kubeconfig = var.worker_kubeconfig }
}

resource "helm_release" "lzy" {
  name             = var.release_name
  namespace        = local.namespace
  chart            = local.chart
  create_namespace = false
  wait             = var.wait
  timeout          = var.timeout_seconds
  # Two locals, not one conditional: the two modes' values have different shapes.
  values = [
    local.system ? yamlencode(local.system_values) : yamlencode(local.worker_values),
    yamlencode(var.values),
  ]

  depends_on = [
    kubernetes_secret_v1.internal_keys,
    kubernetes_secret_v1.encryption_keys,
    kubernetes_secret_v1.database,
    kubernetes_secret_v1.s3,
    kubernetes_secret_v1.worker_kubeconfig,
    kubernetes_namespace_v1.vms,
  ]
}

# mode worker: a long-lived token of the allocator's ServiceAccount (created by the chart).
resource "kubernetes_secret_v1" "allocator_token" {
  count = local.system ? 0 : 1
  metadata {
    name      = "${var.release_name}-allocator-token"
    namespace = local.namespace
    annotations = {
      "kubernetes.io/service-account.name" = "${var.release_name}-allocator"
    }
  }
  type                           = "kubernetes.io/service-account-token"
  wait_for_service_account_token = true
  depends_on                     = [helm_release.lzy]
}

# Pool labels on nodes that exist already (clusters whose node groups cannot carry labels,
# kind). Managed node groups get them from the cloud layer instead.
resource "kubernetes_labels" "nodes" {
  for_each    = var.node_labels
  api_version = "v1"
  kind        = "Node"
  metadata {
    name = each.key
  }
  labels        = each.value
  force         = true
  field_manager = "lzy-terraform"
}
