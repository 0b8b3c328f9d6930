# Development: ROIT homologation, scale to zero. Values that are secrets never go here.
project_id          = "roit-connector-dev"
environment         = "dev"
region              = "southamerica-east1"
data_region         = "southamerica-east1"
roit_base_url       = "https://hom.roit.ai"
roit_integration_id = "00000000-0000-0000-0000-000000000000"
team_group          = "roit-integration-dev@example.com"
log_level           = "DEBUG"
poll_targets        = "DOCUMENT"

# A run every 15 minutes; poll-pending's timeout (240 s) is shorter.
poll_interval_minutes = 15

# The ERP's identities: it pulls roit-pending-erp and publishes to roit-status and
# roit-deliveries, nothing else (without them it gets 403).
erp_subscriber_members = ["serviceAccount:erp-connector@erp-project-dev.iam.gserviceaccount.com"]
erp_publisher_members  = ["serviceAccount:erp-connector@erp-project-dev.iam.gserviceaccount.com"]

# Where every alert goes.
alert_email_addresses = ["roit-integration-dev@example.com"]

labels = {
  app = "roit-erp-connector"
  env = "dev"
}
