# Provider-free naming and label logic shared by the cloud layer and the in-cluster layer. It has
# no resources, so `tofu validate` and `tofu test` check it on any machine (the Yandex provider
# cannot be built here; the modules that use it get only `fmt -check`).

terraform {
  required_version = ">= 1.6"
}

variable "prefix" {
  description = "Prefix of every cloud resource name (clusters, node groups, database cluster, bucket)."
  type        = string
  default     = "lzy"
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{0,19}$", var.prefix))
    error_message = "prefix: 1-20 characters, lowercase letters, digits and '-', starting with a letter."
  }
}

variable "services" {
  description = "Services that own a PostgreSQL database (one database and one user each; site has none)."
  type        = list(string)
  default     = ["iam", "storage", "channel-manager", "allocator", "scheduler", "graph-executor", "whiteboard", "lzy-service"]
}

variable "pools" {
  description = "VM pools, the allocator's LZY_ALLOCATOR_POOLS entries plus the node count range of their node group."
  type = list(object({
    label        = string
    cluster_type = string
    cpu_type     = optional(string, "Intel Cascade Lake")
    cpu_count    = number
    gpu_type     = optional(string, "NO_GPU")
    gpu_count    = optional(number, 0)
    ram_gb       = number
    zones        = list(string)
    max_vms      = optional(number, 0)
    min_nodes    = optional(number, 0)
    max_nodes    = optional(number, 4)
  }))
  validation {
    condition     = length(distinct([for p in var.pools : p.label])) == length(var.pools)
    error_message = "pools: every label must be unique."
  }
  validation {
    condition     = alltrue([for p in var.pools : contains(["WORKER", "SYSTEM"], p.cluster_type)])
    error_message = "pools: cluster_type must be WORKER or SYSTEM."
  }
  validation {
    condition     = alltrue([for p in var.pools : can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", p.label))])
    error_message = "pools: a label must be a lowercase DNS label (it becomes part of node group names)."
  }
  validation {
    condition     = alltrue([for p in var.pools : p.min_nodes <= p.max_nodes])
    error_message = "pools: min_nodes must not exceed max_nodes."
  }
}

locals {
  # lzy.ai labels the allocator's node selectors use (reference-lzy-internals §3.6).
  label_pool  = "lzy.ai/node-pool-label"
  label_zone  = "lzy.ai/node-pool-az"
  label_state = "lzy.ai/node-pool-state"
  label_group = "lzy.ai/node-group"

  # One node group per pool and zone: a node group lives in one zone so its nodes share the zone label.
  pool_zone_groups = merge([
    for p in var.pools : {
      for z in p.zones : "${p.label}-${z}" => {
        name         = substr("${var.prefix}-${p.label}-${z}", 0, 63)
        pool         = p.label
        zone         = z
        cluster_type = p.cluster_type
        cpu_count    = p.cpu_count
        ram_gb       = p.ram_gb
        gpu_count    = p.gpu_count
        gpu_type     = p.gpu_type
        min_nodes    = p.min_nodes
        max_nodes    = p.max_nodes
        labels = {
          (local.label_pool)  = p.label
          (local.label_zone)  = z
          (local.label_state) = "ACTIVE"
        }
        # GPU nodes repel everything but VM pods, which tolerate LZY's taint.
        taints = p.gpu_count > 0 ? ["sku=gpu:NoSchedule"] : []
      }
    }
  ]...)
}

output "database_names" {
  description = "service => database name (lzy_<service, '-' → '_'>), as the chart's database.databasePrefix builds it."
  value       = { for s in var.services : s => "lzy_${replace(s, "-", "_")}" }
}

output "database_users" {
  description = "service => PostgreSQL user owning its database."
  value       = { for s in var.services : s => "lzy_${replace(s, "-", "_")}" }
}

output "node_groups" {
  description = "Node group key (<pool>-<zone>) => name, pool, zone, cluster type, shape, labels and taints."
  value       = local.pool_zone_groups
}

output "worker_node_groups" {
  description = "The node groups of WORKER pools (worker cluster)."
  value       = { for k, g in local.pool_zone_groups : k => g if g.cluster_type == "WORKER" }
}

output "system_node_groups" {
  description = "The node groups of SYSTEM pools (portals; system cluster)."
  value       = { for k, g in local.pool_zone_groups : k => g if g.cluster_type == "SYSTEM" }
}

output "system_node_labels" {
  description = "Labels of the nodes where the chart's services run (its nodeSelector)."
  value       = { (local.label_group) = "system" }
}

output "allocator_pools" {
  description = "The chart's allocator.pools (LZY_ALLOCATOR_POOLS): the pools without node counts."
  value = [for p in var.pools : {
    label        = p.label
    cluster_type = p.cluster_type
    cpu_type     = p.cpu_type
    cpu_count    = p.cpu_count
    gpu_type     = p.gpu_type
    gpu_count    = p.gpu_count
    ram_gb       = p.ram_gb
    zones        = p.zones
    max_vms      = p.max_vms
  }]
}

output "names" {
  description = "Names of the cloud resources."
  value = {
    system_cluster   = "${var.prefix}-system"
    worker_cluster   = "${var.prefix}-worker"
    system_nodes     = "${var.prefix}-system-nodes"
    postgres_cluster = "${var.prefix}-postgres"
    bucket           = "${var.prefix}-storage"
    network          = "${var.prefix}-network"
  }
}
