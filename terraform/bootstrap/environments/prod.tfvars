# Bootstrap of the production project (run once by a project owner, see ../README.md).
project_id        = "roit-connector-prod"
environment       = "prod"
region            = "southamerica-east1"
data_region       = "southamerica-east1"
github_owner      = "example-org"
github_repository = "roit-erp-connector"
approver_members  = ["group:roit-platform-approvers@example.com"]

# The same key as the root module's kms_key_name.
kms_key_name = "projects/roit-connector-prod/locations/southamerica-east1/keyRings/roit-connector/cryptoKeys/data"

labels = {
  app = "roit-erp-connector"
  env = "prod"
}
