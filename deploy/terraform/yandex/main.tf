# Root module: LZY on Yandex Cloud, end to end. The cloud layer (../modules/yandex-cloud) makes two
# managed clusters, node groups, PostgreSQL and a bucket; then the in-cluster layer installs the
# allocator's RBAC into the worker cluster and the services into the system cluster.
# Checked by `fmt -check` only (the yandex provider cannot be built here). Needs `yc` for tokens.
#   tofu init && tofu apply -var folder_id=... -var-file=keys.tfvars

terraform {
  required_version = ">= 1.6"
  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = ">= 0.130"
    }
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

variable "folder_id" {
  type = string
}

variable "image_registry" {
  description = "Registry of the lzy-<service> images, e.g. cr.yandex/<registry id>."
  type        = string
}

variable "image_tag" {
  type    = string
  default = ""
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

variable "pools" {
  description = "VM pools (see ../modules/naming)."
  type        = any
  default = [
    { label = "s", cluster_type = "WORKER", cpu_count = 2, ram_gb = 4, zones = ["ru-central1-a"], max_nodes = 8 },
    { label = "m", cluster_type = "WORKER", cpu_count = 8, ram_gb = 32, zones = ["ru-central1-a"], max_nodes = 4 },
    { label = "gpu", cluster_type = "WORKER", cpu_count = 8, ram_gb = 48, gpu_type = "V100", gpu_count = 1, zones = ["ru-central1-a"], max_nodes = 2 },
    { label = "portals", cluster_type = "SYSTEM", cpu_count = 2, ram_gb = 4, zones = ["ru-central1-a"], min_nodes = 1, max_nodes = 8 },
  ]
}

provider "yandex" {
  folder_id = var.folder_id
}

module "cloud" {
  source    = "../modules/yandex-cloud"
  folder_id = var.folder_id
  pools     = var.pools
}

locals {
  clusters = module.cloud.clusters
}

provider "kubernetes" {
  alias                  = "system"
  host                   = local.clusters.system.endpoint
  cluster_ca_certificate = local.clusters.system.ca_certificate
  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "yc"
    args        = ["managed-kubernetes", "create-token"]
  }
}

provider "helm" {
  alias = "system"
  kubernetes = {
    host                   = local.clusters.system.endpoint
    cluster_ca_certificate = local.clusters.system.ca_certificate
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "yc"
      args        = ["managed-kubernetes", "create-token"]
    }
  }
}

provider "kubernetes" {
  alias                  = "worker"
  host                   = local.clusters.worker.endpoint
  cluster_ca_certificate = local.clusters.worker.ca_certificate
  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "yc"
    args        = ["managed-kubernetes", "create-token"]
  }
}

provider "helm" {
  alias = "worker"
  kubernetes = {
    host                   = local.clusters.worker.endpoint
    cluster_ca_certificate = local.clusters.worker.ca_certificate
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "yc"
      args        = ["managed-kubernetes", "create-token"]
    }
  }
}

module "worker" {
  source         = "../modules/in-cluster"
  providers      = { kubernetes = kubernetes.worker, helm = helm.worker }
  mode           = "worker"
  cluster_server = local.clusters.worker.endpoint
}

module "system" {
  source                   = "../modules/in-cluster"
  providers                = { kubernetes = kubernetes.system, helm = helm.system }
  mode                     = "system"
  image_registry           = var.image_registry
  image_tag                = var.image_tag
  internal_private_key_pem = var.internal_private_key_pem
  encryption_keys          = var.encryption_keys
  internal_public_key_pem  = var.internal_public_key_pem
  database                 = module.cloud.database
  s3                       = module.cloud.s3
  separate_worker_cluster  = true
  worker_kubeconfig        = module.worker.allocator_kubeconfig
  pools                    = module.cloud.allocator_pools
  # Workers in the other cluster reach the allocator, iam and channel-manager through internal
  # load balancers with fixed addresses of the shared network; clients reach lzy-service,
  # whiteboard and site through public ones.
  values = {
    allocator = {
      advertisedAddress = "${local.internal_ips.allocator}:8132"
      addressesForVms = {
        iam            = "${local.internal_ips.iam}:8443"
        channelManager = "${local.internal_ips.channel-manager}:8133"
      }
    }
    services = merge(
      { for s, ip in local.internal_ips : s => { service = {
        type           = "LoadBalancer"
        loadBalancerIP = ip
        annotations = {
          "yandex.cloud/load-balancer-type" = "internal"
          "yandex.cloud/subnet-id"          = module.cloud.subnet_id
        }
      } } },
      { for s in ["lzy-service", "whiteboard", "site"] : s => { service = { type = "LoadBalancer" } } },
    )
  }
}

locals {
  internal_ips = {
    allocator         = cidrhost(module.cloud.subnet_cidr, 10)
    iam               = cidrhost(module.cloud.subnet_cidr, 11)
    "channel-manager" = cidrhost(module.cloud.subnet_cidr, 12)
  }
}

output "clusters" {
  value = local.clusters
}
