variable "project_id" {
  type        = string
  description = "The project everything is deployed in."

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "The project id must be 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "The region of the functions, the Scheduler job and the source bucket."
  default     = "southamerica-east1"
}

variable "environment" {
  type        = string
  description = "The environment this configuration deploys."

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

variable "roit_base_url" {
  type        = string
  description = "ROIT's API base URL (ROIT_BASE_URL): https://hom.roit.ai for homologation, https://app.roit.ai for production."

  validation {
    condition     = can(regex("^https://", var.roit_base_url))
    error_message = "The ROIT base URL must be an https:// URL."
  }
}

variable "roit_integration_id" {
  type        = string
  description = "The integration id registered in ROIT ADMIN (ROIT_INTEGRATION_ID). An identifier, not a secret."

  validation {
    condition     = length(var.roit_integration_id) > 0
    error_message = "The ROIT integration id is required."
  }
}

variable "roit_auth_scheme" {
  type        = string
  description = "How the ROIT token is sent (ROIT_AUTH_SCHEME): raw (Authorization: <jwt>) or bearer."
  default     = "raw"

  validation {
    condition     = contains(["raw", "bearer"], var.roit_auth_scheme)
    error_message = "The auth scheme must be raw or bearer."
  }
}

variable "roit_token" {
  type = object({
    url                 = optional(string, "/auth/api/v1/token")
    client_id_field     = optional(string, "clientId")
    client_secret_field = optional(string, "clientSecret")
    response_field      = optional(string, "data.token")
  })
  description = "ROIT's token exchange, which its public docs do not confirm: the endpoint (a path on roit_base_url or a full URL), the body fields carrying the credentials, and the dotted path of the JWT in the answer. Set them from ROIT's answer before going live."
  default     = {}
}

variable "log_level" {
  type        = string
  description = "The functions' log level (ROIT_LOG_LEVEL)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "The log level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "retry_budget_s" {
  type        = number
  description = "The total time one ROIT call may take, retries included (ROIT_RETRY_BUDGET_S). Every function's timeout leaves room for two such calls (token + call) plus a margin."
  default     = 30

  validation {
    condition     = var.retry_budget_s >= 1 && var.retry_budget_s <= 300
    error_message = "The retry budget must be between 1 and 300 seconds."
  }
}

variable "poll_time_budget_s" {
  type        = number
  description = "How long the poller keeps asking for pages (ROIT_POLL_TIME_BUDGET_S); with two retry budgets and a margin it must fit in the poller's timeout."
  default     = 240

  validation {
    condition     = var.poll_time_budget_s >= 10
    error_message = "The poll time budget must be at least 10 seconds."
  }
}

variable "poll_targets" {
  type        = string
  description = "The (entity, type) pairs the poller asks for (ROIT_POLL_TARGETS), a comma list of ENTITY[:TYPE]: ENTITY one of ROIT's pending entities, TYPE any document type code (e.g. NFE, NF3E, CTE-OS)."
  default     = "DOCUMENT"

  # What shared/settings.py's parse_targets accepts: ENTITY from the PendingEntity enum, TYPE any
  # code without commas or colons (both upper-cased by the code, so any case here); written
  # without spaces or empty items. tests/terraform checks the entity list against the enum.
  validation {
    condition     = can(regex("^(?i)(DOCUMENT|ACCOUNTS_PAYABLE|PURCHASE_ORDER|ERP_PARAMS|SUPPLIER|GENERIC|TAX_VALIDATION|DOCUMENT_REVERSE|SERVICE_ENTRY_SHEET)(:[A-Za-z0-9._-]{1,64})?(,(DOCUMENT|ACCOUNTS_PAYABLE|PURCHASE_ORDER|ERP_PARAMS|SUPPLIER|GENERIC|TAX_VALIDATION|DOCUMENT_REVERSE|SERVICE_ENTRY_SHEET)(:[A-Za-z0-9._-]{1,64})?)*$", var.poll_targets))
    error_message = "The poll targets must be a comma list (no spaces) of ENTITY[:TYPE], ENTITY one of DOCUMENT, ACCOUNTS_PAYABLE, PURCHASE_ORDER, ERP_PARAMS, SUPPLIER, GENERIC, TAX_VALIDATION, DOCUMENT_REVERSE, SERVICE_ENTRY_SHEET and TYPE a type code of 1-64 letters, digits, dots, hyphens or underscores, e.g. DOCUMENT:NFE,DOCUMENT:NF3E,DOCUMENT:CTE-OS,SUPPLIER."
  }
}

variable "poll_schedule" {
  type        = string
  description = "The Cloud Scheduler cron schedule of the poller."
  default     = "*/5 * * * *"
}

variable "poll_time_zone" {
  type        = string
  description = "The time zone of the poller's schedule."
  default     = "America/Sao_Paulo"
}

variable "max_message_age_s" {
  type        = number
  description = "Older push messages are dead-lettered instead of sent to ROIT (ROIT_MAX_MESSAGE_AGE_S)."
  default     = 86400

  validation {
    condition     = var.max_message_age_s >= 60
    error_message = "The maximum message age must be at least 60 seconds."
  }
}

variable "delivery_max_batch" {
  type        = number
  description = "The most items register_delivery sends in one ROIT call (ROIT_DELIVERY_MAX_BATCH)."
  default     = 100

  validation {
    condition     = var.delivery_max_batch >= 1 && var.delivery_max_batch <= 1000
    error_message = "The delivery batch must be between 1 and 1000 items."
  }
}

variable "function_settings" {
  type = map(object({
    memory_mb       = optional(number)
    cpu             = optional(string)
    timeout_s       = optional(number)
    min_instances   = optional(number)
    max_instances   = optional(number)
    max_concurrency = optional(number)
  }))
  description = "Per-deployment overrides of the sizing in local.deployments (local.deployment_settings over local.deployment_defaults), keyed by deployment name (poll-pending, update-status, register-delivery, reprocess, reprocess-webhook, get-attachments)."
  default     = {}

  validation {
    condition = alltrue([
      for name in keys(var.function_settings) :
      contains(["poll-pending", "update-status", "register-delivery", "reprocess", "reprocess-webhook", "get-attachments"], name)
    ])
    error_message = "function_settings keys must be deployment names: poll-pending, update-status, register-delivery, reprocess, reprocess-webhook, get-attachments."
  }
}

variable "runtime" {
  type        = string
  description = "The Python runtime of every function."
  default     = "python311"

  validation {
    condition     = contains(["python311", "python312"], var.runtime)
    error_message = "The runtime must be python311 or python312."
  }
}

variable "source_archives_dir" {
  type        = string
  description = "Where scripts/package_functions.py wrote the <function>.zip archives; null means build/functions at the repository root."
  default     = null
}

variable "team_group" {
  type        = string
  description = "The Google group of the integration team, granted invoker on reprocess, get-attachments and poll-pending (curl with an identity token)."

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.team_group))
    error_message = "The team group must be a group e-mail address."
  }
}

variable "attachments_invoker_members" {
  type        = list(string)
  description = "Extra members (e.g. the ERP's service account) allowed to call get-attachments."
  default     = []

  validation {
    condition     = !contains(var.attachments_invoker_members, "allUsers") && !contains(var.attachments_invoker_members, "allAuthenticatedUsers")
    error_message = "get-attachments is never public."
  }
}

variable "erp_subscriber_members" {
  type        = list(string)
  description = "IAM members (the ERP's identity) allowed to pull roit-pending-erp."
  default     = []
}

variable "erp_publisher_members" {
  type        = list(string)
  description = "IAM members (the ERP's identity) allowed to publish to roit-status and roit-deliveries."
  default     = []
}

variable "erp_ack_deadline_s" {
  type        = number
  description = "The ack deadline of the ERP's pull subscription, in seconds."
  default     = 60

  validation {
    condition     = var.erp_ack_deadline_s >= 10 && var.erp_ack_deadline_s <= 600
    error_message = "The ack deadline must be between 10 and 600 seconds."
  }
}

variable "erp_max_delivery_attempts" {
  type        = number
  description = "Deliveries of one pending message to the ERP (nacks or expired acks) before Pub/Sub moves it to roit-pending-dead-letter."
  default     = 10

  validation {
    condition     = var.erp_max_delivery_attempts >= 5 && var.erp_max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts 5 to 100 delivery attempts."
  }
}

variable "message_retention_s" {
  type        = number
  description = "How long subscriptions keep unacknowledged messages, in seconds (dead-letter subscriptions included)."
  default     = 604800

  validation {
    condition     = var.message_retention_s >= 600 && var.message_retention_s <= 604800
    error_message = "The retention must be between 600 s (10 minutes) and 604800 s (7 days)."
  }
}

variable "notification_channels" {
  type        = list(string)
  description = "Monitoring notification channel ids (projects/P/notificationChannels/N) the alerts go to."
  default     = []
}

variable "kms_key_name" {
  type        = string
  description = "A Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) for the Pub/Sub topics, or null for Google-managed encryption."
  default     = null
}
