variable "project_id" {
  type        = string
  description = "The project the function is deployed in."
}

variable "region" {
  type        = string
  description = "The region the function (and its Cloud Run service) runs in."
}

variable "name" {
  type        = string
  description = "The deployment name (the gen2 function and its Cloud Run service): lowercase letters, digits and hyphens."

  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.name))
    error_message = "The name must be lowercase letters, digits and hyphens, start with a letter and end with a letter or digit (at most 63 characters)."
  }
}

variable "entry_point" {
  type        = string
  description = "The Python function the framework calls: the function's folder name under functions/ (snake_case)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]*$", var.entry_point))
    error_message = "The entry point must be a snake_case Python identifier."
  }
}

variable "description" {
  type        = string
  description = "A one-line description shown in the console."
  default     = ""
}

variable "runtime" {
  type        = string
  description = "The Cloud Functions Python runtime."
  default     = "python311"

  validation {
    condition     = contains(["python311", "python312"], var.runtime)
    error_message = "The runtime must be python311 or python312 (the project targets Python 3.11)."
  }
}

variable "source_bucket" {
  type        = string
  description = "The bucket the source archive is uploaded to."
}

variable "source_archive_path" {
  type        = string
  description = "Local path of the deterministic zip written by scripts/package_functions.py; its SHA-256 names the uploaded object, so a code change redeploys."
}

variable "service_account_email" {
  type        = string
  description = "The function's own runtime service account."
}

variable "build_service_account" {
  type        = string
  description = "The service account Cloud Build builds the function with (projects/P/serviceAccounts/EMAIL, with roles/run.builder), or null for the project's default build account (which newer projects may not have permissions for)."
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^projects/[^/]+/serviceAccounts/[^/]+@[^/]+$", var.build_service_account))
    error_message = "The build service account must be projects/PROJECT/serviceAccounts/EMAIL."
  }
}

variable "docker_repository" {
  type        = string
  description = "The Artifact Registry repository the built image goes to (projects/P/locations/L/repositories/R), or null for the gcf-artifacts repository Cloud Functions creates."
  default     = null

  validation {
    condition     = var.docker_repository == null || can(regex("^projects/[^/]+/locations/[^/]+/repositories/[^/]+$", var.docker_repository))
    error_message = "The docker repository must be projects/PROJECT/locations/LOCATION/repositories/REPOSITORY."
  }
}

variable "memory_mb" {
  type        = number
  description = "The memory of one instance, in MiB."
  default     = 512

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 32768
    error_message = "The memory must be between 128 and 32768 MiB."
  }
}

variable "cpu" {
  type        = string
  description = "The vCPUs of one instance, as Cloud Run writes them (\"0.167\", \"0.583\", \"1\", \"2\", ...). More than one concurrent request per instance needs at least 1 vCPU."
  default     = "1"

  validation {
    condition     = can(tonumber(var.cpu)) && tonumber(var.cpu) > 0 && tonumber(var.cpu) <= 8
    error_message = "The cpu must be a number of vCPUs between 0 and 8, written as a string."
  }
}

variable "timeout_s" {
  type        = number
  description = "How long one request may run, in seconds; also given to the code as ROIT_FUNCTION_TIMEOUT_S, which accepts a whole number from 10 to 3600."
  default     = 60

  validation {
    condition     = floor(var.timeout_s) == var.timeout_s && var.timeout_s >= 10 && var.timeout_s <= 3600
    error_message = "The timeout must be a whole number of seconds between 10 and 3600."
  }
}

variable "minimum_timeout_s" {
  type        = number
  description = "The shortest timeout the function's code accepts, in seconds (its retry and poll budgets plus the code's deadline reserve); the plan fails if timeout_s is shorter."
  default     = 0
}

variable "min_instances" {
  type        = number
  description = "Instances kept warm (0 scales to zero)."
  default     = 0

  validation {
    condition     = var.min_instances >= 0
    error_message = "The minimum number of instances cannot be negative."
  }
}

variable "max_instances" {
  type        = number
  description = "The most instances that may run at once."
  default     = 10

  validation {
    condition     = var.max_instances >= 1
    error_message = "The maximum number of instances must be at least 1."
  }
}

variable "max_concurrency" {
  type        = number
  description = "Concurrent requests one instance serves (gen2 max_instance_request_concurrency)."
  default     = 1

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 1000
    error_message = "The concurrency must be between 1 and 1000."
  }
}

variable "ingress_settings" {
  type        = string
  description = "Which traffic may reach the function."
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "The ingress settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "The function's environment (the ROIT_ settings of docs/configuration.md), without ROIT_FUNCTION_TIMEOUT_S, THREADS, ROIT_INSTANCE_MEMORY_MIB and ROIT_INSTANCE_CONCURRENCY, which the module sets from timeout_s, memory_mb and max_concurrency. No secret values: secrets are referenced by name or by the path where secret_volumes mounts them."
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.environment_variables), ["ROIT_FUNCTION_TIMEOUT_S", "THREADS", "ROIT_INSTANCE_MEMORY_MIB", "ROIT_INSTANCE_CONCURRENCY"])) == 0
    error_message = "ROIT_FUNCTION_TIMEOUT_S, THREADS, ROIT_INSTANCE_MEMORY_MIB and ROIT_INSTANCE_CONCURRENCY come from timeout_s, max_concurrency and memory_mb: do not set them in environment_variables."
  }
}

variable "invoker_members" {
  type        = map(string)
  description = "IAM members granted roles/run.invoker on the function's Cloud Run service (user:, group:, serviceAccount:, or allUsers), keyed by a name known at plan time (members may be computed)."
  default     = {}
}

variable "labels" {
  type        = map(string)
  description = "Labels put on the function and its source object's metadata."
  default     = {}
}

variable "secret_volumes" {
  type = map(object({
    secret     = string
    mount_path = string
    file       = string
  }))
  description = "Secrets mounted as files, by key: the secret (its id in project_id), the directory it is mounted at and the file name in it. The file holds the secret's latest version, fetched by the platform each time it is read."
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.secret_volumes) : startswith(v.mount_path, "/") && !can(regex("/", v.file))])
    error_message = "A secret's mount_path must be absolute and its file a bare file name."
  }
}
