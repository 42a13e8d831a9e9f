# `tofu test` (or `terraform test`) of the provider-free naming module: plans only, no resources.

variables {
  prefix = "t"
  pools = [
    { label = "s", cluster_type = "WORKER", cpu_count = 2, ram_gb = 2, zones = ["a", "b"] },
    { label = "gpu", cluster_type = "WORKER", cpu_count = 8, ram_gb = 32, gpu_type = "V100", gpu_count = 1, zones = ["a"] },
    { label = "portals", cluster_type = "SYSTEM", cpu_count = 2, ram_gb = 4, zones = ["a"] },
  ]
}

run "one_database_per_service" {
  command = plan
  assert {
    condition     = output.database_names["lzy-service"] == "lzy_lzy_service" && output.database_names["iam"] == "lzy_iam"
    error_message = "database names must match the chart's lzy_<service> convention"
  }
  assert {
    condition     = length(output.database_names) == 8 && !contains(keys(output.database_names), "site")
    error_message = "eight services own a database; site has none"
  }
}

run "one_node_group_per_pool_and_zone_with_pool_labels" {
  command = plan
  assert {
    condition     = length(output.node_groups) == 4 && length(output.worker_node_groups) == 3 && length(output.system_node_groups) == 1
    error_message = "expected s-a, s-b, gpu-a (worker) and portals-a (system)"
  }
  assert {
    condition = output.node_groups["s-b"].labels == {
      "lzy.ai/node-pool-label" = "s", "lzy.ai/node-pool-az" = "b", "lzy.ai/node-pool-state" = "ACTIVE"
    }
    error_message = "pool node labels are wrong"
  }
  assert {
    condition     = one(output.node_groups["gpu-a"].taints) == "sku=gpu:NoSchedule" && length(output.node_groups["s-a"].taints) == 0
    error_message = "only GPU node groups carry the sku=gpu taint"
  }
  assert {
    condition     = output.node_groups["portals-a"].name == "t-portals-a"
    error_message = "node group names are <prefix>-<pool>-<zone>"
  }
}

run "allocator_pools_drop_node_counts" {
  command = plan
  assert {
    condition     = !contains(keys(output.allocator_pools[0]), "min_nodes") && output.allocator_pools[1].gpu_count == 1
    error_message = "allocator pools must be LZY_ALLOCATOR_POOLS entries"
  }
}

run "rejects_duplicate_pool_labels" {
  command = plan
  variables {
    pools = [
      { label = "s", cluster_type = "WORKER", cpu_count = 2, ram_gb = 2, zones = ["a"] },
      { label = "s", cluster_type = "SYSTEM", cpu_count = 2, ram_gb = 2, zones = ["a"] },
    ]
  }
  expect_failures = [var.pools]
}
