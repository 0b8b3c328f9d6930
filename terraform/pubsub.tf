# Topics of docs/DESIGN.md: each with a dead-letter topic, and each dead-letter topic with a
# subscription so nothing dead-lettered is lost.
locals {
  topics = ["roit-pending", "roit-status", "roit-deliveries"]

  all_topics = toset(concat(local.topics, [for topic in local.topics : "${topic}-dead-letter"]))

  # Agreed in docs/DESIGN.md: after 5 failed deliveries a pushed message goes to its dead-letter topic.
  push_max_delivery_attempts = 5

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
  # dead-letters the pending entities it cannot read or publish (ROIT_DEAD_LETTER_TOPIC).
  function_publishers = {
    "poll-pending"      = ["roit-pending", "roit-pending-dead-letter"]
    "update-status"     = ["roit-status-dead-letter"]
    "register-delivery" = ["roit-deliveries-dead-letter"]
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

  erp_publisher_grants = merge([
    for topic in ["roit-status", "roit-deliveries"] : {
      for member in var.erp_publisher_members : "${topic}/${member}" => {
        topic  = topic
        member = member
      }
    }
  ]...)
}

# With kms_key_name set, Pub/Sub encrypts and decrypts the topics' messages as its service agent,
# which needs this role on the key before a topic can use it (else creating the topic fails).
resource "google_kms_crypto_key_iam_member" "pubsub_encrypter_decrypter" {
  count = var.kms_key_name == null ? 0 : 1

  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = local.pubsub_service_agent

  # The service agent exists once the Pub/Sub API is on.
  depends_on = [google_project_service.main]
}

resource "google_pubsub_topic" "main" {
  for_each = local.all_topics

  project      = var.project_id
  name         = each.value
  kms_key_name = var.kms_key_name

  depends_on = [
    google_project_service.main,
    google_kms_crypto_key_iam_member.pubsub_encrypter_decrypter,
  ]
}

resource "google_pubsub_subscription" "dead_letter" {
  for_each = toset(local.topics)

  project                    = var.project_id
  name                       = "${each.value}-dead-letter-sub"
  topic                      = google_pubsub_topic.main["${each.value}-dead-letter"].id
  ack_deadline_seconds       = 60
  message_retention_duration = "${var.message_retention_s}s"
  retain_acked_messages      = false

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

  push_config {
    push_endpoint = module.function[each.value.deployment].uri

    oidc_token {
      service_account_email = google_service_account.push.email
      audience              = module.function[each.value.deployment].uri
    }
  }

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.main["${each.value.topic}-dead-letter"].id
    max_delivery_attempts = local.push_max_delivery_attempts
  }

  depends_on = [google_service_account_iam_member.push_token_creator]
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
  member  = google_service_account.function[each.value.deployment].member
}

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
