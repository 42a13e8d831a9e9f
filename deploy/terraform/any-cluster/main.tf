# Root module: LZY on any cluster(s) reachable with a kubeconfig (kind, an existing managed
# cluster, the test control plane). The database, S3 and the internal key pair come as variables.
# With worker_kubeconfig_path set, the allocator's RBAC goes into that cluster and the allocator
# gets a kubeconfig for it; otherwise workers run in the system cluster too.
#   tofu init && tofu apply -var-file=lzy.tfvars

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

variable "kubeconfig_path" {
  description = "Kubeconfig of the system cluster."
  type        = string
}

variable "kubeconfig_context" {
  description = "Context in kubeconfig_path; empty = its current context."
  type        = string
  default     = ""
}

variable "worker_kubeconfig_path" {
  description = "Kubeconfig of a separate worker cluster; empty = workers run in the system cluster."
  type        = string
  default     = ""
}

variable "worker_cluster_server" {
  description = "API server URL of the worker cluster as the allocator reaches it (into its kubeconfig)."
  type        = string
  default     = ""
}

variable "release_name" {
  type    = string
  default = "lzy"
}

variable "namespace" {
  type    = string
  default = "lzy"
}

variable "vm_namespace" {
  type    = string
  default = "lzy-vms"
}

variable "image_registry" {
  type    = string
  default = ""
}

variable "image_tag" {
  type    = string
  default = ""
}

variable "database" {
  type = object({
    host      = string
    port      = optional(number, 5432)
    ssl_mode  = optional(string, "require")
    user      = optional(string, "lzy")
    users     = optional(map(string), {})
    passwords = map(string)
  })
  sensitive = true
}

variable "internal_private_key_pem" {
  type      = string
  sensitive = true
}

variable "encryption_keys" {
  description = "Key ring sealing users' S3 secrets: `<id>:<base64 of 32 bytes>`, comma separated, the first seals"
  type        = string
  sensitive   = true
}

variable "internal_public_key_pem" {
  type = string
}

variable "s3" {
  type = object({
    endpoint          = optional(string, "")
    region            = optional(string, "us-east-1")
    force_path_style  = optional(bool, true)
    access_key_id     = optional(string, "")
    secret_access_key = optional(string, "")
  })
  sensitive = true
}

variable "pools" {
  description = "Pools as the naming module takes them (LZY_ALLOCATOR_POOLS entries + node counts); empty = the chart's default."
  type        = any
  default     = []
}

variable "node_labels" {
  description = "Node name => labels (pool labels for clusters without labelled node groups, e.g. kind)."
  type        = map(map(string))
  default     = {}
}

variable "values" {
  description = "More chart values."
  type        = any
  default     = {}
}

variable "wait" {
  type    = bool
  default = true
}

provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kubeconfig_context == "" ? null : var.kubeconfig_context
}

provider "helm" {
  kubernetes = {
    config_path    = var.kubeconfig_path
    config_context = var.kubeconfig_context == "" ? null : var.kubeconfig_context
  }
}

# A provider needs a config even when unused; without a worker cluster it points at the system one.
provider "kubernetes" {
  alias       = "worker"
  config_path = var.worker_kubeconfig_path == "" ? var.kubeconfig_path : var.worker_kubeconfig_path
}

provider "helm" {
  alias = "worker"
  kubernetes = {
    config_path = var.worker_kubeconfig_path == "" ? var.kubeconfig_path : var.worker_kubeconfig_path
  }
}

module "worker" {
  source    = "../modules/in-cluster"
  count     = var.worker_kubeconfig_path == "" ? 0 : 1
  providers = { kubernetes = kubernetes.worker, helm = helm.worker }

  mode           = "worker"
  release_name   = var.release_name
  namespace      = var.namespace
  vm_namespace   = var.vm_namespace
  cluster_server = var.worker_cluster_server
  wait           = var.wait
}

module "system" {
  source = "../modules/in-cluster"

  mode                     = "system"
  release_name             = var.release_name
  namespace                = var.namespace
  vm_namespace             = var.vm_namespace
  image_registry           = var.image_registry
  image_tag                = var.image_tag
  database                 = var.database
  internal_private_key_pem = var.internal_private_key_pem
  encryption_keys          = var.encryption_keys
  internal_public_key_pem  = var.internal_public_key_pem
  s3                       = var.s3
  separate_worker_cluster  = var.worker_kubeconfig_path != ""
  worker_kubeconfig        = var.worker_kubeconfig_path == "" ? "" : module.worker[0].allocator_kubeconfig
  pools                    = module.naming.allocator_pools
  node_labels              = var.node_labels
  values                   = var.values
  wait                     = var.wait
}

module "naming" {
  source = "../modules/naming"
  pools  = var.pools
}

output "namespace" {
  value = module.system.namespace
}

output "release" {
  value = module.system.release
}
