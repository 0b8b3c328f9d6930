"""terraform/bootstrap: the identities and their exact roles, the triggers, the state bucket,
the audit logs and the key grants, read from the offline plan of both example environments and
from the configuration, and agreeing with what the root module expects."""

from __future__ import annotations

import re

import pytest
from tfhelpers import BOOTSTRAP_DIR, TERRAFORM_DIR, Config, Plan, Workspace


pytestmark = pytest.mark.integration

PREFIX = "roit-connector"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("bootstrap-plan"), "bootstrap")


@pytest.fixture(scope="module", params=["dev", "prod"])
def plan(request: pytest.FixtureRequest, workspace: Workspace) -> Plan:
    return workspace.plan_json(f"environments/{request.param}.tfvars")


@pytest.fixture(scope="module")
def prod(workspace: Workspace) -> Plan:
    return workspace.plan_json("environments/prod.tfvars")


def _accounts(plan: Plan) -> dict[str, str]:
    """account_id -> address of every service account the bootstrap creates."""
    return {
        values["account_id"]: address
        for address, values in plan.of_type("google_service_account").items()
    }


def _project_roles(plan: Plan, address_prefix: str) -> set[str]:
    return {
        values["role"]
        for address, values in plan.of_type("google_project_iam_member").items()
        if address.startswith(address_prefix)
    }


def test_it_enables_every_api_the_root_module_uses_before_its_first_apply() -> None:
    """Enabling an API creates its service agents, which get their roles asynchronously: the
    root's first apply must not be the one that enables them."""

    def apis(config: Config) -> set[str]:
        value = config.locals["apis"]
        return set(re.findall(r"[a-z]+\.googleapis\.com", str(value)))

    root = apis(Config(TERRAFORM_DIR))
    assert "cloudfunctions.googleapis.com" in root and "run.googleapis.com" in root
    assert root <= apis(Config(BOOTSTRAP_DIR)), root - apis(Config(BOOTSTRAP_DIR))


def test_it_creates_every_identity_the_root_module_looks_up(plan: Plan) -> None:
    root = Config(TERRAFORM_DIR)
    deployments = set(root.locals["deployment_settings"])
    assert root.locals["function_account_ids"] == (
        '${{for name in keys(local.deployment_settings) : name => "fn-${name}"}}'
    )
    expected = {f"fn-{name}" for name in deployments}
    expected |= set(root.locals["runtime_account_ids"].values())
    expected |= {"roit-tf-plan", "roit-tf-apply"}
    assert set(_accounts(plan)) == expected
    assert Config(BOOTSTRAP_DIR).locals["runtime_account_ids"] == root.locals["runtime_account_ids"]
    assert {type_name for type_name, _name in root.data} == {
        "google_service_account",
        "google_project",
    }, "the root module only looks identities up"
    assert not [t for t, _ in root.resources if t == "google_service_account"]


def test_the_deployer_acts_as_each_runtime_identity_and_nothing_else(plan: Plan) -> None:
    accounts = _accounts(plan)
    runtime = {a for a in accounts if a not in {"roit-tf-plan", "roit-tf-apply"}}
    grants = plan.of_type("google_service_account_iam_member")
    acts_as = {
        address.split('["', 1)[1].rstrip('"]')
        for address, values in grants.items()
        if values["role"] == "roles/iam.serviceAccountUser"
    }
    assert acts_as == runtime
    others = {
        a: v["role"] for a, v in grants.items() if v["role"] != "roles/iam.serviceAccountUser"
    }
    # The Pub/Sub service agent signs push OIDC tokens as roit-pubsub-push.
    assert others == {
        "google_service_account_iam_member.push_token_creator": (
            "roles/iam.serviceAccountTokenCreator"
        )
    }
    bootstrap = Config(BOOTSTRAP_DIR)
    creator = bootstrap.resource("google_service_account_iam_member", "push_token_creator")
    assert creator["member"] == "${local.pubsub_service_agent}"
    assert creator["service_account_id"] == '${google_service_account.runtime["push"].name}'
    assert "@gcp-sa-pubsub.iam.gserviceaccount.com" in bootstrap.locals["pubsub_service_agent"]
    acts = bootstrap.resource("google_service_account_iam_member", "apply_acts_as")
    assert acts["member"] == "${google_service_account.apply.member}"
    assert acts["for_each"] == "${local.runtime_accounts}"


def test_the_plan_identity_only_reads(plan: Plan) -> None:
    roles = _project_roles(plan, "google_project_iam_member.plan")
    assert roles, "the plan identity has no role"
    for role in roles:
        assert re.search(r"(viewer|Viewer|reader|securityReviewer|browser|logWriter)$", role), (
            f"roit-tf-plan gets {role}, which can change the project"
        )
    buckets = plan.of_type("google_storage_bucket_iam_member")
    assert buckets["google_storage_bucket_iam_member.state_reader"]["role"] == (
        "roles/storage.objectViewer"
    )


def test_the_apply_identity_has_the_documented_roles_and_no_way_to_more(plan: Plan) -> None:
    roles = _project_roles(plan, "google_project_iam_member.apply")
    readme = (BOOTSTRAP_DIR / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### roit-tf-apply") :]
    documented = set(re.findall(r"`(roles/[\w.]+)`", table.split("###", 2)[1]))
    assert roles == documented
    for role in roles:
        assert not role.startswith(("roles/iam.", "roles/resourcemanager.")), role
        assert role not in {"roles/owner", "roles/editor", "roles/viewer"}, role
    everywhere = {values["role"] for values in plan.of_type("google_project_iam_member").values()}
    assert not everywhere & {"roles/owner", "roles/editor", "roles/viewer"}


def test_functions_are_built_as_their_own_build_identity(plan: Plan) -> None:
    assert plan.after("google_project_iam_member.function_build")["role"] == "roles/run.builder"
    build = Config(BOOTSTRAP_DIR).resource("google_project_iam_member", "function_build")
    assert build["member"] == '${google_service_account.runtime["build"].member}'
    module = (TERRAFORM_DIR / "functions.tf").read_text(encoding="utf-8")
    assert 'build_service_account = data.google_service_account.runtime["build"].name' in module


def test_triggers_and_approvers(plan: Plan) -> None:
    triggers = plan.of_type("google_cloudbuild_trigger")
    by_name = {values["name"]: values for values in triggers.values()}
    assert set(by_name) == {
        "roit-tf-plan-pull-request",
        "roit-tf-plan-branch",
        "roit-tf-plan-main",
        "roit-tf-apply",
    }
    apply = by_name.pop("roit-tf-apply")
    assert apply["approval_config"] == [{"approval_required": True}]
    assert apply["filename"] == "cloudbuild-apply.yaml"
    assert apply["github"][0]["push"][0]["branch"] == "^main$"
    for name, values in by_name.items():
        assert values["filename"] == "cloudbuild.yaml", name
        assert not values.get("approval_config"), name
    approvers = [v for a, v in plan.of_type("google_project_iam_member").items() if "approver" in a]
    assert approvers and {v["role"] for v in approvers} == {"roles/cloudbuild.builds.approver"}


def test_state_bucket_and_audit_logs(plan: Plan) -> None:
    bucket = plan.after("google_storage_bucket.state")
    assert bucket["location"] == "SOUTHAMERICA-EAST1" or bucket["location"] == "southamerica-east1"
    assert bucket["versioning"] == [{"enabled": True}]
    assert bucket["public_access_prevention"] == "enforced"
    audits = plan.of_type("google_project_iam_audit_config")
    services = {values["service"]: values for values in audits.values()}
    assert set(services) == {"storage.googleapis.com", "secretmanager.googleapis.com"}
    for values in services.values():
        kinds = {config["log_type"] for config in values["audit_log_config"]}
        assert kinds == {"DATA_READ", "DATA_WRITE"}


def test_checkov_skips_that_cite_audit_logs_are_true() -> None:
    """A skip may lean on the Data Access audit logs only because the bootstrap enables them."""
    bootstrap = Config(BOOTSTRAP_DIR)
    audited = bootstrap.locals["audited_services"]
    for path in TERRAFORM_DIR.rglob("*.tf"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov:skip" in line and "audit log" in line.lower():
                assert "storage.googleapis.com" in line, (path.name, line)
                assert "storage.googleapis.com" in str(audited)


def test_the_key_is_granted_to_the_service_agents_only(prod: Plan, plan: Plan) -> None:
    grants = prod.of_type("google_kms_crypto_key_iam_member")
    assert {address.split('["')[1].rstrip('"]') for address in grants} == {
        "pubsub",
        "storage",
        "secretmanager",
        "firestore",
    }
    for values in grants.values():
        assert values["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
        assert values["crypto_key_id"].endswith(
            "/locations/southamerica-east1/keyRings/roit-connector/cryptoKeys/data"
        )
    grant = Config(BOOTSTRAP_DIR).resource("google_kms_crypto_key_iam_member", "service_agent")
    for agent in ("pubsub_service_agent", "secretmanager_service_agent", "firestore_service_agent"):
        assert f"local.{agent}" in grant["for_each"]
    assert "data.google_storage_project_service_account.main[0].member" in grant["for_each"]
    bucket = prod.after("google_storage_bucket.state")
    assert bucket["encryption"][0]["default_kms_key_name"].endswith("/cryptoKeys/data")
    if plan is not prod and not plan.of_type("google_kms_crypto_key_iam_member"):
        assert not plan.after("google_storage_bucket.state")["encryption"]
