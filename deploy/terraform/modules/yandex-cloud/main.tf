# The cloud layer of the seed's shape on Yandex Cloud: a network, two managed Kubernetes clusters
# (system: the services and the portal node group; worker: one node group per worker pool and
# zone), managed PostgreSQL with one database and one user per service, an Object Storage bucket,
# and the service accounts they need. Names, pool labels and database lists come from the
# provider-free ../naming module (validated and tested); this module is checked with
# `fmt -check` only: the yandex provider cannot be built here (its Go module is refused by the
# proxy), so nothing here has been planned or applied by our tests.

terraform {
  required_version = ">= 1.6"
  required_providers {
    yandex = {
      source  = "yandex-cloud/yandex"
      version = ">= 0.130"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}

module "naming" {
  source = "../naming"
  prefix = var.prefix
  pools  = var.pools
}

locals {
  names = module.naming.names
  zones = distinct(concat([var.zone], flatten([for p in var.pools : p.zones])))
}

resource "yandex_vpc_network" "lzy" {
  name      = local.names.network
  folder_id = var.folder_id
}

resource "yandex_vpc_subnet" "lzy" {
  for_each       = { for i, z in local.zones : z => i }
  name           = "${local.names.network}-${each.key}"
  folder_id      = var.folder_id
  zone           = each.key
  network_id     = yandex_vpc_network.lzy.id
  v4_cidr_blocks = [cidrsubnet(var.cidr, 8, each.value)]
}

# --- service accounts -------------------------------------------------------------------------

resource "yandex_iam_service_account" "clusters" {
  name      = "${var.prefix}-k8s-clusters"
  folder_id = var.folder_id
}

resource "yandex_iam_service_account" "nodes" {
  name      = "${var.prefix}-k8s-nodes"
  folder_id = var.folder_id
}

resource "yandex_iam_service_account" "storage" {
  name      = "${var.prefix}-storage"
  folder_id = var.folder_id
}

resource "yandex_resourcemanager_folder_iam_member" "clusters" {
  for_each  = toset(["k8s.clusters.agent", "vpc.publicAdmin", "load-balancer.admin"])
  folder_id = var.folder_id
  role      = each.key
  member    = "serviceAccount:${yandex_iam_service_account.clusters.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "nodes" {
  folder_id = var.folder_id
  role      = "container-registry.images.puller"
  member    = "serviceAccount:${yandex_iam_service_account.nodes.id}"
}

resource "yandex_resourcemanager_folder_iam_member" "storage" {
  folder_id = var.folder_id
  role      = "storage.editor"
  member    = "serviceAccount:${yandex_iam_service_account.storage.id}"
}

resource "yandex_iam_service_account_static_access_key" "storage" {
  service_account_id = yandex_iam_service_account.storage.id
  description        = "LZY storage service: users' buckets and portal snapshots"
}

# --- Kubernetes clusters ----------------------------------------------------------------------

resource "yandex_kubernetes_cluster" "cluster" {
  for_each   = toset(["system", "worker"])
  name       = each.key == "system" ? local.names.system_cluster : local.names.worker_cluster
  folder_id  = var.folder_id
  network_id = yandex_vpc_network.lzy.id
  master {
    version   = var.kubernetes_version
    public_ip = var.public_api
    zonal {
      zone      = var.zone
      subnet_id = yandex_vpc_subnet.lzy[var.zone].id
    }
  }
  service_account_id      = yandex_iam_service_account.clusters.id
  node_service_account_id = yandex_iam_service_account.nodes.id
  release_channel         = "STABLE"
  depends_on              = [yandex_resourcemanager_folder_iam_member.clusters, yandex_resourcemanager_folder_iam_member.nodes]
}

# The chart's services run here (nodeSelector lzy.ai/node-group=system).
resource "yandex_kubernetes_node_group" "system" {
  cluster_id  = yandex_kubernetes_cluster.cluster["system"].id
  name        = local.names.system_nodes
  version     = var.kubernetes_version
  node_labels = module.naming.system_node_labels
  instance_template {
    platform_id = var.cpu_platform
    resources {
      cores  = var.system_nodes.cores
      memory = var.system_nodes.memory_gb
    }
    boot_disk {
      type = "network-ssd"
      size = 64
    }
    network_interface {
      subnet_ids = [yandex_vpc_subnet.lzy[var.zone].id]
      nat        = true
    }
  }
  scale_policy {
    fixed_scale {
      size = var.system_nodes.count
    }
  }
  allocation_policy {
    location {
      zone = var.zone
    }
  }
}

# One node group per pool and zone: `portals` (and other SYSTEM pools) in the system cluster,
# the worker pools in the worker cluster. Autoscaled from min_nodes (0: scale to zero).
resource "yandex_kubernetes_node_group" "pool" {
  for_each    = module.naming.node_groups
  cluster_id  = yandex_kubernetes_cluster.cluster[each.value.cluster_type == "SYSTEM" ? "system" : "worker"].id
  name        = each.value.name
  version     = var.kubernetes_version
  node_labels = each.value.labels
  node_taints = each.value.taints
  instance_template {
    platform_id = each.value.gpu_count > 0 ? var.gpu_platform : var.cpu_platform
    resources {
      cores  = each.value.cpu_count
      memory = each.value.ram_gb
      gpus   = each.value.gpu_count
    }
    boot_disk {
      type = "network-ssd"
      size = each.value.gpu_count > 0 ? 128 : 64
    }
    network_interface {
      subnet_ids = [yandex_vpc_subnet.lzy[each.value.zone].id]
      nat        = true
    }
  }
  scale_policy {
    auto_scale {
      min     = each.value.min_nodes
      max     = each.value.max_nodes
      initial = each.value.min_nodes
    }
  }
  allocation_policy {
    location {
      zone = each.value.zone
    }
  }
}

# --- PostgreSQL: one database and one user per service ----------------------------------------

resource "random_password" "database" {
  for_each = module.naming.database_users
  length   = 32
  # The chart puts passwords into postgres:// URLs as they are: letters and digits only.
  special = false
}

resource "yandex_mdb_postgresql_cluster" "lzy" {
  name        = local.names.postgres_cluster
  folder_id   = var.folder_id
  environment = "PRODUCTION"
  network_id  = yandex_vpc_network.lzy.id
  config {
    version = var.postgres.version
    resources {
      resource_preset_id = var.postgres.preset
      disk_type_id       = "network-ssd"
      disk_size          = var.postgres.disk_gb
    }
  }
  host {
    zone      = var.zone
    subnet_id = yandex_vpc_subnet.lzy[var.zone].id
  }
}

resource "yandex_mdb_postgresql_user" "service" {
  for_each   = module.naming.database_users
  cluster_id = yandex_mdb_postgresql_cluster.lzy.id
  name       = each.value
  password   = random_password.database[each.key].result
  conn_limit = 50
}

resource "yandex_mdb_postgresql_database" "service" {
  for_each   = module.naming.database_names
  cluster_id = yandex_mdb_postgresql_cluster.lzy.id
  name       = each.value
  owner      = yandex_mdb_postgresql_user.service[each.key].name
}

# --- Object Storage ---------------------------------------------------------------------------

resource "yandex_storage_bucket" "lzy" {
  bucket     = local.names.bucket
  folder_id  = var.folder_id
  access_key = yandex_iam_service_account_static_access_key.storage.access_key
  secret_key = yandex_iam_service_account_static_access_key.storage.secret_key
  depends_on = [yandex_resourcemanager_folder_iam_member.storage]
}
