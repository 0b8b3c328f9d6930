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

  # The Pub/Sub service agent: it mints push OIDC tokens and moves messages to dead-letter topics.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.main.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  team_member = "group:${var.team_group}"

  # Besides cloudresourcemanager.googleapis.com (google_project_service.resource_manager).
  apis = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
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

# Source archives of the functions, one object per content hash (see modules/function).
resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs written by Terraform; reads and writes are in Cloud Audit Logs, an access-log bucket would add a second bucket to no purpose.
  project                     = var.project_id
  name                        = "${var.project_id}-roit-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
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
