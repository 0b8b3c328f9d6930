"""What the root module would deploy, read from the offline plan of both example environments:
the functions' environment (which the code must load), identities, residency, encryption, the
ERP's access, retries and alerts."""

from __future__ import annotations

import pytest
from tfhelpers import Plan, Workspace, code_loads, deployable_environment, settings_class_of


pytestmark = pytest.mark.integration

FUNCTION = 'module.function["{}"].google_cloudfunctions2_function.main'
REGION = "southamerica-east1"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("root-plan"))


@pytest.fixture(scope="module", params=["dev", "prod"])
def plan(request: pytest.FixtureRequest, workspace: Workspace) -> Plan:
    return workspace.plan_json(f"environments/{request.param}.tfvars")


@pytest.fixture(scope="module")
def prod(workspace: Workspace) -> Plan:
    return workspace.plan_json("environments/prod.tfvars")


def _functions(plan: Plan) -> dict[str, dict]:
    return {
        address.split('"')[1]: values
        for address, values in plan.of_type("google_cloudfunctions2_function").items()
    }


def test_every_function_starts_with_the_environment_terraform_gives_it(plan: Plan) -> None:
    """The code's settings load from each planned environment, every ROIT_ name is one the
    function's settings model reads, and the sizing the code and the framework see is the
    function's own."""
    functions = _functions(plan)
    assert len(functions) == 6
    for name, values in functions.items():
        service = values["service_config"][0]
        model = settings_class_of(values["build_config"][0]["entry_point"])
        environment = deployable_environment(plan, name)
        assert code_loads(model, environment) is None, (name, code_loads(model, environment))
        for variable in environment:
            if variable.startswith("ROIT_"):
                assert variable.removeprefix("ROIT_").lower() in model.model_fields, (
                    f"{name}: {variable} is read by no field of {model.__name__}"
                )
            else:
                assert variable == "THREADS", f"{name}: unexpected {variable}"
        assert environment["ROIT_FUNCTION_TIMEOUT_S"] == str(service["timeout_seconds"])
        assert environment["THREADS"] == str(service["max_instance_request_concurrency"])


def test_functions_run_build_and_store_images_as_declared(plan: Plan) -> None:
    for name, values in _functions(plan).items():
        project = values["project"]
        service = values["service_config"][0]
        assert service["service_account_email"] == f"fn-{name}@{project}.iam.gserviceaccount.com"
        build = values["build_config"][0]
        assert build["service_account"] == (
            f"projects/{project}/serviceAccounts/roit-function-build@{project}.iam.gserviceaccount.com"
        )
        assert plan.unknown(FUNCTION.format(name))["build_config"][0]["docker_repository"]


def test_the_poller_runs_alone_and_before_the_next_run(plan: Plan) -> None:
    poller = _functions(plan)["poll-pending"]["service_config"][0]
    assert poller["max_instance_count"] == 1
    assert poller["max_instance_request_concurrency"] == 1
    job = plan.after("google_cloud_scheduler_job.poll_pending")
    minutes = int(job["schedule"].split()[0].removeprefix("*/"))
    assert minutes * 60 > poller["timeout_seconds"]
    assert job["attempt_deadline"] == f"{poller['timeout_seconds']}s"
    assert job["retry_config"][0]["retry_count"] == 0


def test_data_rests_in_the_data_region(plan: Plan) -> None:
    for address, topic in plan.of_type("google_pubsub_topic").items():
        (policy,) = topic["message_storage_policy"]
        assert policy["allowed_persistence_regions"] == [REGION], address
    for address, secret in plan.of_type("google_secret_manager_secret").items():
        replicas = secret["replication"][0]["user_managed"][0]["replicas"]
        assert [replica["location"] for replica in replicas] == [REGION], address
        assert not secret["replication"][0].get("auto"), address
    assert plan.after("google_storage_bucket.sources")["location"].lower() == REGION


def test_the_key_encrypts_topics_secrets_sources_and_the_store(prod: Plan) -> None:
    key = prod.document["variables"]["kms_key_name"]["value"]
    assert f"/locations/{REGION}/" in key
    for address, topic in prod.of_type("google_pubsub_topic").items():
        assert topic["kms_key_name"] == key, address
    for address, secret in prod.of_type("google_secret_manager_secret").items():
        replica = secret["replication"][0]["user_managed"][0]["replicas"][0]
        assert replica["customer_managed_encryption"] == [{"kms_key_name": key}], address
    bucket = prod.after("google_storage_bucket.sources")
    assert bucket["encryption"] == [{"default_kms_key_name": key}]
    store = prod.after("google_firestore_database.main")
    assert [config["kms_key_name"] for config in store["cmek_config"]] == [key]


def test_the_store_is_encrypted_with_the_key_or_google_managed_without(plan: Plan) -> None:
    key = plan.document["variables"]["kms_key_name"]["value"]
    configs = plan.after("google_firestore_database.main").get("cmek_config") or []
    assert [config["kms_key_name"] for config in configs] == ([key] if key else [])


def test_the_erp_gets_exactly_its_three_grants(plan: Plan) -> None:
    variables = plan.document["variables"]
    subscribers = variables["erp_subscriber_members"]["value"]
    publishers = variables["erp_publisher_members"]["value"]
    assert subscribers and publishers, "the examples show the ERP's identities"
    erp = set(subscribers) | set(publishers)
    granted = []
    for type_name in ("google_pubsub_subscription_iam_member", "google_pubsub_topic_iam_member"):
        for values in plan.of_type(type_name).values():
            if values.get("member") in erp:
                target = values.get("subscription") or values.get("topic")
                granted.append((values["member"], values["role"], target))
    expected = [(m, "roles/pubsub.subscriber", "roit-pending-erp") for m in subscribers]
    expected += [
        (m, "roles/pubsub.publisher", topic)
        for m in publishers
        for topic in ("roit-status", "roit-deliveries")
    ]
    assert sorted(granted) == sorted(expected)
    others = plan.of_type("google_cloud_run_v2_service_iam_member").values()
    assert not [
        v
        for v in others
        if v["member"] in erp
        and v["member"] not in variables["attachments_invoker_members"]["value"]
    ]


def test_push_retries_outlast_an_outage_and_dead_letters_are_kept(plan: Plan) -> None:
    window = plan.output("push_retry_window_s")
    assert window == sum(min(600, 10 * 2**attempt) for attempt in range(99))
    assert window > 4 * 3600, "a ROIT outage of a few hours dead-letters nothing"
    for address, subscription in plan.of_type("google_pubsub_subscription").items():
        if subscription.get("push_config"):
            assert subscription["dead_letter_policy"][0]["max_delivery_attempts"] == 100
            assert subscription["retry_policy"] == [
                {"minimum_backoff": "10s", "maximum_backoff": "600s"}
            ], address
        if address.startswith("google_pubsub_subscription.dead_letter"):
            assert subscription["message_retention_duration"] == "2678400s", address
    age = int(plan.document["variables"]["max_message_age_s"]["value"])
    assert age > window, "messages retried that long are not dead-lettered as too_old"


def test_every_alert_reaches_someone(plan: Plan) -> None:
    policies = plan.of_type("google_monitoring_alert_policy")
    assert len(policies) >= 10
    for address, policy in policies.items():
        known = policy.get("notification_channels") or []
        later = plan.unknown(address).get("notification_channels") or []
        assert len(known) + len(later) >= 1, f"{address} notifies nobody"
        documentation = policy["documentation"][0]
        later_text = plan.unknown(address)["documentation"][0].get("content")
        assert documentation.get("content") or later_text, address
        assert policy["severity"] in {"CRITICAL", "ERROR", "WARNING"}, address
    channels = plan.of_type("google_monitoring_notification_channel")
    addresses = plan.document["variables"]["alert_email_addresses"]["value"]
    assert sorted(c["labels"]["email_address"] for c in channels.values()) == sorted(addresses)


def _filters(plan: Plan) -> list[tuple[str, dict]]:
    found = []
    for address, policy in plan.of_type("google_monitoring_alert_policy").items():
        for condition in policy["conditions"]:
            for kind in ("condition_threshold", "condition_absent", "condition_matched_log"):
                for item in condition.get(kind) or []:
                    found.append((address, {"kind": kind, **item}))
    return found


def test_alerts_watch_the_backlogs_and_the_poller(plan: Plan) -> None:
    filters = _filters(plan)
    text = "\n".join(item["filter"] for _address, item in filters)
    assert 'subscription_id = "roit-pending-erp"' in text
    assert "oldest_unacked_message_age" in text
    for topic in ("roit-pending", "roit-status", "roit-deliveries"):
        assert f'subscription_id = "{topic}-dead-letter-sub"' in text, topic
    for event in ("page_may_be_lost", "poll_overlap", "config_error"):
        assert f'jsonPayload.event="{event}"' in text, event
    assert 'resource.type="cloud_scheduler_job"' in text
    metric = plan.after("google_logging_metric.poll_runs")
    assert 'jsonPayload.event="poll_run"' in metric["filter"]
    assert metric["label_extractors"] == {"outcome": "EXTRACT(jsonPayload.outcome)"}
    kinds = {item["kind"] for _address, item in filters if "roit_poll_runs" in item["filter"]}
    assert kinds == {"condition_threshold", "condition_absent"}, "failing runs and no runs"


def test_the_5xx_alert_ignores_designed_retries(plan: Plan) -> None:
    """Push functions answer 503 so that Pub/Sub redelivers: only 500 / 504, or a majority of
    5xx answers for half an hour, alert."""
    for address, item in _filters(plan):
        if "run.googleapis.com/request_count" not in item["filter"]:
            continue
        if "response_code = one_of" in item["filter"]:
            assert 'one_of("500", "504")' in item["filter"], address
        else:
            assert item["denominator_filter"], f"{address}: 5xx counted without a ratio"
            assert item["threshold_value"] >= 0.5
            assert int(item["duration"].rstrip("s")) >= 1800
            assert '"poll-pending"' not in item["filter"]
