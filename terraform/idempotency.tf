# The shared idempotency store (shared/idempotency/): one Firestore database in the data region,
# one collection whose records Firestore deletes some time after their expires_at (TTL policy).
# Only the deployments that use it get ROIT_IDEMPOTENCY_* (here) and roles/datastore.user on
# this database alone (terraform/bootstrap/identities.tf: project-level grants are the
# bootstrap's); the others get nothing.
locals {
  idempotency_database   = "roit-idempotency"
  idempotency_collection = "roit-idempotency"

  # The deployments whose effects must happen once across instances (the tests compare this set
  # with the bootstrap's and with the functions that import the store).
  idempotency_deployments = toset(["poll-pending", "update-status", "register-delivery", "reprocess-webhook"])

  idempotency_environment = {
    ROIT_IDEMPOTENCY_STORE      = "firestore"
    ROIT_IDEMPOTENCY_DATABASE   = google_firestore_database.main.name
    ROIT_IDEMPOTENCY_COLLECTION = local.idempotency_collection
  }
}

resource "google_firestore_database" "main" {
  project                           = var.project_id
  name                              = local.idempotency_database
  location_id                       = local.data_region
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "OPTIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_DISABLED" # records live minutes to a day
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "DELETE"

  # With kms_key_name, the records are encrypted with that key (terraform/bootstrap grants the
  # Firestore service agent its use). Firestore takes the key only when the database is created.
  dynamic "cmek_config" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = cmek_config.value
    }
  }

  depends_on = [google_project_service.main]
}

# Records expire: Firestore deletes each one (within about a day) after its expires_at. The code
# never reads an expired record as live, so the TTL only bounds storage.
resource "google_firestore_field" "expires_at" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = local.idempotency_collection
  field      = "expires_at"

  ttl_config {}

  # Records are read by id only: no single-field index is needed on the expiry.
  index_config {}
}

# What the store prevented, counted (the code logs one event each): a redelivered message
# acknowledged without calling ROIT (push_duplicate), an older status not applied after a newer
# one (status_out_of_order), a webhook replay refused or answered from the store (webhook_replay).
resource "google_logging_metric" "idempotency_events" {
  project     = var.project_id
  name        = "roit_idempotency_events"
  description = "Effects the idempotency store kept from happening twice or out of order, by event."
  filter      = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${local.function_services_logging}) AND jsonPayload.event=(\"push_duplicate\" OR \"status_out_of_order\" OR \"webhook_replay\")"

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "ROIT effects kept once"

    labels {
      key         = "event"
      value_type  = "STRING"
      description = "push_duplicate, status_out_of_order or webhook_replay."
    }
  }

  label_extractors = {
    event = "EXTRACT(jsonPayload.event)"
  }

  depends_on = [google_project_service.main]
}
