output "clusters" {
  description = "system/worker => id, API endpoint and CA certificate (PEM) of each cluster."
  value = { for k, c in yandex_kubernetes_cluster.cluster : k => {
    id             = c.id
    endpoint       = var.public_api ? c.master[0].external_v4_endpoint : c.master[0].internal_v4_endpoint
    ca_certificate = c.master[0].cluster_ca_certificate
  } }
}

output "database" {
  description = "Input of the in-cluster module's `database` (host, users, one password per service)."
  sensitive   = true
  value = {
    host      = "c-${yandex_mdb_postgresql_cluster.lzy.id}.rw.mdb.yandexcloud.net"
    port      = 6432
    ssl_mode  = "require"
    users     = module.naming.database_users
    passwords = { for s, p in random_password.database : s => p.result }
  }
}

output "s3" {
  description = "Input of the in-cluster module's `s3`."
  sensitive   = true
  value = {
    endpoint          = "https://storage.yandexcloud.net"
    region            = "ru-central1"
    force_path_style  = true
    access_key_id     = yandex_iam_service_account_static_access_key.storage.access_key
    secret_access_key = yandex_iam_service_account_static_access_key.storage.secret_key
  }
}

output "allocator_pools" {
  description = "The chart's allocator.pools."
  value       = module.naming.allocator_pools
}

output "subnet_id" {
  description = "Subnet of the main zone (internal load balancers of the system cluster)."
  value       = yandex_vpc_subnet.lzy[var.zone].id
}

output "subnet_cidr" {
  description = "CIDR of the main zone's subnet (fixed internal load-balancer addresses are taken from it)."
  value       = yandex_vpc_subnet.lzy[var.zone].v4_cidr_blocks[0]
}
