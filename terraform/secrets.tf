# Secret containers only: values never pass through Terraform code or state. Add them out of band:
#   gcloud secrets versions add roit-api-credentials --data-file=credentials.json
#   gcloud secrets versions add roit-webhook-secrets --data-file=webhook-secrets.txt
locals {
  secrets = {
    credentials = "roit-api-credentials"
    webhook     = "roit-webhook-secrets"
  }

  # Which deployments read which secret: the only grants made.
  secret_readers = {
    credentials = ["poll-pending", "update-status", "register-delivery", "reprocess", "reprocess-webhook", "get-attachments"]
    webhook     = ["reprocess-webhook"]
  }

  secret_grants = merge([
    for secret, readers in local.secret_readers : {
      for deployment in readers : "${secret}/${deployment}" => {
        secret     = secret
        deployment = deployment
      }
    }
  ]...)
}

# Replicated in the data region only and, with kms_key_name, encrypted with that key
# (terraform/bootstrap grants the Secret Manager service agent its use).
resource "google_secret_manager_secret" "main" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    user_managed {
      replicas {
        location = local.data_region

        dynamic "customer_managed_encryption" {
          for_each = var.kms_key_name == null ? [] : [var.kms_key_name]

          content {
            kms_key_name = customer_managed_encryption.value
          }
        }
      }
    }
  }

  depends_on = [google_project_service.main]
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.main[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = data.google_service_account.function[each.value.deployment].member
}
