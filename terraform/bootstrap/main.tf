# What must exist before the pipeline can plan and apply the root module, created once by a
# project owner: the APIs the bootstrap itself uses, the Terraform state bucket, the repository of
# the pipeline's builder images, Data Access audit logs, and (identities.tf) every service account
# with exactly the roles it needs, and (triggers.tf) the Cloud Build triggers.
locals {
  data_region       = coalesce(var.data_region, var.region)
  state_bucket_name = coalesce(var.state_bucket_name, "${var.project_id}-tfstate")

  # The Pub/Sub service agent (created when the Pub/Sub API is enabled).
  pubsub_service_agent = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # The Secret Manager service agent exists only once created:
  # gcloud beta services identity create --service=secretmanager.googleapis.com (README.md).
  secretmanager_service_agent = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-secretmanager.iam.gserviceaccount.com"

  # The Firestore service agent, likewise (only needed with a key):
  # gcloud beta services identity create --service=firestore.googleapis.com (README.md).
  firestore_service_agent = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-firestore.iam.gserviceaccount.com"

  # Every API the root module uses: enabled here, minutes before its first apply, so that the
  # service agents they create (Cloud Functions, Cloud Run, Cloud Scheduler ...) exist and have
  # their roles by then. The root enables them too (a no-op once done).
  apis = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ])

  # Data Access audit logs (off by default): every read and write of an object (the state, the
  # function sources) and every access to a secret value is logged.
  audited_services = toset(["secretmanager.googleapis.com", "storage.googleapis.com"])
}

resource "google_project_service" "resource_manager" {
  project            = var.project_id
  service            = "cloudresourcemanager.googleapis.com"
  disable_on_destroy = false
}

resource "google_project_service" "main" {
  for_each = local.apis

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false

  depends_on = [google_project_service.resource_manager]
}

data "google_project" "main" {
  project_id = var.project_id

  depends_on = [google_project_service.resource_manager]
}

resource "google_project_iam_audit_config" "data_access" {
  for_each = local.audited_services

  project = var.project_id
  service = each.value

  audit_log_config {
    log_type = "DATA_READ"
  }

  audit_log_config {
    log_type = "DATA_WRITE"
  }
}

# The root module's Terraform state. Versioned, so a bad apply can be rolled back.
resource "google_storage_bucket" "state" {
  #checkov:skip=CKV_GCP_62:Every read and write of the state is in the Data Access audit logs this module enables for storage.googleapis.com (google_project_iam_audit_config.data_access), so an access-log bucket would duplicate them.
  project                     = var.project_id
  name                        = local.state_bucket_name
  location                    = local.data_region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]

    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 20
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [
    google_project_service.main,
    google_kms_crypto_key_iam_member.service_agent,
  ]
}

# The pipeline's builder images, copied from their public registry: the Google Cloud CLI images
# are deleted upstream a year after their release, so the pipeline pulls its pinned version from
# here (README.md: how to copy a new version when bumping it).
resource "google_artifact_registry_repository" "ci_images" {
  #checkov:skip=CKV_GCP_84:Holds public builder images (the Google Cloud CLI), no data of the connector.
  project       = var.project_id
  location      = var.region
  repository_id = "ci-images"
  description   = "Builder images of the ROIT connector's Cloud Build pipeline, kept as long as they are used."
  format        = "DOCKER"
  labels        = var.labels

  depends_on = [google_project_service.main]
}

# With a key: the service agents that encrypt the root module's data with it (Pub/Sub topics,
# Secret Manager replicas, the source and state buckets, the Firestore store) may use it. The deploying identity gets
# no rights on the key.
data "google_storage_project_service_account" "main" {
  count = var.kms_key_name == null ? 0 : 1

  project = var.project_id

  depends_on = [google_project_service.main]
}

resource "google_kms_crypto_key_iam_member" "service_agent" {
  for_each = var.kms_key_name == null ? {} : {
    pubsub        = local.pubsub_service_agent
    storage       = data.google_storage_project_service_account.main[0].member
    secretmanager = local.secretmanager_service_agent
    firestore     = local.firestore_service_agent
  }

  crypto_key_id = var.kms_key_name
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = each.value

  depends_on = [google_project_service.main]
}
