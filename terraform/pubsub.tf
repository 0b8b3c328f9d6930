# Topics of docs/concepts.md: each with a dead-letter topic, and each dead-letter topic with a
# subscription so nothing dead-lettered is lost.
locals {
  topics = ["roit-pending", "roit-status", "roit-deliveries"]

  all_topics = toset(concat(local.topics, [for topic in local.topics : "${topic}-dead-letter"]))

  # Push retries. A ROIT outage or a burst that hits the instance cap makes the push functions
  # answer 503 (retry later) or Cloud Run 429: Pub/Sub redelivers with a backoff growing from
  # the minimum to the maximum, and only after the last attempt moves the message to its
  # dead-letter topic. With Pub/Sub's largest values (100 attempts, backoff up to 600 s) that is
  # about 15.7 h of backoff (local.push_retry_window_s), so an outage of a few hours dead-letters
  # nothing. ROIT_MAX_MESSAGE_AGE_S (default 24 h) should exceed it, or retried messages are
  # dead-lettered as too_old (check.message_age_covers_push_retries warns).
  push_max_delivery_attempts = 100
  push_minimum_backoff_s     = 10
  push_maximum_backoff_s     = 600

  # The backoff before each redelivery if it doubles from the minimum up to the maximum (Pub/Sub
  # documents an exponential backoff between the two, applied on a best-effort basis).
  push_retry_window_s = sum([
    for attempt in range(local.push_max_delivery_attempts - 1) :
    min(local.push_maximum_backoff_s, local.push_minimum_backoff_s * pow(2, attempt))
  ])

  # Dead-lettered messages wait for a human: keep them as long as Pub/Sub allows (31 days).
  dead_letter_retention_s = 2678400

  push_subscriptions = {
    "roit-status-push" = {
      topic      = "roit-status"
      deployment = "update-status"
    }
    "roit-deliveries-push" = {
      topic      = "roit-deliveries"
      deployment = "register-delivery"
    }
  }

  # The topics each function publishes to: the only publisher grants functions get. poll_pending
  # dead-letters the pending entities it cannot read or publish (ROIT_DEAD_LETTER_TOPIC);
  # register_delivery hands the rest of a message too large for one invocation back to
  # roit-deliveries (ROIT_DELIVERIES_TOPIC).
  function_publishers = {
    "poll-pending"      = ["roit-pending", "roit-pending-dead-letter"]
    "update-status"     = ["roit-status-dead-letter"]
    "register-delivery" = ["roit-deliveries", "roit-deliveries-dead-letter"]
  }

  function_publisher_grants = merge([
    for deployment, topics in local.function_publishers : {
      for topic in topics : "${deployment}/${topic}" => {
        deployment = deployment
        topic      = topic
      }
    }
  ]...)

  # The subscriptions that have a dead-letter policy (keys known at plan time).
  dead_lettered_subscriptions = merge(
    { "roit-pending-erp" = google_pubsub_subscription.erp.name },
    { for name, subscription in google_pubsub_subscription.push : name => subscription.name },
  )

  # The ERP publishes the results of its work (status) and its master data (deliveries).
  erp_published_topics = ["roit-status", "roit-deliveries"]

  erp_publisher_grants = merge([
    for topic in local.erp_published_topics : {
      for member in var.erp_publisher_members : "${topic}/${member}" => {
        topic  = topic
        member = member
      }
    }
  ]...)
}

# Messages are stored in the data region only and, with kms_key_name, encrypted with that key
# (terraform/bootstrap grants the Pub/Sub service agent its use).
resource "google_pubsub_topic" "main" {
  for_each = local.all_topics

  project      = var.project_id
  name         = each.value
  kms_key_name = var.kms_key_name
  labels       = var.labels

  message_storage_policy {
    allowed_persistence_regions = [local.data_region]
  }

  depends_on = [google_project_service.main]
}

resource "google_pubsub_subscription" "dead_letter" {
  for_each = toset(local.topics)

  project                    = var.project_id
  name                       = "${each.value}-dead-letter-sub"
  topic                      = google_pubsub_topic.main["${each.value}-dead-letter"].id
  ack_deadline_seconds       = 60
  message_retention_duration = "${local.dead_letter_retention_s}s"
  retain_acked_messages      = false
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

# The ERP's pull subscription of pending entities.
resource "google_pubsub_subscription" "erp" {
  project                    = var.project_id
  name                       = "roit-pending-erp"
  topic                      = google_pubsub_topic.main["roit-pending"].id
  ack_deadline_seconds       = var.erp_ack_deadline_s
  message_retention_duration = "${var.message_retention_s}s"
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.main["roit-pending-dead-letter"].id
    max_delivery_attempts = var.erp_max_delivery_attempts
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project                    = var.project_id
  name                       = each.key
  topic                      = google_pubsub_topic.main[each.value.topic].id
  ack_deadline_seconds       = min(600, module.function[each.value.deployment].timeout_s)
  message_retention_duration = "${var.message_retention_s}s"
  labels                     = var.labels

  push_config {
    push_endpoint = module.function[each.value.deployment].uri

    oidc_token {
      service_account_email = data.google_service_account.runtime["push"].email
      audience              = module.function[each.value.deployment].uri
    }
  }

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "${local.push_minimum_backoff_s}s"
    maximum_backoff = "${local.push_maximum_backoff_s}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.main["${each.value.topic}-dead-letter"].id
    max_delivery_attempts = local.push_max_delivery_attempts
  }

  lifecycle {
    # Pub/Sub waits at most 600 s for a push answer: a function allowed longer would be sent the
    # message again while still working on it.
    precondition {
      condition     = module.function[each.value.deployment].timeout_s <= 600
      error_message = "${each.value.deployment}: timeout_s (${module.function[each.value.deployment].timeout_s}) exceeds 600 s, the longest Pub/Sub waits for a push answer."
    }
  }
}

# A warning, not an error: the code accepts any message age from 60 s, and Terraform accepts
# exactly what the code accepts (a shorter age is a choice: stale results are not worth sending).
check "message_age_covers_push_retries" {
  assert {
    condition     = var.max_message_age_s > local.push_retry_window_s
    error_message = "max_message_age_s (${var.max_message_age_s} s) is shorter than the push retry window (${local.push_retry_window_s} s): messages still being retried through a long ROIT outage will be dead-lettered as too_old."
  }
}

# What dead-lettering needs from the Pub/Sub service agent: publish to the dead-letter topic and
# acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = toset(local.topics)

  project = var.project_id
  topic   = google_pubsub_topic.main["${each.value}-dead-letter"].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.dead_lettered_subscriptions

  project      = var.project_id
  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

resource "google_pubsub_topic_iam_member" "function_publisher" {
  for_each = local.function_publisher_grants

  project = var.project_id
  topic   = google_pubsub_topic.main[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = data.google_service_account.function[each.value.deployment].member
}

# The ERP's access, and nothing more: pull roit-pending-erp, publish to roit-status and
# roit-deliveries.
resource "google_pubsub_subscription_iam_member" "erp_subscriber" {
  for_each = toset(var.erp_subscriber_members)

  project      = var.project_id
  subscription = google_pubsub_subscription.erp.name
  role         = "roles/pubsub.subscriber"
  member       = each.value
}

resource "google_pubsub_topic_iam_member" "erp_publisher" {
  for_each = local.erp_publisher_grants

  project = var.project_id
  topic   = google_pubsub_topic.main[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}
