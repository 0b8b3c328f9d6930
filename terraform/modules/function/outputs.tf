output "name" {
  description = "The deployment's name."
  value       = google_cloudfunctions2_function.main.name
}

output "id" {
  description = "The function's full resource id."
  value       = google_cloudfunctions2_function.main.id
}

output "uri" {
  description = "The HTTPS endpoint of the function (audience of its OIDC tokens), once its invokers are granted: whatever calls it (Scheduler, push subscriptions) is created after that, so its first calls are not refused."
  value       = google_cloudfunctions2_function.main.service_config[0].uri
  depends_on  = [google_cloud_run_v2_service_iam_member.invoker]
}

output "service_name" {
  description = "The Cloud Run service behind the function (where invoker IAM lives)."
  value       = google_cloudfunctions2_function.main.service_config[0].service
}

output "source_object" {
  description = "The uploaded source archive's object name (content-hash named)."
  value       = google_storage_bucket_object.source.name
}

output "source_sha256" {
  description = "The SHA-256 of the deployed source archive."
  value       = local.source_sha256
}

output "timeout_s" {
  description = "The request timeout, in seconds (push subscriptions use it as their ack deadline, the Scheduler as its attempt deadline)."
  value       = var.timeout_s
}

output "max_concurrency" {
  description = "The concurrent requests one instance serves (and the framework's THREADS)."
  value       = var.max_concurrency
}
