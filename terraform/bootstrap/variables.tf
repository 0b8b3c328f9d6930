variable "project_id" {
  type        = string
  description = "The project the connector is deployed in (one per environment)."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "The project id must be 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region of the functions and of the CI image repository (the root module's region)."
  default     = "southamerica-east1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "The region must be a Google Cloud region name, e.g. southamerica-east1."
  }
}

variable "data_region" {
  type        = string
  description = "The region where data rests (the root module's data_region): the Terraform state bucket lives there; null means region."
  default     = null

  validation {
    condition     = var.data_region == null || can(regex("^[a-z]+-[a-z]+[0-9]+$", var.data_region))
    error_message = "The data region must be a Google Cloud region name, e.g. southamerica-east1."
  }
}

variable "environment" {
  type        = string
  description = "The environment this project holds: the pipeline plans and applies terraform/environments/<environment>.tfvars."

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "The environment must be dev or prod."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource that takes them."
  default     = {}
}

variable "deployments" {
  type        = list(string)
  description = "The root module's deployments: each gets its runtime identity fn-<deployment> (the root module looks them up by that name)."
  default     = ["poll-pending", "update-status", "register-delivery", "reprocess", "reprocess-webhook", "get-attachments"]

  validation {
    condition     = alltrue([for name in var.deployments : can(regex("^[a-z][-a-z0-9]{0,23}[a-z0-9]$", name))])
    error_message = "Each deployment name must be lowercase letters, digits and hyphens, at most 25 characters (fn-<name> is a service account id)."
  }
}

variable "idempotency_deployments" {
  type        = list(string)
  description = "The deployments that read and write the idempotency store (the root module's local.idempotency_deployments): each gets roles/datastore.user on that database only."
  default     = ["poll-pending", "update-status", "register-delivery", "reprocess-webhook"]
}

variable "idempotency_database" {
  type        = string
  description = "The Firestore database id of the idempotency store (the root module's local.idempotency_database)."
  default     = "roit-idempotency"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,61}[a-z0-9]$", var.idempotency_database))
    error_message = "A Firestore database id: 4-63 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "github_owner" {
  type        = string
  description = "The GitHub owner (user or organization) of the connector's repository; the Cloud Build GitHub App must be installed on it."
}

variable "github_repository" {
  type        = string
  description = "The name of the connector's GitHub repository."
}

variable "main_branch" {
  type        = string
  description = "The branch whose pushes are applied (after approval); every other branch and every pull request is only planned."
  default     = "main"
}

variable "approver_members" {
  type        = list(string)
  description = "Who may approve an apply build (roles/cloudbuild.builds.approver), e.g. group:platform-approvers@example.com. An apply build waits until one of them approves it."

  validation {
    condition     = length(var.approver_members) > 0 && alltrue([for member in var.approver_members : can(regex("^(user|group|serviceAccount):[^@\\s]+@[^@\\s]+$", member))])
    error_message = "Give at least one approver, each user:, group: or serviceAccount: followed by an e-mail address."
  }
}

variable "state_bucket_name" {
  type        = string
  description = "The bucket of the root module's Terraform state (the pipeline's _TF_STATE_BUCKET); null means <project_id>-tfstate."
  default     = null
}

variable "kms_key_name" {
  type        = string
  description = "The root module's kms_key_name (projects/P/locations/L/keyRings/R/cryptoKeys/K), or null: the Pub/Sub, Cloud Storage, Secret Manager and Firestore service agents get roles/cloudkms.cryptoKeyEncrypterDecrypter on it, and it encrypts the state bucket too."
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "The KMS key must be projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY."
  }
}
