# Production: ROIT production API, a warm instance for the partner webhook. No secret values here.
project_id          = "roit-connector-prod"
environment         = "prod"
region              = "southamerica-east1"
data_region         = "southamerica-east1"
roit_base_url       = "https://app.roit.ai"
roit_integration_id = "00000000-0000-0000-0000-000000000000"
team_group          = "roit-integration@example.com"
log_level           = "INFO"
poll_targets        = "DOCUMENT:NFE,DOCUMENT:NFSE,DOCUMENT:CTE"

# A run every 5 minutes; poll-pending's timeout (240 s) is shorter.
poll_interval_minutes = 5

# Brazilian fiscal data at rest in southamerica-east1, encrypted with the company's key (in the
# data region; terraform/bootstrap grants the service agents its use).
kms_key_name = "projects/roit-connector-prod/locations/southamerica-east1/keyRings/roit-connector/cryptoKeys/data"

# The ERP's identities: the ERP on its own project pulls pending documents; its integration
# group publishes results and master data. Nothing else is granted to them.
erp_subscriber_members = ["serviceAccount:erp-connector@erp-project-prod.iam.gserviceaccount.com"]
erp_publisher_members = [
  "serviceAccount:erp-connector@erp-project-prod.iam.gserviceaccount.com",
  "group:erp-integration@example.com",
]

# Every alert goes to the on-call e-mail and to an existing paging channel.
alert_email_addresses = ["roit-oncall@example.com"]
notification_channels = ["projects/roit-connector-prod/notificationChannels/1234567890"]

function_settings = {
  "reprocess-webhook" = {
    min_instances = 1
  }
  "update-status" = {
    max_instances = 20
  }
  "register-delivery" = {
    max_instances = 20
  }
}

labels = {
  app = "roit-erp-connector"
  env = "prod"
}
