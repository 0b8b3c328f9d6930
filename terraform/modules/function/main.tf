locals {
  source_sha256 = filesha256(var.source_archive_path)

  # Set here, from the sizing, so they always agree with it: the code derives each invocation's
  # deadline from the timeout (shared/core/settings.py), and functions-framework serves as many
  # requests at once as it has gunicorn threads.
  # The code derives its memory caps from the instance's memory and concurrency (shared/core/budget.py).
  sizing_environment = {
    ROIT_FUNCTION_TIMEOUT_S   = tostring(var.timeout_s)
    THREADS                   = tostring(var.max_concurrency)
    ROIT_INSTANCE_MEMORY_MIB  = tostring(var.memory_mb)
    ROIT_INSTANCE_CONCURRENCY = tostring(var.max_concurrency)
  }
}

# Named by the archive's content hash: a code change is a new object, and so a new build.
resource "google_storage_bucket_object" "source" {
  name   = "functions/${var.name}/${local.source_sha256}.zip"
  bucket = var.source_bucket
  source = var.source_archive_path

  metadata = {
    function = var.name
    sha256   = local.source_sha256
  }
}

resource "google_cloudfunctions2_function" "main" {
  #checkov:skip=CKV_GCP_124:Ingress is an input chosen per deployment; the ALLOW_ALL ones are called from outside Google (team curl, partner webhook) and are guarded by IAM invoker or, for reprocess-webhook alone, the webhook signature.
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description
  labels      = var.labels

  build_config {
    runtime           = var.runtime
    entry_point       = var.entry_point
    service_account   = var.build_service_account
    docker_repository = var.docker_repository

    source {
      storage_source {
        bucket = var.source_bucket
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = "${var.memory_mb}Mi"
    available_cpu                    = var.cpu
    timeout_seconds                  = var.timeout_s
    min_instance_count               = var.min_instances
    max_instance_count               = var.max_instances
    max_instance_request_concurrency = var.max_concurrency
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    service_account_email            = var.service_account_email
    environment_variables            = merge(var.environment_variables, local.sizing_environment)

    dynamic "secret_volumes" {
      for_each = var.secret_volumes

      content {
        project_id = var.project_id
        secret     = secret_volumes.value.secret
        mount_path = secret_volumes.value.mount_path

        versions {
          version = "latest"
          path    = secret_volumes.value.file
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.max_concurrency == 1 || tonumber(var.cpu) >= 1
      error_message = "${var.name}: more than one concurrent request per instance needs at least 1 vCPU (cpu = \"1\")."
    }
    precondition {
      condition     = var.timeout_s >= var.minimum_timeout_s
      error_message = "${var.name}: timeout_s (${var.timeout_s}) is shorter than the ${var.minimum_timeout_s} s its retry and time budgets need."
    }
    precondition {
      condition     = var.min_instances <= var.max_instances
      error_message = "${var.name}: min_instances is larger than max_instances."
    }
  }
}

# A gen2 function is invoked through its Cloud Run service: the invoker role lives there.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.invoker_members

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.main.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}
