# Every identity of the connector and its pipeline, with exactly the roles it needs.
#
# Pipeline (Cloud Build runs each build as one of them):
# - roit-tf-plan: plans branches and pull requests (and main, for the approver to read). It reads
#   the project and the state but changes nothing (plans run with -lock=false).
# - roit-tf-apply: applies main after an approval. It manages the root module's resources and
#   acts as (iam.serviceAccountUser on) each runtime identity below, and on nothing else; it
#   cannot create service accounts or grant roles on the project.
#
# Runtime (looked up by the root module, never created by it):
# - fn-<deployment>: what each function runs as (its grants are in the root module);
# - roit-function-build: what Cloud Build builds the functions as (roles/run.builder);
# - roit-scheduler: signs the Scheduler job's OIDC tokens (invoker on poll-pending);
# - roit-pubsub-push: signs the push subscriptions' OIDC tokens (invoker on the push functions).
locals {
  function_account_ids = { for name in var.deployments : name => "fn-${name}" }

  runtime_account_ids = {
    build     = "roit-function-build"
    scheduler = "roit-scheduler"
    push      = "roit-pubsub-push"
  }

  runtime_accounts = merge(
    { for name, account in google_service_account.function : "fn-${name}" => account },
    { for key, account in google_service_account.runtime : local.runtime_account_ids[key] => account },
  )

  # Read-only, one viewer role per kind of resource the plan refreshes (no basic roles), and
  # never a secret's value.
  plan_project_roles = toset([
    "roles/artifactregistry.reader",         # the functions' image repository
    "roles/browser",                         # data.google_project (the project number)
    "roles/cloudfunctions.viewer",           # the functions
    "roles/cloudscheduler.viewer",           # the poll job
    "roles/datastore.viewer",                # the idempotency store's database and TTL field
    "roles/iam.securityReviewer",            # the IAM policies of every resource
    "roles/iam.serviceAccountViewer",        # the runtime identities the root module looks up
    "roles/logging.logWriter",               # the build's own logs
    "roles/logging.viewer",                  # log-based metrics
    "roles/monitoring.viewer",               # alert policies and notification channels
    "roles/pubsub.viewer",                   # topics and subscriptions
    "roles/run.viewer",                      # the functions' Cloud Run services
    "roles/secretmanager.viewer",            # secret containers (metadata only, never values)
    "roles/serviceusage.serviceUsageViewer", # the APIs
    "roles/storage.bucketViewer",            # the source bucket's configuration
    "roles/storage.objectViewer",            # the uploaded function sources
  ])

  # What applying the root module needs, one role per kind of resource it manages.
  apply_project_roles = toset([
    "roles/artifactregistry.admin",               # the functions' image repository
    "roles/browser",                              # data.google_project (the project number)
    "roles/cloudfunctions.developer",             # the functions
    "roles/cloudscheduler.admin",                 # the poll job
    "roles/datastore.owner",                      # the idempotency store's database and TTL field
    "roles/logging.configWriter",                 # log-based metrics
    "roles/logging.logWriter",                    # the build's own logs
    "roles/monitoring.alertPolicyEditor",         # alert policies
    "roles/monitoring.notificationChannelEditor", # alert e-mail channels
    "roles/pubsub.admin",                         # topics, subscriptions and their IAM
    "roles/run.admin",                            # invoker IAM on the functions' services
    "roles/secretmanager.admin",                  # secret containers and their IAM (values go out of band)
    "roles/serviceusage.serviceUsageAdmin",       # the APIs
    "roles/storage.admin",                        # the source bucket and its objects
  ])
}

resource "google_service_account" "plan" {
  project      = var.project_id
  account_id   = "roit-tf-plan"
  display_name = "ROIT connector: Terraform plan"
  description  = "Plans the connector's Terraform for branches and pull requests: reads, never changes."

  depends_on = [google_project_service.main]
}

resource "google_service_account" "apply" {
  project      = var.project_id
  account_id   = "roit-tf-apply"
  display_name = "ROIT connector: Terraform apply"
  description  = "Applies the connector's Terraform on the main branch, after an approval."

  depends_on = [google_project_service.main]
}

resource "google_service_account" "function" {
  for_each = local.function_account_ids

  project      = var.project_id
  account_id   = each.value
  display_name = "ROIT connector: ${each.key}"
  description  = "Runtime identity of the ${each.key} function (its grants are in the root module)."

  depends_on = [google_project_service.main]
}

resource "google_service_account" "runtime" {
  for_each = local.runtime_account_ids

  project      = var.project_id
  account_id   = each.value
  display_name = "ROIT connector: ${each.key}"
  description = {
    build     = "Cloud Build builds the connector's functions as this account."
    scheduler = "OIDC identity of the Scheduler job that invokes poll-pending."
    push      = "OIDC identity of the push subscriptions that invoke update-status and register-delivery."
  }[each.key]

  depends_on = [google_project_service.main]
}

resource "google_project_iam_member" "plan" {
  for_each = local.plan_project_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.plan.member
}

resource "google_project_iam_member" "apply" {
  for_each = local.apply_project_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.apply.member
}

# A deployment runs as, builds as, or signs OIDC tokens as these accounts: the deployer must be
# able to act as each of them (and only them).
resource "google_service_account_iam_member" "apply_acts_as" {
  for_each = local.runtime_accounts

  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.apply.member
}

# Cloud Build builds the functions as roit-function-build: what a gen2 function build needs
# (read the source, write the image, write build logs), as Google documents it.
resource "google_project_iam_member" "function_build" {
  project = var.project_id
  role    = "roles/run.builder"
  member  = google_service_account.runtime["build"].member
}

# Pub/Sub signs the push OIDC tokens as roit-pubsub-push (projects created before April 2021
# need this grant to the service agent; later ones have it through the agent's own role).
resource "google_service_account_iam_member" "push_token_creator" {
  service_account_id = google_service_account.runtime["push"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# The state: plans read it (without taking the lock), applies read and write it.
resource "google_storage_bucket_iam_member" "state_reader" {
  bucket = google_storage_bucket.state.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.plan.member
}

resource "google_storage_bucket_iam_member" "state_writer" {
  bucket = google_storage_bucket.state.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.apply.member
}

# Both pipelines pull their builder images from the project's copy.
resource "google_artifact_registry_repository_iam_member" "ci_images_reader" {
  for_each = {
    plan  = google_service_account.plan.member
    apply = google_service_account.apply.member
  }

  project    = var.project_id
  location   = google_artifact_registry_repository.ci_images.location
  repository = google_artifact_registry_repository.ci_images.name
  role       = "roles/artifactregistry.reader"
  member     = each.value
}

# Who may let an apply build run.
resource "google_project_iam_member" "approver" {
  for_each = toset(var.approver_members)

  project = var.project_id
  role    = "roles/cloudbuild.builds.approver"
  member  = each.value
}

# The deployments that keep effects once across instances read and write the idempotency store
# (the root module's terraform/idempotency.tf): roles/datastore.user, on that database only.
resource "google_project_iam_member" "function_idempotency_store" {
  for_each = toset([for name in var.idempotency_deployments : name if contains(var.deployments, name)])

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.value].member

  condition {
    title       = "idempotency store only"
    description = "The Firestore database ${var.idempotency_database} and nothing else."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${var.idempotency_database}\""
  }
}
