# Production: ROIT production API, a warm instance for the partner webhook. No secret values here.
project_id          = "roit-connector-prod"
environment         = "prod"
region              = "southamerica-east1"
roit_base_url       = "https://app.roit.ai"
roit_integration_id = "00000000-0000-0000-0000-000000000000"
team_group          = "roit-integration@example.com"
log_level           = "INFO"
poll_targets        = "DOCUMENT:NFE,DOCUMENT:NFSE,DOCUMENT:CTE"
poll_schedule       = "*/5 * * * *"

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
