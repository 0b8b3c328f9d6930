# The identities the deployments run as, build with and sign OIDC tokens with are created by
# terraform/bootstrap, which also grants the deploying identity iam.serviceAccountUser on each of
# them (and nothing more on service accounts): this configuration only looks them up, so the
# deployer never creates or administers a service account. Both name them the same way (the
# tests compare the two): fn-<deployment> for each deployment's runtime identity, and the three
# below.
locals {
  function_account_ids = { for name in keys(local.deployment_settings) : name => "fn-${name}" }

  runtime_account_ids = {
    build     = "roit-function-build" # Cloud Build builds the functions as it (roles/run.builder).
    scheduler = "roit-scheduler"      # The Scheduler job's OIDC identity (invokes poll-pending).
    push      = "roit-pubsub-push"    # The push subscriptions' OIDC identity.
  }
}

# One runtime identity per deployment, with only the grants made in this configuration.
data "google_service_account" "function" {
  for_each = local.function_account_ids

  project    = var.project_id
  account_id = each.value
}

data "google_service_account" "runtime" {
  for_each = local.runtime_account_ids

  project    = var.project_id
  account_id = each.value
}
