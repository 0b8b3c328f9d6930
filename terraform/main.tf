# The project number (for the Pub/Sub service agent's address) comes from data.google_project,
# which reads the project through the Cloud Resource Manager API: on a fresh project that API is
# off until Terraform enables it, so the read waits for it. It is enabled by a resource of its
# own, not one of google_project_service.main, because a data source with depends_on is read
# during apply whenever anything it depends on changes: depending on all of
# google_project_service.main would leave the number unknown (and force the service agent's
# grants to be replaced) whenever an API is added to local.apis. This way the number is unknown
# only in the first plan (and the read happens in apply, once the API is on); every later plan
# reads it at plan time.
resource "google_project_service" "resource_manager" {
  project            = var.project_id
  service            = "cloudresourcemanager.googleapis.com"
  disable_on_destroy = false
}

# It used to be one of google_project_service.main: keep the state's object.
moved {
  from = google_project_service.main["cloudresourcemanager.googleapis.com"]
  to   = google_project_service.resource_manager
}

data "google_project" "main" {
  project_id = var.project_id

  depends_on = [google_project_service.resource_manager]
}

locals {
  archives_dir = coalesce(var.source_archives_dir, "${path.root}/../build/functions")

  # Where data rests: Pub/Sub message storage, Secret Manager replicas, the source bucket.
  data_region = coalesce(var.data_region, var.region)

  # The Pub/Sub service agent: it mints push OIDC tokens and moves messages to dead-letter topics.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  team_member = "group:${var.team_group}"

  # The seconds of a function's timeout its code keeps back from its work (DEADLINE_RESERVE_S in
  # shared/core/settings.py): an invocation must finish its last ROIT call (ROIT_RETRY_BUDGET_S) this
  # long before the timeout. tests/terraform fails if the two numbers differ.
  deadline_reserve_s = 5

  # Besides cloudresourcemanager.googleapis.com (google_project_service.resource_manager).
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
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "main" {
  for_each = local.apis

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# Source archives of the functions, one object per content hash (see modules/function), kept in
# the data region and, with kms_key_name, encrypted with that key (terraform/bootstrap grants the
# Cloud Storage service agent its use).
resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs written by Terraform; every read and write is in the Data Access audit logs that terraform/bootstrap enables for storage.googleapis.com, so an access-log bucket would duplicate them.
  project                     = var.project_id
  name                        = "${var.project_id}-roit-function-sources"
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
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.main]
}

# The functions' images: a repository of our own (instead of the gcf-artifacts one Cloud Functions
# would create) so that old images are cleaned up. Every function's newest images are kept.
resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Holds the functions' built images (the code, no fiscal data); the data at rest (topics, secrets, sources) is what kms_key_name encrypts, and the images live in the functions' region, which may differ from the key's.
  project                = var.project_id
  location               = var.region
  repository_id          = "roit-functions"
  description            = "Images Cloud Build builds for the ROIT connector's functions."
  format                 = "DOCKER"
  cleanup_policy_dry_run = false
  labels                 = var.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"

    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"

    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.main]
}
