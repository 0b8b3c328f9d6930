# The deployments: folder name under functions/ (= entry point), sizing, ingress, who may invoke
# them and their environment on top of local.common_environment (names and settings: docs/concepts.md, docs/configuration.md).
# local.deployments is local.deployment_settings over local.deployment_defaults.
locals {
  common_environment = {
    ROIT_BASE_URL                  = var.roit_base_url
    ROIT_INTEGRATION_ID            = var.roit_integration_id
    ROIT_GCP_PROJECT               = var.project_id
    ROIT_AUTH_SCHEME               = var.roit_auth_scheme
    ROIT_TOKEN_URL                 = var.roit_token.url
    ROIT_TOKEN_REQUEST_FORMAT      = var.roit_token.request_format
    ROIT_TOKEN_CLIENT_AUTH         = var.roit_token.client_auth
    ROIT_TOKEN_CLIENT_ID_FIELD     = var.roit_token.client_id_field
    ROIT_TOKEN_CLIENT_SECRET_FIELD = var.roit_token.client_secret_field
    ROIT_TOKEN_EXTRA_FIELDS        = jsonencode(var.roit_token.extra_fields)
    ROIT_TOKEN_RESPONSE_FIELD      = var.roit_token.response_field
    ROIT_TOKEN_EXPIRES_IN_FIELD    = var.roit_token.expires_in_field
    ROIT_RETRY_BUDGET_S            = tostring(var.retry_budget_s)
    ROIT_LOG_LEVEL                 = var.log_level
  }

  # What the code requires of every function's timeout (shared/core/settings.py, RoitSettings): its
  # last ROIT call (the retry budget) must end the deadline reserve before the timeout. The
  # module passes the timeout to the code as ROIT_FUNCTION_TIMEOUT_S and fails the plan below this.
  call_timeout_floor_s = var.retry_budget_s + local.deadline_reserve_s

  # The sizing every deployment has unless its entry in local.deployment_settings says otherwise
  # (var.function_settings overrides either per environment).
  deployment_defaults = {
    memory_mb         = 512
    cpu               = "1"
    timeout_s         = 120
    min_instances     = 0
    max_instances     = 5
    max_concurrency   = 10
    minimum_timeout_s = local.call_timeout_floor_s
  }

  # Each deployment: what it is, and only where its sizing differs from local.deployment_defaults.
  deployment_settings = {
    "poll-pending" = {
      source           = "poll_pending"
      description      = "Polls ROIT for pending entities and publishes them to roit-pending."
      ingress_settings = "ALLOW_ALL"
      invokers         = ["scheduler", "team"]
      # One poll run at a time (a second one is refused: Cloud Run answers 429 when the only
      # instance is busy, and the code 409 poll_in_progress, through a lease in the idempotency
      # store across instances), with room for its poll budget; the Scheduler's interval must
      # exceed this timeout (scheduler.tf).
      timeout_s         = 240
      max_instances     = 1
      max_concurrency   = 1
      minimum_timeout_s = var.poll_time_budget_s + local.call_timeout_floor_s
      environment = {
        ROIT_PENDING_TOPIC      = google_pubsub_topic.main["roit-pending"].id
        ROIT_DEAD_LETTER_TOPIC  = google_pubsub_topic.main["roit-pending-dead-letter"].id
        ROIT_POLL_TARGETS       = var.poll_targets
        ROIT_POLL_TIME_BUDGET_S = tostring(var.poll_time_budget_s)
      }
    }
    "update-status" = {
      source           = "update_status"
      description      = "Reports the ERP's integration results (roit-status push) to ROIT."
      ingress_settings = "ALLOW_INTERNAL_ONLY"
      invokers         = ["push"]
      max_instances    = 10
      environment = {
        ROIT_DEAD_LETTER_TOPIC = google_pubsub_topic.main["roit-status-dead-letter"].id
        ROIT_MAX_MESSAGE_AGE_S = tostring(var.max_message_age_s)
      }
    }
    "register-delivery" = {
      source           = "register_delivery"
      description      = "Registers the ERP's master and transactional data (roit-deliveries push) with ROIT."
      ingress_settings = "ALLOW_INTERNAL_ONLY"
      invokers         = ["push"]
      timeout_s        = 300
      max_instances    = 10
      environment = {
        ROIT_DEAD_LETTER_TOPIC  = google_pubsub_topic.main["roit-deliveries-dead-letter"].id
        ROIT_MAX_MESSAGE_AGE_S  = tostring(var.max_message_age_s)
        ROIT_DELIVERY_MAX_BATCH = tostring(var.delivery_max_batch)
        # What a message too large for one invocation leaves undelivered goes on as a new one.
        ROIT_DELIVERIES_TOPIC = google_pubsub_topic.main["roit-deliveries"].id
      }
    }
    "reprocess" = {
      source           = "reprocess"
      description      = "Asks ROIT to reprocess a request (team curl, IAM-authenticated)."
      ingress_settings = "ALLOW_ALL"
      invokers         = ["team"]
      environment = {
        ROIT_REPROCESS_CALLER_AUTH = "iam"
      }
    }
    "reprocess-webhook" = {
      source           = "reprocess"
      description      = "Asks ROIT to reprocess a request (partner webhook: public, every request must carry a valid Standard Webhooks signature)."
      ingress_settings = "ALLOW_ALL"
      invokers         = ["public"]
      environment = {
        ROIT_REPROCESS_CALLER_AUTH = "webhook"
      }
    }
    "get-attachments" = {
      source           = "get_attachments"
      description      = "Returns the documents attached to a ROIT request (IAM-authenticated)."
      ingress_settings = "ALLOW_ALL"
      invokers         = ["team", "attachments"]
      environment      = {}
    }
  }

  deployments = {
    for name, settings in local.deployment_settings : name => merge(local.deployment_defaults, settings)
  }

  # How each secret reaches the code of its readers (secrets.tf), by var.mount_secrets:
  # "mounted" (the default): the platform mounts the secret as a file (secret_volumes) and
  # fills it from the latest version each time it is read, so a rotation is followed and no
  # client library is loaded on the cold path; "by_name": the code reads it by name with the
  # Secret Manager client library (grpc, protobuf and google-auth imported on the first request).
  # Either way the code caches it for ROIT_SECRET_TTL_S. docs/deployment.md#secrets says why.
  secret_delivery = {
    credentials = {
      mount_path = "/etc/secrets/roit-api-credentials"
      file       = "credentials.json"
      mounted    = { ROIT_CREDENTIALS_FILE = "/etc/secrets/roit-api-credentials/credentials.json" }
      by_name    = { ROIT_CREDENTIALS_SECRET = google_secret_manager_secret.main["credentials"].secret_id }
    }
    webhook = {
      mount_path = "/etc/secrets/roit-webhook-secrets"
      file       = "webhook-secrets.txt"
      mounted    = { ROIT_WEBHOOK_SECRETS_FILE = "/etc/secrets/roit-webhook-secrets/webhook-secrets.txt" }
      by_name    = { ROIT_WEBHOOK_SECRETS_SECRET = google_secret_manager_secret.main["webhook"].secret_id }
    }
  }

  secrets_read = {
    for name in keys(local.deployment_settings) : name => [
      for secret, readers in local.secret_readers : secret if contains(readers, name)
    ]
  }

  secret_environment = {
    for name, secrets in local.secrets_read : name => merge([
      for secret in secrets : local.secret_delivery[secret][var.mount_secrets ? "mounted" : "by_name"]
    ]...)
  }

  # Who each invoker name stands for. allUsers appears here only, for reprocess-webhook, whose
  # code rejects every request without a valid webhook signature (ROIT_REPROCESS_CALLER_AUTH=webhook).
  invokers = {
    scheduler   = [data.google_service_account.runtime["scheduler"].member]
    push        = [data.google_service_account.runtime["push"].member]
    team        = [local.team_member]
    attachments = var.attachments_invoker_members
    public      = ["allUsers"]
  }
}

module "function" {
  source   = "./modules/function"
  for_each = local.deployments

  project_id            = var.project_id
  region                = var.region
  name                  = each.key
  entry_point           = each.value.source
  description           = each.value.description
  runtime               = var.runtime
  source_bucket         = google_storage_bucket.sources.name
  source_archive_path   = "${local.archives_dir}/${each.value.source}.zip"
  service_account_email = data.google_service_account.function[each.key].email
  build_service_account = data.google_service_account.runtime["build"].name
  docker_repository     = google_artifact_registry_repository.functions.id
  ingress_settings      = each.value.ingress_settings
  memory_mb             = coalesce(try(var.function_settings[each.key].memory_mb, null), each.value.memory_mb)
  cpu                   = coalesce(try(var.function_settings[each.key].cpu, null), each.value.cpu)
  timeout_s             = coalesce(try(var.function_settings[each.key].timeout_s, null), each.value.timeout_s)
  min_instances         = coalesce(try(var.function_settings[each.key].min_instances, null), each.value.min_instances)
  max_instances         = coalesce(try(var.function_settings[each.key].max_instances, null), each.value.max_instances)
  max_concurrency       = coalesce(try(var.function_settings[each.key].max_concurrency, null), each.value.max_concurrency)
  minimum_timeout_s     = each.value.minimum_timeout_s
  environment_variables = merge(
    local.common_environment,
    contains(local.idempotency_deployments, each.key) ? local.idempotency_environment : {},
    each.value.environment,
    local.secret_environment[each.key],
  )
  secret_volumes = var.mount_secrets ? {
    for secret in local.secrets_read[each.key] : secret => {
      secret     = google_secret_manager_secret.main[secret].secret_id
      mount_path = local.secret_delivery[secret].mount_path
      file       = local.secret_delivery[secret].file
    }
  } : {}
  invoker_members = merge([
    for who in each.value.invokers : { for index, member in local.invokers[who] : "${who}-${index}" => member }
  ]...)
  labels = merge(var.labels, { function = each.value.source, environment = var.environment })

  depends_on = [
    google_project_service.main,
    google_secret_manager_secret_iam_member.accessor,
    google_firestore_field.expires_at,
  ]
}
