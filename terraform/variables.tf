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
  description = "The region of the functions, the Scheduler job and the functions' image repository."
  default     = "southamerica-east1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "The region must be a Google Cloud region name, e.g. southamerica-east1."
  }
}

variable "data_region" {
  type        = string
  description = "The region where data rests: Pub/Sub message storage, Secret Manager replicas and the source bucket (Brazilian fiscal data: southamerica-east1); null means the region of the functions."
  default     = null

  validation {
    condition     = var.data_region == null || can(regex("^[a-z]+-[a-z]+[0-9]+$", var.data_region))
    error_message = "The data region must be a Google Cloud region name, e.g. southamerica-east1."
  }
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

variable "mount_secrets" {
  type        = bool
  description = "Give the functions their secrets as files the platform mounts from Secret Manager (secret_volumes; ROIT_CREDENTIALS_FILE, ROIT_WEBHOOK_SECRETS_FILE), the default: a rotation is followed, and no client library is loaded on the cold path. false: the code reads them by name with the Secret Manager client library (ROIT_CREDENTIALS_SECRET, ROIT_WEBHOOK_SECRETS_SECRET)."
  default     = true
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
    condition     = length(var.roit_integration_id) >= 1 && length(var.roit_integration_id) <= 256
    error_message = "The ROIT integration id must be 1 to 256 characters."
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
    request_format      = optional(string, "json")
    client_auth         = optional(string, "body")
    client_id_field     = optional(string, "clientId")
    client_secret_field = optional(string, "clientSecret")
    extra_fields        = optional(map(string), {})
    response_field      = optional(string, "data.token")
    expires_in_field    = optional(string, "data.expiresIn")
  })
  description = "ROIT's token exchange, which its public docs do not confirm (ROIT_TOKEN_*): the endpoint (a path on roit_base_url or a full URL), the body encoding (json or form), where the client credentials go (body fields or HTTP basic), the body fields carrying them, extra body fields (e.g. grant_type), and the dotted paths of the JWT and of its lifetime in the answer. Set them from ROIT's answer before going live."
  default     = {}

  validation {
    condition     = contains(["json", "form"], var.roit_token.request_format)
    error_message = "roit_token.request_format must be json or form."
  }

  validation {
    condition     = contains(["body", "basic"], var.roit_token.client_auth)
    error_message = "roit_token.client_auth must be body or basic."
  }

  validation {
    condition = alltrue([
      for value in [var.roit_token.url, var.roit_token.client_id_field, var.roit_token.client_secret_field, var.roit_token.response_field, var.roit_token.expires_in_field] :
      length(value) > 0
    ]) && alltrue([for key in keys(var.roit_token.extra_fields) : length(key) > 0])
    error_message = "The roit_token url, field names, paths and extra field names must not be empty."
  }
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

# The limits below are the code's (shared/*/settings.py): tests/terraform probes both sides at and
# just beyond every bound and fails when Terraform accepts a value the code refuses, or the reverse.
variable "retry_budget_s" {
  type        = number
  description = "The total time one ROIT call may take, retries and Retry-After waits included, in seconds (ROIT_RETRY_BUDGET_S). Every function's timeout must hold it plus the code's 5 s deadline reserve."
  default     = 30

  validation {
    condition     = var.retry_budget_s >= 1 && var.retry_budget_s <= 300
    error_message = "The retry budget must be between 1 and 300 seconds."
  }
}

variable "poll_time_budget_s" {
  type        = number
  description = "How long the poller keeps asking for pages, in seconds (ROIT_POLL_TIME_BUDGET_S); with the retry budget and the code's 5 s deadline reserve it must fit in the poller's timeout."
  default     = 200

  validation {
    condition     = var.poll_time_budget_s >= 1 && var.poll_time_budget_s <= 3600
    error_message = "The poll time budget must be between 1 and 3600 seconds."
  }
}

variable "poll_targets" {
  type        = string
  description = "The (entity, type) pairs the poller asks for (ROIT_POLL_TARGETS), a comma list of ENTITY[:TYPE]: ENTITY one of ROIT's pending entities, TYPE any document type code (e.g. NFE, NF3E, CTE-OS)."
  default     = "DOCUMENT"

  # What shared/poll/targets.py's parse_targets accepts: ENTITY from the PendingEntity enum, TYPE any
  # code without commas or colons (both upper-cased by the code, so any case here); written
  # without spaces or empty items, at most 64 of them (MAX_TARGETS). tests/terraform checks the
  # entity list against the enum and runs these conditions on the same cases as the code.
  validation {
    condition     = can(regex("^(?i)(DOCUMENT|ACCOUNTS_PAYABLE|PURCHASE_ORDER|ERP_PARAMS|SUPPLIER|GENERIC|TAX_VALIDATION|DOCUMENT_REVERSE|SERVICE_ENTRY_SHEET)(:[A-Za-z0-9._-]{1,64})?(,(DOCUMENT|ACCOUNTS_PAYABLE|PURCHASE_ORDER|ERP_PARAMS|SUPPLIER|GENERIC|TAX_VALIDATION|DOCUMENT_REVERSE|SERVICE_ENTRY_SHEET)(:[A-Za-z0-9._-]{1,64})?)*$", var.poll_targets))
    error_message = "The poll targets must be a comma list (no spaces) of ENTITY[:TYPE], ENTITY one of DOCUMENT, ACCOUNTS_PAYABLE, PURCHASE_ORDER, ERP_PARAMS, SUPPLIER, GENERIC, TAX_VALIDATION, DOCUMENT_REVERSE, SERVICE_ENTRY_SHEET and TYPE a type code of 1-64 letters, digits, dots, hyphens or underscores, e.g. DOCUMENT:NFE,DOCUMENT:NF3E,DOCUMENT:CTE-OS,SUPPLIER."
  }
  validation {
    condition     = length(split(",", var.poll_targets)) <= 64
    error_message = "At most 64 poll targets (the poller refuses more)."
  }
}

variable "poll_interval_minutes" {
  type        = number
  description = "Minutes between two runs of the poller (Cloud Scheduler, every N minutes from the top of the hour). It must exceed the poller's timeout, so a run is over before the next one starts."
  default     = 5

  validation {
    condition     = contains([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60], var.poll_interval_minutes)
    error_message = "The poll interval must divide an hour evenly: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60 minutes."
  }
}

variable "poll_time_zone" {
  type        = string
  description = "The time zone of the poller's schedule."
  default     = "America/Sao_Paulo"
}

variable "max_message_age_s" {
  type        = number
  description = "Older push messages are dead-lettered as too_old instead of sent to ROIT, in seconds (ROIT_MAX_MESSAGE_AGE_S); a whole number of seconds between 60 and 604800 (7 days)."
  default     = 86400

  validation {
    condition     = floor(var.max_message_age_s) == var.max_message_age_s && var.max_message_age_s >= 60 && var.max_message_age_s <= 604800
    error_message = "The maximum message age must be a whole number of seconds between 60 and 604800 (7 days)."
  }
}

variable "delivery_max_batch" {
  type        = number
  description = "The most items register_delivery sends in one ROIT call (ROIT_DELIVERY_MAX_BATCH)."
  default     = 100

  validation {
    condition     = floor(var.delivery_max_batch) == var.delivery_max_batch && var.delivery_max_batch >= 1 && var.delivery_max_batch <= 1000
    error_message = "The delivery batch must be a whole number of items between 1 and 1000."
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
  description = "Per-deployment overrides of the sizing in local.deployments (local.deployment_settings over local.deployment_defaults), keyed by deployment name (poll-pending, update-status, register-delivery, reprocess, reprocess-webhook, get-attachments). poll-pending always runs one request on one instance."
  default     = {}

  validation {
    condition = alltrue([
      for name in keys(var.function_settings) :
      contains(["poll-pending", "update-status", "register-delivery", "reprocess", "reprocess-webhook", "get-attachments"], name)
    ])
    error_message = "function_settings keys must be deployment names: poll-pending, update-status, register-delivery, reprocess, reprocess-webhook, get-attachments."
  }

  # ROIT_FUNCTION_TIMEOUT_S: what shared/core/settings.py accepts.
  validation {
    condition = alltrue([
      for timeout_s in [for settings in values(var.function_settings) : coalesce(settings.timeout_s, 60)] :
      floor(timeout_s) == timeout_s && timeout_s >= 10 && timeout_s <= 3600
    ])
    error_message = "A timeout_s must be a whole number of seconds between 10 and 3600."
  }

  validation {
    condition = alltrue([
      for key in ["max_instances", "max_concurrency"] :
      try(var.function_settings["poll-pending"][key], null) == null
    ])
    error_message = "poll-pending keeps max_instances = 1 and max_concurrency = 1: two poll runs at once would hand ROIT's pages out twice."
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
  description = "Extra IAM members (e.g. the ERP's service account, serviceAccount:EMAIL) allowed to call get-attachments."
  default     = []

  validation {
    condition     = alltrue([for member in var.attachments_invoker_members : can(regex("^(serviceAccount|group|user):[^@\\s]+@[^@\\s]+$|^principal(Set)?://", member))])
    error_message = "get-attachments is never public: each member must be serviceAccount:, group:, user:, principal:// or principalSet://."
  }
}

variable "erp_subscriber_members" {
  type        = list(string)
  description = "The ERP's identities (serviceAccount:EMAIL, group:EMAIL, or a Workload Identity Federation principal:// / principalSet://) allowed to pull roit-pending-erp: roles/pubsub.subscriber on that subscription only. Without one the ERP gets 403."
  default     = []

  validation {
    condition     = alltrue([for member in var.erp_subscriber_members : can(regex("^(serviceAccount|group):[^@\\s]+@[^@\\s]+$|^principal(Set)?://", member))])
    error_message = "Each ERP member must be serviceAccount:EMAIL, group:EMAIL, principal://... or principalSet://... (never allUsers or allAuthenticatedUsers)."
  }
}

variable "erp_publisher_members" {
  type        = list(string)
  description = "The ERP's identities (serviceAccount:EMAIL, group:EMAIL, or a Workload Identity Federation principal:// / principalSet://) allowed to publish to roit-status and roit-deliveries: roles/pubsub.publisher on those two topics only. Without one the ERP gets 403."
  default     = []

  validation {
    condition     = alltrue([for member in var.erp_publisher_members : can(regex("^(serviceAccount|group):[^@\\s]+@[^@\\s]+$|^principal(Set)?://", member))])
    error_message = "Each ERP member must be serviceAccount:EMAIL, group:EMAIL, principal://... or principalSet://... (never allUsers or allAuthenticatedUsers)."
  }
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
    condition     = floor(var.erp_max_delivery_attempts) == var.erp_max_delivery_attempts && var.erp_max_delivery_attempts >= 5 && var.erp_max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts 5 to 100 delivery attempts."
  }
}

variable "message_retention_s" {
  type        = number
  description = "How long the ERP's and the push subscriptions keep unacknowledged messages, in seconds (dead-letter subscriptions always keep Pub/Sub's maximum, 31 days)."
  default     = 604800

  validation {
    condition     = var.message_retention_s >= 600 && var.message_retention_s <= 2678400
    error_message = "The retention must be between 600 s (10 minutes) and 2678400 s (31 days)."
  }
}

variable "erp_backlog_alert_age_s" {
  type        = number
  description = "Alert when the oldest unacknowledged message of roit-pending-erp is older than this, in seconds: the ERP has stopped taking pending documents, which expire unseen after message_retention_s."
  default     = 3600

  validation {
    condition     = var.erp_backlog_alert_age_s >= 300 && var.erp_backlog_alert_age_s < var.message_retention_s
    error_message = "The ERP backlog alert age must be at least 300 s and shorter than message_retention_s."
  }
}

variable "alert_email_addresses" {
  type        = list(string)
  description = "E-mail addresses that receive every alert (an e-mail notification channel is created for each)."
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "Each alert address must be an e-mail address."
  }

  # Alerts that reach nobody are not alerts.
  validation {
    condition     = length(var.alert_email_addresses) + length(var.notification_channels) > 0
    error_message = "Give at least one alert_email_addresses entry or notification_channels id: every alert policy notifies them."
  }
}

variable "notification_channels" {
  type        = list(string)
  description = "Existing Monitoring notification channels (projects/P/notificationChannels/N: PagerDuty, Slack, SMS...) that receive every alert, besides alert_email_addresses."
  default     = []

  validation {
    condition     = alltrue([for channel in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "Each notification channel must be projects/PROJECT/notificationChannels/ID."
  }
}

variable "kms_key_name" {
  type        = string
  description = "A Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) in the data region that encrypts the topics, the secrets, the source bucket and the idempotency store (Firestore, only when its database is created), or null for Google-managed encryption. terraform/bootstrap grants the service agents their use of it."
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "The KMS key must be projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY."
  }

  validation {
    condition     = var.kms_key_name == null || try(split("/", var.kms_key_name)[3], "") == coalesce(var.data_region, var.region)
    error_message = "The KMS key must be in the data region (data_region, or region when it is null): Secret Manager replicas and the bucket use keys of their own location."
  }
}
