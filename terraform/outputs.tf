output "function_uris" {
  description = "The HTTPS endpoint of each deployment."
  value       = { for name, function in module.function : name => function.uri }
}

output "function_source_sha256" {
  description = "The SHA-256 of the source archive each deployment runs."
  value       = { for name, function in module.function : name => function.source_sha256 }
}

output "function_service_accounts" {
  description = "The runtime service account of each deployment (created by terraform/bootstrap)."
  value       = { for name, account in data.google_service_account.function : name => account.email }
}

output "topics" {
  description = "The topic ids (projects/P/topics/T), keyed by name."
  value       = { for name, topic in google_pubsub_topic.main : name => topic.id }
}

output "erp_subscription" {
  description = "The ERP's pull subscription of pending entities."
  value       = google_pubsub_subscription.erp.id
}

output "dead_letter_subscriptions" {
  description = "The subscription on each dead-letter topic, keyed by source topic."
  value       = { for topic, subscription in google_pubsub_subscription.dead_letter : topic => subscription.id }
}

output "push_retry_window_s" {
  description = "About how long, in seconds, a push subscription keeps retrying a message before dead-lettering it (backoff doubling from 10 s to 600 s over 100 delivery attempts)."
  value       = local.push_retry_window_s
}

output "secrets" {
  description = "The Secret Manager secrets whose values are added out of band (gcloud secrets versions add)."
  value       = { for key, secret in google_secret_manager_secret.main : key => secret.id }
}

output "scheduler_job" {
  description = "The Cloud Scheduler job that invokes poll-pending."
  value       = google_cloud_scheduler_job.poll_pending.id
}

output "notification_channels" {
  description = "The Monitoring notification channels every alert policy notifies."
  value       = local.notification_channels
}

output "function_image_repository" {
  description = "The Artifact Registry repository of the functions' images."
  value       = google_artifact_registry_repository.functions.id
}
