output "plan_service_account" {
  description = "The read-only identity that plans branches, pull requests and main."
  value       = google_service_account.plan.email
}

output "apply_service_account" {
  description = "The identity that applies main after an approval."
  value       = google_service_account.apply.email
}

output "runtime_service_accounts" {
  description = "The identities deployments run as, build with or sign OIDC tokens with, keyed by account id (the root module looks them up)."
  value       = { for id, account in local.runtime_accounts : id => account.email }
}

output "state_bucket" {
  description = "The bucket of the root module's state: terraform init -backend-config=bucket=<this>."
  value       = google_storage_bucket.state.name
}

output "ci_images_repository" {
  description = "Where the pipeline pulls its builder images from (the _CI_IMAGES substitution)."
  value       = local.substitutions._CI_IMAGES
}

output "triggers" {
  description = "The Cloud Build triggers, keyed by name."
  value       = merge({ for name, trigger in google_cloudbuild_trigger.plan : name => trigger.id }, { (google_cloudbuild_trigger.apply.name) = google_cloudbuild_trigger.apply.id })
}
