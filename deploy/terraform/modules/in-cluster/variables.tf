variable "mode" {
  description = "system: the services (chart mode full); worker: the allocator's RBAC in the worker cluster (chart mode rbacOnly)."
  type        = string
  default     = "system"
  validation {
    condition     = contains(["system", "worker"], var.mode)
    error_message = "mode must be \"system\" or \"worker\"."
  }
}

variable "release_name" {
  description = "Helm release name; also the prefix of every object (<release>-iam, <release>-db, …)."
  type        = string
  default     = "lzy"
}

variable "namespace" {
  description = "Namespace of the release (services, Secrets)."
  type        = string
  default     = "lzy"
}

variable "create_namespace" {
  description = "Create var.namespace (false: it exists)."
  type        = bool
  default     = true
}

variable "vm_namespace" {
  description = "Namespace of the VM pods (LZY_ALLOCATOR_KUBE_NAMESPACE), the same name in both clusters."
  type        = string
  default     = "lzy-vms"
}

variable "create_vm_namespace" {
  description = "Create var.vm_namespace (false: it exists)."
  type        = bool
  default     = true
}

variable "chart_path" {
  description = "Path of the chart; default the repository's deploy/helm/lzy."
  type        = string
  default     = ""
}

variable "image_registry" {
  description = "Registry of the lzy-<service> images (chart image.registry)."
  type        = string
  default     = ""
}

variable "image_tag" {
  description = "Tag of the images; empty = the chart's appVersion."
  type        = string
  default     = ""
}

variable "database" {
  description = "PostgreSQL server, a user (or users: service => user) and one password per service (service => password, URL-safe). mode system only."
  type = object({
    host      = string
    port      = optional(number, 5432)
    ssl_mode  = optional(string, "require")
    user      = optional(string, "lzy")
    users     = optional(map(string), {})
    passwords = map(string)
  })
  default   = { host = "", passwords = {} }
  sensitive = true
}

variable "encryption_keys" {
  description = "Key ring sealing users' S3 secrets: `<id>:<base64 of 32 bytes>`, comma separated, the first seals. mode system only."
  type        = string
  default     = ""
  sensitive   = true
}

variable "internal_private_key_pem" {
  description = "PEM private key of the services' internal identity lzy-internal. mode system only."
  type        = string
  default     = ""
  sensitive   = true
}

variable "internal_public_key_pem" {
  description = "PEM public key of lzy-internal (iam). mode system only."
  type        = string
  default     = ""
}

variable "s3" {
  description = "S3 endpoint and the installation's key pair. mode system only."
  type = object({
    endpoint          = optional(string, "")
    region            = optional(string, "us-east-1")
    force_path_style  = optional(bool, true)
    access_key_id     = optional(string, "")
    secret_access_key = optional(string, "")
  })
  default   = {}
  sensitive = true
}

variable "separate_worker_cluster" {
  description = "mode system: workers run in another cluster, whose kubeconfig is worker_kubeconfig (a plain bool: known when planning, unlike the kubeconfig)."
  type        = bool
  default     = false
}

variable "worker_kubeconfig" {
  description = "With separate_worker_cluster: kubeconfig of the worker cluster for the allocator (the worker-mode call's allocator_kubeconfig)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "pools" {
  description = "allocator.pools (LZY_ALLOCATOR_POOLS), e.g. the naming module's allocator_pools; empty = the chart's default."
  type        = any
  default     = []
}

variable "values" {
  description = "More chart values, merged over the ones the module sets (e.g. services.lzy-service.service.type)."
  type        = any
  default     = {}
}

variable "node_labels" {
  description = "Node name => labels to put on existing nodes (pool labels on clusters without labelled node groups)."
  type        = map(map(string))
  default     = {}
}

variable "wait" {
  description = "Wait until every Deployment is available."
  type        = bool
  default     = true
}

variable "timeout_seconds" {
  description = "Helm install/upgrade timeout."
  type        = number
  default     = 600
}

variable "cluster_server" {
  description = "mode worker: the API server URL written into allocator_kubeconfig."
  type        = string
  default     = ""
}
