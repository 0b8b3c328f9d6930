resource "google_cloud_scheduler_job" "poll_pending" {
  project          = var.project_id
  region           = var.region
  name             = "roit-poll-pending"
  description      = "Invokes poll-pending, which drains ROIT's pending queue into roit-pending."
  schedule         = var.poll_schedule
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
      service_account_email = google_service_account.scheduler.email
      audience              = module.function["poll-pending"].uri
    }
  }

  depends_on = [google_project_service.main]
}
