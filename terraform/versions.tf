terraform {
  # 1.9+: variable validations may refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50, < 7.0"
    }
  }

  # Partial configuration: `terraform init -backend-config=bucket=... -backend-config=prefix=...`
  # (cloudbuild.yaml passes the state bucket as a substitution).
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = var.labels
}
