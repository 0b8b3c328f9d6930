# Bootstrap of the development project (run once by a project owner, see ../README.md).
project_id        = "roit-connector-dev"
environment       = "dev"
region            = "southamerica-east1"
data_region       = "southamerica-east1"
github_owner      = "example-org"
github_repository = "roit-erp-connector"
approver_members  = ["group:roit-platform-approvers@example.com"]

labels = {
  app = "roit-erp-connector"
  env = "dev"
}
