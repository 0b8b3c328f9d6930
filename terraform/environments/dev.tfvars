# Development: ROIT homologation, scale to zero. Values that are secrets never go here.
project_id          = "roit-connector-dev"
environment         = "dev"
region              = "southamerica-east1"
roit_base_url       = "https://hom.roit.ai"
roit_integration_id = "00000000-0000-0000-0000-000000000000"
team_group          = "roit-integration-dev@example.com"
log_level           = "DEBUG"
poll_targets        = "DOCUMENT"
poll_schedule       = "*/15 * * * *"

labels = {
  app = "roit-erp-connector"
  env = "dev"
}
