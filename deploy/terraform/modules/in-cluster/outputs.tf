output "namespace" {
  description = "Namespace of the release."
  value       = local.namespace
}

output "vm_namespace" {
  description = "Namespace of the VM pods."
  value       = local.vm_namespace
}

output "release" {
  description = "Name and status of the Helm release."
  value       = { name = helm_release.lzy.name, status = helm_release.lzy.status }
}

output "allocator_kubeconfig" {
  description = "mode worker: a kubeconfig of this cluster for the allocator (token of its ServiceAccount); feed it to the system call's worker_kubeconfig."
  sensitive   = true
  value = local.system ? "" : yamlencode({
    apiVersion = "v1"
    kind       = "Config"
    clusters = [{
      name = "worker"
      cluster = {
        server                       = var.cluster_server
        "certificate-authority-data" = base64encode(kubernetes_secret_v1.allocator_token[0].data["ca.crt"])
      }
    }]
    users             = [{ name = "lzy-allocator", user = { token = kubernetes_secret_v1.allocator_token[0].data["token"] } }]
    contexts          = [{ name = "worker", context = { cluster = "worker", user = "lzy-allocator" } }]
    "current-context" = "worker"
  })
}
