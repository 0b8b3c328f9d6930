terraform {
  # 1.9+: variable validations may refer to other variables.
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50, < 7.0"
    }
  }

  # The bootstrap starts with local state (the state bucket is one of its resources); README.md
  # says how to move that state into the bucket afterwards.
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = var.labels
}
