locals {
  # Every N minutes from the top of the hour (N divides 60, so the runs are evenly spaced).
  poll_schedule = var.poll_interval_minutes == 60 ? "0 * * * *" : "*/${var.poll_interval_minutes} * * * *"
}

resource "google_cloud_scheduler_job" "poll_pending" {
  project          = var.project_id
  region           = var.region
  name             = "roit-poll-pending"
  description      = "Invokes poll-pending, which drains ROIT's pending queue into roit-pending."
  schedule         = local.poll_schedule
  time_zone        = var.poll_time_zone
  attempt_deadline = "${min(1800, module.function["poll-pending"].timeout_s)}s"

  # A missed run is picked up by the next one: no retries that could overlap it.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = module.function["poll-pending"].uri
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = data.google_service_account.runtime["scheduler"].email
      audience              = module.function["poll-pending"].uri
    }
  }

  lifecycle {
    # poll-pending serves one request on one instance: a run still going when the next one
    # starts would make the next one fail (refused, and alerted on). A run is over by its timeout.
    precondition {
      condition     = var.poll_interval_minutes * 60 > module.function["poll-pending"].timeout_s
      error_message = "The poll interval (${var.poll_interval_minutes * 60} s) must exceed poll-pending's timeout (${module.function["poll-pending"].timeout_s} s), so a run is over before the next one starts."
    }
  }

  depends_on = [google_project_service.main]
}
