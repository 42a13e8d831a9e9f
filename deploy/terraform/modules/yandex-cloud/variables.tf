variable "folder_id" {
  description = "Yandex Cloud folder of every resource."
  type        = string
}

variable "prefix" {
  description = "Prefix of resource names."
  type        = string
  default     = "lzy"
}

variable "zone" {
  description = "Zone of the masters, the system node group and PostgreSQL."
  type        = string
  default     = "ru-central1-a"
}

variable "cidr" {
  description = "Address space of the network; one /24 per zone is cut from it."
  type        = string
  default     = "10.128.0.0/16"
}

variable "kubernetes_version" {
  type    = string
  default = "1.31"
}

variable "public_api" {
  description = "Give the clusters' API servers public addresses (operators outside the cloud network)."
  type        = bool
  default     = true
}

variable "cpu_platform" {
  type    = string
  default = "standard-v3"
}

variable "gpu_platform" {
  type    = string
  default = "gpu-standard-v2"
}

variable "system_nodes" {
  description = "The system node group (the chart's services)."
  type = object({
    count     = optional(number, 3)
    cores     = optional(number, 4)
    memory_gb = optional(number, 16)
  })
  default = {}
}

variable "pools" {
  description = "VM pools (see ../naming): WORKER pools become worker-cluster node groups, SYSTEM pools (portals) system-cluster ones."
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
}

variable "postgres" {
  type = object({
    version = optional(string, "15")
    preset  = optional(string, "s3-c2-m8")
    disk_gb = optional(number, 32)
  })
  default = {}
}
