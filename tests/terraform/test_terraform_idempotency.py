"""The idempotency store in Terraform: the Firestore database in the data region, the TTL
policy on the field the code writes, the store's settings and its access for exactly the
deployments whose code uses it, and an alert when it fails (offline plans of both
environments and of the bootstrap)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from tfhelpers import Config, Plan, Workspace

from shared.idempotency.records import at, decide_claim

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
REGION = "southamerica-east1"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return Workspace(tmp_path_factory.mktemp("idem-root")).plan_json("environments/prod.tfvars")


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    workspace = Workspace(tmp_path_factory.mktemp("idem-bootstrap"), "bootstrap")
    return workspace.plan_json("environments/prod.tfvars")


def _store_sources() -> set[str]:
    """The functions whose main.py builds the store (``store_for``)."""
    found = set()
    for main in (REPO / "functions").glob("*/main.py"):
        names = {n.id for n in ast.walk(ast.parse(main.read_text())) if isinstance(n, ast.Name)}
        if "store_for" in names:
            found.add(main.parent.name)
    return found


def test_the_database_rests_in_the_data_region_with_a_ttl_on_expires_at(root: Plan) -> None:
    (database,) = root.of_type("google_firestore_database").values()
    assert database["location_id"] == REGION and database["type"] == "FIRESTORE_NATIVE"
    assert database["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    (field,) = root.of_type("google_firestore_field").values()
    written, _ = decide_claim("k", at(60))(None, at(0))  # what the code writes
    assert isinstance(written, dict) and field["field"] in written and field["ttl_config"]
    assert field["collection"] == Config().locals["idempotency_collection"]


def test_exactly_the_deployments_whose_code_uses_the_store_get_its_settings(root: Plan) -> None:
    config = Config()
    deployments = config.deployments()
    using = {
        name
        for name in deployments
        if root.function_environment(name)[0].get("ROIT_IDEMPOTENCY_STORE") == "firestore"
    }
    sources = _store_sources()
    # reprocess runs twice: the IAM deployment verifies no webhook, so it needs no store
    assert using == {"poll-pending", "update-status", "register-delivery", "reprocess-webhook"}
    assert {deployments[name]["source"] for name in using} == sources
    for name in using:
        environment, later = root.function_environment(name)
        assert environment["ROIT_IDEMPOTENCY_DATABASE"] == "roit-idempotency" or (
            "ROIT_IDEMPOTENCY_DATABASE" in later
        )
        assert environment["ROIT_IDEMPOTENCY_COLLECTION"] == "roit-idempotency"


def test_only_those_deployments_may_use_the_database_and_only_it(
    root: Plan, bootstrap: Plan
) -> None:
    grants = bootstrap.of_type("google_project_iam_member")
    store = {a: v for a, v in grants.items() if v["role"] == "roles/datastore.user"}
    expected = {"poll-pending", "update-status", "register-delivery", "reprocess-webhook"}
    assert {a.split('["')[1].rstrip('"]') for a in store} == expected
    for values in store.values():
        (condition,) = values["condition"]
        assert condition["expression"].endswith('/databases/roit-idempotency"')
    others = [v for v in grants.values() if "datastore" in v["role"] and v not in store.values()]
    assert {v["role"] for v in others} == {"roles/datastore.owner", "roles/datastore.viewer"}
    assert not root.of_type("google_project_iam_member")  # the root grants no project role


def test_a_store_failure_alerts(root: Plan) -> None:
    policies = root.of_type("google_monitoring_alert_policy")
    (store,) = [p for a, p in policies.items() if "idempotency_store_failed" in a]
    (condition,) = store["conditions"]
    log_filter = condition["condition_matched_log"][0]["filter"]
    assert 'jsonPayload.failure="store"' in log_filter
    assert 'jsonPayload.event="idempotency_record_lost"' in log_filter


def test_what_the_store_prevented_is_counted(root: Plan) -> None:
    metrics = root.of_type("google_logging_metric")
    (counted,) = [m for a, m in metrics.items() if "idempotency_events" in a]
    for event in ("push_duplicate", "status_out_of_order", "webhook_replay"):
        assert f'"{event}"' in counted["filter"]
    assert counted["label_extractors"] == {"event": "EXTRACT(jsonPayload.event)"}
