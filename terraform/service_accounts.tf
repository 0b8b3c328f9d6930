# One runtime identity per deployment, plus the two identities that call functions.
resource "google_service_account" "function" {
  for_each = local.deployments

  project      = var.project_id
  account_id   = "fn-${each.key}"
  display_name = "ROIT connector: ${each.key}"
  description  = "Runtime identity of the ${each.key} function (only the roles it needs)."

  depends_on = [google_project_service.main]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "roit-scheduler"
  display_name = "ROIT connector: Cloud Scheduler"
  description  = "OIDC identity of the Scheduler job that invokes poll-pending."

  depends_on = [google_project_service.main]
}

resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "roit-pubsub-push"
  display_name = "ROIT connector: Pub/Sub push"
  description  = "OIDC identity of the push subscriptions that invoke update-status and register-delivery."

  depends_on = [google_project_service.main]
}

# Pub/Sub signs the push OIDC tokens as the push account.
resource "google_service_account_iam_member" "push_token_creator" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}
