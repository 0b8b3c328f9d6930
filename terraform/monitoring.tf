# Alerts: anything waiting in a dead-letter subscription, and functions answering 5xx.
resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  for_each = google_pubsub_subscription.dead_letter

  project               = var.project_id
  display_name          = "ROIT connector: messages in ${each.value.name}"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "Messages reached `${each.value.topic}`: a function gave up on them (attributes `error` and `reason` say why) or Pub/Sub could not deliver them. Inspect them with `gcloud pubsub subscriptions pull ${each.value.name}`, fix the cause, and republish."
  }

  conditions {
    display_name = "${each.value.name} has undelivered messages"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${each.value.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "60s"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [google_project_service.main]
}

resource "google_monitoring_alert_policy" "function_errors" {
  project               = var.project_id
  display_name          = "ROIT connector: function errors"
  combiner              = "OR"
  notification_channels = var.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "A connector function answered 5xx (a crash, a timeout, or a transient ROIT failure that Pub/Sub will redeliver). Read the function's logs in Cloud Logging (severity >= ERROR)."
  }

  conditions {
    display_name = "5xx responses from a connector function"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\" AND resource.labels.service_name = one_of(${join(", ", [for name in keys(local.deployments) : "\"${name}\""])})"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [google_project_service.main]
}
