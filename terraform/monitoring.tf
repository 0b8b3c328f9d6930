# Alerts that reach someone. Every policy notifies local.notification_channels: an e-mail channel
# per var.alert_email_addresses plus var.notification_channels (variables.tf requires one at least).
#
# What is watched:
# - documents the ERP is not taking (roit-pending-erp's oldest message grows old: they would
#   expire unseen);
# - anything in a dead-letter subscription (a human must look, fix and republish);
# - poll runs that fail, stop happening, overlap, or report a page possibly lost (the code's
#   structured log events: poll_run, poll_overlap, page_may_be_lost), and Scheduler attempts that
#   fail (a run that never answered, or was refused because one was still running);
# - a function that cannot start (config_error names the setting to fix);
# - the idempotency store failing (a store failure, or an outcome that could not be recorded);
# - functions answering 500 (a bug) or 504 (out of time), and functions whose answers are mostly
#   5xx for half an hour. A single 502 / 503 is not an alert: push functions answer 503 by design
#   so Pub/Sub redelivers (a ROIT blip), and 502 means ROIT failed one call.
locals {
  notification_channels = concat(
    var.notification_channels,
    [for channel in google_monitoring_notification_channel.email : channel.id],
  )

  # Cloud Functions (2nd gen) log, and count requests, as the Cloud Run service of the same name.
  function_services = join(", ", [for name in keys(local.deployment_settings) : "\"${name}\""])
  # The same list in the Logging query language (which has no one_of).
  function_services_logging = join(" OR ", [for name in keys(local.deployment_settings) : "\"${name}\""])
  # The error-ratio condition leaves poll-pending out: its runs have alerts of their own.
  request_services = join(", ", [for name in keys(local.deployment_settings) : "\"${name}\"" if name != "poll-pending"])
  poll_log_filter  = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"poll-pending\""
  poll_runs_metric = "logging.googleapis.com/user/${google_logging_metric.poll_runs.name}"

  # A 5xx ratio above this, sustained this long, means trouble rather than a blip.
  error_ratio_threshold  = 0.5
  error_ratio_duration_s = 1800

  # Alerts fired by one log entry each: the event, where it is logged, and what to do.
  log_alerts = {
    page_may_be_lost = {
      display_name = "ROIT connector: a pending page may be lost"
      severity     = "ERROR"
      filter       = "${local.poll_log_filter} AND jsonPayload.event=\"page_may_be_lost\""
      content      = "poll_pending asked ROIT for a page of pending entities and did not get the answer (timeout, dropped connection, or a 500 / 502 / 504). ROIT has probably marked those entities PROCESSING, and the connector never asks again for a page ROIT may have answered. Read the log entry (entity, type, correlationId), then ask ROIT which requests went PROCESSING at that time and reprocess them (the reprocess function), so the next poll returns them."
    }
    poll_overlap = {
      display_name = "ROIT connector: a poll run was refused because one was running"
      severity     = "WARNING"
      filter       = "${local.poll_log_filter} AND jsonPayload.event=\"poll_overlap\""
      content      = "A poll run reached poll-pending while another one was still working and was refused (409 poll_in_progress). Nothing is lost (the next run picks up the work), but runs should not overlap: check that nobody is calling poll-pending by hand in a loop, and that poll_interval_minutes still exceeds poll-pending's timeout."
    }
    config_error = {
      display_name = "ROIT connector: a function cannot start (configuration)"
      severity     = "CRITICAL"
      filter       = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${local.function_services_logging}) AND jsonPayload.event=\"config_error\""
      content      = "A function refused to start because a ROIT_* setting is missing or invalid; the log entry's `setting` names the variable (never its value). Every request to that function fails until it is fixed: correct the Terraform variable or the secret and redeploy."
    }
    idempotency_store_failed = {
      display_name = "ROIT connector: the idempotency store (Firestore) failed"
      severity     = "ERROR"
      filter       = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${local.function_services_logging}) AND (jsonPayload.failure=\"store\" OR jsonPayload.event=\"idempotency_record_lost\")"
      content      = "A function could not read or write the idempotency store (Firestore database roit-idempotency) in time. Nothing was done twice: push messages were answered 503 (Pub/Sub retries), webhooks 503 (the partner retries) and poll runs did not start; an outcome that could not be recorded (idempotency_record_lost) is forgotten when that invocation's claim lapses, so one redelivery of it may be applied again. Check Firestore's status and quota, and the functions' roles/datastore.user grant (terraform/bootstrap)."
    }
    poll_schedule_failed = {
      display_name = "ROIT connector: a scheduled poll run failed"
      severity     = "WARNING"
      filter       = "resource.type=\"cloud_scheduler_job\" AND resource.labels.job_id=\"${google_cloud_scheduler_job.poll_pending.name}\" AND severity>=ERROR"
      content      = "Cloud Scheduler could not complete a run of poll-pending: the function answered an error, timed out, or refused the run because one was still going (429 / 409). Read the poll_run entry of poll-pending at that time (its outcome says why); the next run picks up the work."
    }
  }
}

resource "google_monitoring_notification_channel" "email" {
  for_each = toset(var.alert_email_addresses)

  project      = var.project_id
  display_name = "ROIT connector alerts: ${each.value}"
  type         = "email"
  user_labels  = var.labels

  labels = {
    email_address = each.value
  }

  depends_on = [google_project_service.main]
}

# One point per poll run, labelled with its outcome (ok, roit_failed, publish_failed,
# config_error, secret_store_failed, deadline): the code logs exactly one poll_run event per run.
resource "google_logging_metric" "poll_runs" {
  project     = var.project_id
  name        = "roit_poll_runs"
  description = "Poll runs of poll-pending by outcome (the poll_run log event)."
  filter      = "${local.poll_log_filter} AND jsonPayload.event=\"poll_run\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ROIT poll runs"

    labels {
      key         = "outcome"
      value_type  = "STRING"
      description = "How the run ended: ok, roit_failed, publish_failed, config_error, secret_store_failed or deadline."
    }
  }

  label_extractors = {
    outcome = "EXTRACT(jsonPayload.outcome)"
  }

  depends_on = [google_project_service.main]
}

resource "google_monitoring_alert_policy" "erp_backlog" {
  project               = var.project_id
  display_name          = "ROIT connector: the ERP is not taking pending documents"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "The oldest message waiting in `${google_pubsub_subscription.erp.name}` is older than ${var.erp_backlog_alert_age_s} s: the ERP has stopped pulling (or acknowledging) pending documents. They expire after ${var.message_retention_s} s and ROIT holds them as PROCESSING meanwhile. Check the ERP's subscriber and its identity's roles/pubsub.subscriber on the subscription."
  }

  conditions {
    display_name = "${google_pubsub_subscription.erp.name} oldest unacknowledged message age"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.erp.name}\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.erp_backlog_alert_age_s
      duration        = "300s"

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

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  for_each = google_pubsub_subscription.dead_letter

  project               = var.project_id
  display_name          = "ROIT connector: messages in ${each.value.name}"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "Messages reached `${each.value.topic}`: a function gave up on them (attributes `error` and `reason` say why) or Pub/Sub could not deliver them. Inspect them with `roitctl dead-letters list ${each.value.name}`, fix the cause, then `roitctl dead-letters replay ${each.value.name}` (docs/operations.md, dead letters). They are kept ${local.dead_letter_retention_s} s (31 days)."
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

# A new log-based metric reaches Cloud Monitoring a few minutes after it is created: an alert
# policy on it created at once fails with 404 "Cannot find metric(s)"
# (hashicorp/terraform-provider-google#11102). Waited for once, when the metric is (re)created.
resource "terraform_data" "poll_runs_metric_settled" {
  triggers_replace = google_logging_metric.poll_runs.id

  provisioner "local-exec" {
    command = "sleep 180"
  }
}

resource "google_monitoring_alert_policy" "poll_failing" {
  project               = var.project_id
  display_name          = "ROIT connector: poll runs failing or not running"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "poll-pending is not bringing ROIT's pending documents in: either more than one poll run in 30 minutes ended other than `ok` (the poll_run log entry's `outcome`: roit_failed, publish_failed, config_error, secret_store_failed or deadline, with totals), or no poll run was logged for three schedule intervals (the Scheduler job `${google_cloud_scheduler_job.poll_pending.name}` is paused, failing, or the function cannot start)."
  }

  conditions {
    display_name = "poll runs not ending ok"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"${local.poll_runs_metric}\" AND NOT metric.labels.outcome = \"ok\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "0s"

      aggregations {
        alignment_period     = "1800s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "no poll run"

    condition_absent {
      filter   = "resource.type = \"cloud_run_revision\" AND metric.type = \"${local.poll_runs_metric}\""
      duration = "${3 * var.poll_interval_minutes * 60}s"

      aggregations {
        alignment_period     = "${var.poll_interval_minutes * 60}s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [google_project_service.main, terraform_data.poll_runs_metric_settled]
}

resource "google_monitoring_alert_policy" "log_event" {
  for_each = local.log_alerts

  project               = var.project_id
  display_name          = each.value.display_name
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = local.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = each.value.content
  }

  conditions {
    display_name = each.value.display_name

    condition_matched_log {
      filter = each.value.filter
    }
  }

  alert_strategy {
    auto_close = "86400s"

    notification_rate_limit {
      period = "300s"
    }
  }

  depends_on = [google_project_service.main]
}

resource "google_monitoring_alert_policy" "function_errors" {
  project               = var.project_id
  display_name          = "ROIT connector: function failures"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.notification_channels

  documentation {
    mime_type = "text/markdown"
    content   = "A connector function answered 500 (an unexpected error: a bug) or 504 (it ran out of time), or most of a function's answers were 5xx for ${local.error_ratio_duration_s / 60} minutes (ROIT or Pub/Sub failing for that long; push messages keep being retried for about ${floor(local.push_retry_window_s / 3600)} h before they are dead-lettered). Single 502 / 503 answers are expected: push functions answer 503 so that Pub/Sub redelivers. Read the function's logs in Cloud Logging (severity >= WARNING)."
  }

  conditions {
    display_name = "500 or 504 answers"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND resource.labels.service_name = one_of(${local.function_services}) AND metric.labels.response_code = one_of(\"500\", \"504\")"
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

  conditions {
    display_name = "mostly 5xx answers for ${local.error_ratio_duration_s / 60} minutes"

    condition_threshold {
      filter             = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND resource.labels.service_name = one_of(${local.request_services}) AND metric.labels.response_code_class = \"5xx\""
      denominator_filter = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND resource.labels.service_name = one_of(${local.request_services})"
      comparison         = "COMPARISON_GT"
      threshold_value    = local.error_ratio_threshold
      duration           = "${local.error_ratio_duration_s}s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.labels.service_name"]
      }

      denominator_aggregations {
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
