# Cloud Build triggers on the connector's GitHub repository (the Cloud Build GitHub App must be
# installed on it). Branches and pull requests are planned as roit-tf-plan with cloudbuild.yaml
# (checks, tests, terraform validate and plan); a push to the main branch is planned the same way
# (the plan the approver reads) and applied as roit-tf-apply with cloudbuild-apply.yaml once an
# approver approves the build.
locals {
  main_branch_regex = "^${var.main_branch}$"

  substitutions = {
    _ENV             = var.environment
    _MAIN_BRANCH     = var.main_branch
    _TF_STATE_BUCKET = google_storage_bucket.state.name
    _CI_IMAGES       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.ci_images.repository_id}"
  }

  plan_triggers = {
    "roit-tf-plan-pull-request" = {
      description  = "Plans a pull request to ${var.main_branch} (read-only)."
      pull_request = true
      invert_regex = false
    }
    "roit-tf-plan-branch" = {
      description  = "Plans a push to any branch but ${var.main_branch} (read-only)."
      pull_request = false
      invert_regex = true
    }
    "roit-tf-plan-main" = {
      description  = "Plans a push to ${var.main_branch} (read-only): the plan the apply's approver reads."
      pull_request = false
      invert_regex = false
    }
  }
}

resource "google_cloudbuild_trigger" "plan" {
  for_each = local.plan_triggers

  project         = var.project_id
  location        = "global"
  name            = each.key
  description     = each.value.description
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.plan.id
  substitutions   = local.substitutions

  github {
    owner = var.github_owner
    name  = var.github_repository

    dynamic "pull_request" {
      for_each = each.value.pull_request ? [local.main_branch_regex] : []

      content {
        branch          = pull_request.value
        comment_control = "COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY"
      }
    }

    dynamic "push" {
      for_each = each.value.pull_request ? [] : [local.main_branch_regex]

      content {
        branch       = push.value
        invert_regex = each.value.invert_regex
      }
    }
  }

  depends_on = [google_project_iam_member.plan]
}

resource "google_cloudbuild_trigger" "apply" {
  project         = var.project_id
  location        = "global"
  name            = "roit-tf-apply"
  description     = "Applies a push to ${var.main_branch}, once an approver approves the build."
  filename        = "cloudbuild-apply.yaml"
  service_account = google_service_account.apply.id
  substitutions   = local.substitutions

  github {
    owner = var.github_owner
    name  = var.github_repository

    push {
      branch = local.main_branch_regex
    }
  }

  approval_config {
    approval_required = true
  }

  depends_on = [
    google_project_iam_member.apply,
    google_service_account_iam_member.apply_acts_as,
  ]
}
