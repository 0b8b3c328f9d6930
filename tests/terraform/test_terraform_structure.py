"""What terraform/ must wire, checked over the parsed HCL (python-hcl2).

The deployments, secret readers, invokers and publishers are literal data in locals, so these
tests read them as written and check the resources that use them.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from tfhelpers import (
    TERRAFORM_DIR,
    Config,
    block,
    labelled,
    load_script,
    parse_file,
    plain,
    terraform_binary,
    unquote,
)


pytestmark = pytest.mark.integration

package_functions = load_script("package_functions")


@pytest.fixture(scope="module")
def config() -> Config:
    return Config()


@pytest.fixture(scope="module")
def deployments(config: Config) -> dict:
    return config.deployments()


def _environment(config: Config, name: str, how: str = "mounted") -> dict:
    """What ``name`` is given, with its secrets delivered ``how`` (mounted, by_name)."""
    deployment = config.deployments()[name]
    secrets = {}
    for secret, readers in config.locals["secret_readers"].items():
        if name in readers:
            secrets.update(config.locals["secret_delivery"][secret][how])
    return {**config.locals["common_environment"], **deployment["environment"], **secrets}


def test_every_function_folder_has_a_deployment(deployments: dict) -> None:
    folders = set(package_functions.discover_functions())
    sources = {deployment["source"] for deployment in deployments.values()}
    assert folders, "no function folders under functions/"
    assert folders <= sources, f"not deployed: {sorted(folders - sources)}"
    expected = {"poll_pending", "update_status", "register_delivery", "reprocess"}
    assert expected | {"get_attachments"} <= sources


def test_deployments_are_named_for_cloud_run(deployments: dict) -> None:
    assert set(deployments) == {
        "poll-pending",
        "update-status",
        "register-delivery",
        "reprocess",
        "reprocess-webhook",
        "get-attachments",
    }
    for name, deployment in deployments.items():
        assert deployment["source"].replace("_", "-") in name


def test_deployments_state_only_their_deviations_from_the_defaults(config: Config) -> None:
    defaults = config.locals["deployment_defaults"]
    assert set(defaults) == {
        "memory_mb",
        "cpu",
        "timeout_s",
        "min_instances",
        "max_instances",
        "max_concurrency",
        "minimum_timeout_s",
    }
    for name, settings in config.locals["deployment_settings"].items():
        repeated = [key for key in defaults if key in settings and settings[key] == defaults[key]]
        assert repeated == [], f"{name} repeats the default {repeated}"
    sizing = {
        name: {key: deployment[key] for key in ("timeout_s", "max_instances", "max_concurrency")}
        for name, deployment in config.deployments().items()
    }
    assert sizing == {
        "poll-pending": {"timeout_s": 240, "max_instances": 1, "max_concurrency": 1},
        "update-status": {"timeout_s": 120, "max_instances": 10, "max_concurrency": 10},
        "register-delivery": {"timeout_s": 300, "max_instances": 10, "max_concurrency": 10},
        "reprocess": {"timeout_s": 120, "max_instances": 5, "max_concurrency": 10},
        "reprocess-webhook": {"timeout_s": 120, "max_instances": 5, "max_concurrency": 10},
        "get-attachments": {"timeout_s": 120, "max_instances": 5, "max_concurrency": 10},
    }


def test_reprocess_is_deployed_twice_with_its_caller_auth(config: Config) -> None:
    assert config.deployments()["reprocess-webhook"]["source"] == "reprocess"
    assert _environment(config, "reprocess")["ROIT_REPROCESS_CALLER_AUTH"] == "iam"
    assert _environment(config, "reprocess-webhook")["ROIT_REPROCESS_CALLER_AUTH"] == "webhook"


def test_each_secret_is_granted_to_exactly_its_readers(config: Config, deployments: dict) -> None:
    secrets = config.locals["secrets"]
    assert secrets == {"credentials": "roit-api-credentials", "webhook": "roit-webhook-secrets"}
    variable_of = {
        "credentials": "ROIT_CREDENTIALS_SECRET",
        "webhook": "ROIT_WEBHOOK_SECRETS_SECRET",
    }
    reads = {
        key: {
            name
            for name in deployments
            if variable_of[key] in _environment(config, name, "by_name")
        }
        for key in secrets
    }
    for key, variable in variable_of.items():
        for name in reads[key]:
            assert (
                f'google_secret_manager_secret.main["{key}"]'
                in _environment(config, name, "by_name")[variable]
            )
            mounted = _environment(config, name)
            assert variable not in mounted
            delivery = config.locals["secret_delivery"][key]
            path = f"{unquote(delivery['mount_path'])}/{unquote(delivery['file'])}"
            assert mounted[variable.removesuffix("_SECRET") + "_FILE"] == path
    assert reads["credentials"] == set(deployments)
    assert reads["webhook"] == {"reprocess-webhook"}
    readers = {key: set(names) for key, names in config.locals["secret_readers"].items()}
    assert readers == reads

    grant = config.resource("google_secret_manager_secret_iam_member", "accessor")
    assert grant["for_each"] == "${local.secret_grants}"
    assert unquote(grant["role"]) == "roles/secretmanager.secretAccessor"
    assert (
        grant["member"] == "${data.google_service_account.function[each.value.deployment].member}"
    )
    assert grant["secret_id"] == (
        "${google_secret_manager_secret.main[each.value.secret].secret_id}"
    )
    # No other path to a secret: no other Secret Manager grant, no project-level IAM at all (the
    # project-level roles are terraform/bootstrap's).
    others = [
        key
        for key, body in config.resources.items()
        if "secretmanager" in str(body.get("role", "")) and key != grant_key()
    ]
    assert others == []
    assert not [t for t, _ in config.resources if t.startswith("google_project_iam")]


def grant_key() -> tuple[str, str]:
    return ("google_secret_manager_secret_iam_member", "accessor")


def test_secret_values_never_in_terraform(config: Config) -> None:
    assert not [t for t, _ in config.resources if t == "google_secret_manager_secret_version"]
    assert "secret_data" not in config.text


def test_push_subscriptions_have_oidc_retry_and_dead_letter(config: Config) -> None:
    assert config.locals["push_subscriptions"] == {
        "roit-status-push": {"topic": "roit-status", "deployment": "update-status"},
        "roit-deliveries-push": {"topic": "roit-deliveries", "deployment": "register-delivery"},
    }
    # Pub/Sub's largest retry: 100 delivery attempts, backoff up to 600 s.
    assert config.locals["push_max_delivery_attempts"] == 100
    assert config.locals["push_minimum_backoff_s"] == 10
    assert config.locals["push_maximum_backoff_s"] == 600
    subscriptions = {
        k: v for k, v in config.resources.items() if k[0] == "google_pubsub_subscription"
    }
    pushed = [body for body in subscriptions.values() if "push_config" in body]
    assert pushed, "no push subscription"
    for body in pushed:
        push = block(body, "push_config")
        oidc = block(push, "oidc_token")
        assert (
            oidc["service_account_email"] == '${data.google_service_account.runtime["push"].email}'
        )
        assert oidc["audience"] == push["push_endpoint"]
        retry = block(body, "retry_policy")
        assert retry == {
            "minimum_backoff": "${local.push_minimum_backoff_s}s",
            "maximum_backoff": "${local.push_maximum_backoff_s}s",
        }
        dead_letter = block(body, "dead_letter_policy")
        assert dead_letter["max_delivery_attempts"] == "${local.push_max_delivery_attempts}"
        assert "-dead-letter" in dead_letter["dead_letter_topic"]
    erp = config.resource("google_pubsub_subscription", "erp")
    assert unquote(erp["name"]) == "roit-pending-erp"
    assert "roit-pending-dead-letter" in block(erp, "dead_letter_policy")["dead_letter_topic"]


def test_dead_letters_are_kept_as_long_as_pubsub_allows(config: Config) -> None:
    assert config.locals["dead_letter_retention_s"] == 31 * 24 * 3600
    subscription = config.resource("google_pubsub_subscription", "dead_letter")
    assert subscription["message_retention_duration"] == "${local.dead_letter_retention_s}s"
    retention = config.variables["message_retention_s"]
    assert "var.message_retention_s <= 2678400" in retention["validation"][0]["condition"]


def test_readme_states_the_push_retry_window(config: Config) -> None:
    """The README's figure is the one Terraform computes (local.push_retry_window_s)."""
    attempts = config.locals["push_max_delivery_attempts"]
    low, high = config.locals["push_minimum_backoff_s"], config.locals["push_maximum_backoff_s"]
    window = sum(min(high, low * 2**attempt) for attempt in range(attempts - 1))
    assert config.locals["push_retry_window_s"].startswith("${sum([")
    readme = (TERRAFORM_DIR / "README.md").read_text(encoding="utf-8")
    assert f"{window} s" in readme
    assert f"{window / 3600:.1f} h" in readme
    assert f"{attempts} delivery attempts" in readme


def test_every_dead_letter_topic_has_a_subscription(config: Config) -> None:
    topics = config.locals["topics"]
    assert topics == ["roit-pending", "roit-status", "roit-deliveries"]
    assert '"${topic}-dead-letter"' in str(config.locals["all_topics"])
    subscription = config.resource("google_pubsub_subscription", "dead_letter")
    assert subscription["for_each"] == "${toset(local.topics)}"
    assert unquote(subscription["name"]) == "${each.value}-dead-letter-sub"
    assert subscription["topic"] == '${google_pubsub_topic.main["${each.value}-dead-letter"].id}'
    assert block(subscription, "expiration_policy")["ttl"] == ""


def test_pubsub_service_agent_can_dead_letter(config: Config) -> None:
    agent = "${local.pubsub_service_agent}"
    assert "gcp-sa-pubsub.iam.gserviceaccount.com" in config.locals["pubsub_service_agent"]
    publisher = config.resource("google_pubsub_topic_iam_member", "dead_letter_publisher")
    assert publisher["for_each"] == "${toset(local.topics)}"
    assert "-dead-letter" in publisher["topic"]
    assert (unquote(publisher["role"]), publisher["member"]) == ("roles/pubsub.publisher", agent)
    subscriber = config.resource("google_pubsub_subscription_iam_member", "dead_letter_subscriber")
    assert subscriber["for_each"] == "${local.dead_lettered_subscriptions}"
    assert (unquote(subscriber["role"]), subscriber["member"]) == ("roles/pubsub.subscriber", agent)
    covered = str(config.locals["dead_lettered_subscriptions"])
    assert "google_pubsub_subscription.erp" in covered
    assert "google_pubsub_subscription.push" in covered


def test_functions_publish_only_to_their_topics(config: Config) -> None:
    publishers = config.locals["function_publishers"]
    assert publishers == {
        "poll-pending": ["roit-pending", "roit-pending-dead-letter"],
        "update-status": ["roit-status-dead-letter"],
        "register-delivery": ["roit-deliveries", "roit-deliveries-dead-letter"],
    }
    for name, topics in publishers.items():
        environment = _environment(config, name)
        published = {
            environment[variable]
            for variable in (
                "ROIT_PENDING_TOPIC",
                "ROIT_DEAD_LETTER_TOPIC",
                "ROIT_DELIVERIES_TOPIC",
            )
            if variable in environment
        }
        assert published == {f'${{google_pubsub_topic.main["{topic}"].id}}' for topic in topics}
    assert _environment(config, "poll-pending")["ROIT_DEAD_LETTER_TOPIC"] == (
        '${google_pubsub_topic.main["roit-pending-dead-letter"].id}'
    )
    grant = config.resource("google_pubsub_topic_iam_member", "function_publisher")
    assert grant["for_each"] == "${local.function_publisher_grants}"
    assert grant["member"] == (
        "${data.google_service_account.function[each.value.deployment].member}"
    )


def test_only_reprocess_webhook_is_public(config: Config, deployments: dict) -> None:
    for path in TERRAFORM_DIR.rglob("*"):
        if path.suffix in {".tf", ".tfvars"}:
            text = path.read_text(encoding="utf-8")
            assert "allAuthenticatedUsers" not in text or path.name == "variables.tf", path
    outside_validations = [
        line
        for line in config.text.splitlines()
        if '"allUsers"' in line and "contains(" not in line
    ]
    assert outside_validations == ['    public      = ["allUsers"]']
    assert config.locals["invokers"]["public"] == ["allUsers"]
    public = [name for name, d in deployments.items() if "public" in d["invokers"]]
    assert public == ["reprocess-webhook"]
    assert _environment(config, "reprocess-webhook")["ROIT_REPROCESS_CALLER_AUTH"] == "webhook"
    for directory in (TERRAFORM_DIR / "environments",):
        for path in directory.glob("*.tfvars"):
            assert "allUsers" not in path.read_text(encoding="utf-8"), path


def test_invokers(config: Config, deployments: dict) -> None:
    invokers = {name: set(d["invokers"]) for name, d in deployments.items()}
    assert invokers == {
        "poll-pending": {"scheduler", "team"},
        "update-status": {"push"},
        "register-delivery": {"push"},
        "reprocess": {"team"},
        "reprocess-webhook": {"public"},
        "get-attachments": {"team", "attachments"},
    }
    assert config.locals["invokers"]["scheduler"] == [
        '${data.google_service_account.runtime["scheduler"].member}'
    ]
    assert config.locals["invokers"]["push"] == [
        '${data.google_service_account.runtime["push"].member}'
    ]
    module_main = (TERRAFORM_DIR / "modules" / "function" / "main.tf").read_text(encoding="utf-8")
    assert 'resource "google_cloud_run_v2_service_iam_member" "invoker"' in module_main
    assert 'role     = "roles/run.invoker"' in module_main
    assert "google_cloudfunctions2_function.main.service_config[0].service" in module_main


def test_scheduler_job_uses_oidc(config: Config) -> None:
    job = config.resource("google_cloud_scheduler_job", "poll_pending")
    target = block(job, "http_target")
    oidc = block(target, "oidc_token")
    assert oidc["service_account_email"] == (
        '${data.google_service_account.runtime["scheduler"].email}'
    )
    assert target["uri"] == '${module.function["poll-pending"].uri}'
    assert oidc["audience"] == target["uri"]
    assert job["retry_config"] == [{"retry_count": 0}]


def test_the_poller_cannot_run_twice_at_once(config: Config, deployments: dict) -> None:
    poller = deployments["poll-pending"]
    assert (poller["max_instances"], poller["max_concurrency"]) == (1, 1)
    settings = config.variables["function_settings"]
    assert any(
        'var.function_settings["poll-pending"][key]' in rule["condition"]
        for rule in settings["validation"]
    ), "poll-pending's max_instances / max_concurrency must not be overridable"
    job = config.resource("google_cloud_scheduler_job", "poll_pending")
    (precondition,) = block(job, "lifecycle")["precondition"]
    assert precondition["condition"] == (
        '${var.poll_interval_minutes * 60 > module.function["poll-pending"].timeout_s}'
    )
    assert config.default("poll_interval_minutes") * 60 > poller["timeout_s"]


def test_timeouts_hold_the_codes_budgets(config: Config, deployments: dict) -> None:
    """Each function's minimum timeout is the code's rule (shared/core/settings.py): the retry budget
    plus the deadline reserve, and for the poller the poll budget too."""
    assert config.locals["call_timeout_floor_s"] == (
        "${var.retry_budget_s + local.deadline_reserve_s}"
    )
    for name, deployment in deployments.items():
        expected = "${local.call_timeout_floor_s}"
        if name == "poll-pending":
            expected = "${var.poll_time_budget_s + local.call_timeout_floor_s}"
        assert deployment["minimum_timeout_s"] == expected, name
        if deployment["max_concurrency"] > 1:
            assert float(unquote(deployment["cpu"])) >= 1, f"{name}: concurrency needs 1 vCPU"
    module = (TERRAFORM_DIR / "modules" / "function" / "main.tf").read_text(encoding="utf-8")
    assert "var.timeout_s >= var.minimum_timeout_s" in module
    assert "var.max_concurrency == 1 || tonumber(var.cpu) >= 1" in module
    # The module passes its own sizing to the code and to functions-framework.
    assert "ROIT_FUNCTION_TIMEOUT_S   = tostring(var.timeout_s)" in module
    assert "THREADS                   = tostring(var.max_concurrency)" in module
    assert "ROIT_INSTANCE_MEMORY_MIB  = tostring(var.memory_mb)" in module
    assert "ROIT_INSTANCE_CONCURRENCY = tostring(var.max_concurrency)" in module
    assert "merge(var.environment_variables, local.sizing_environment)" in module


@pytest.mark.parametrize(
    "directory",
    [TERRAFORM_DIR, TERRAFORM_DIR / "modules" / "function", TERRAFORM_DIR / "bootstrap"],
    ids=["root", "function", "bootstrap"],
)
def test_modules_follow_the_layout(directory) -> None:
    """terraform-google-modules conventions: main / variables / outputs / versions, a README
    with every input and output in its tables, typed variables with sentence descriptions."""
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), name
    readme = (directory / "README.md").read_text(encoding="utf-8")
    assert "## Inputs" in readme and "## Outputs" in readme
    inputs = readme[readme.index("## Inputs") : readme.index("## Outputs")]
    outputs = readme[readme.index("## Outputs") :]
    for (name,), body in labelled(parse_file(directory / "variables.tf")["variable"], 1):
        assert f"| `{name}` |" in inputs, f"README lacks input {name}"
        assert "type" in body, name
        description = unquote(body["description"])
        assert len(description) > 10 and description.endswith("."), name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
    for (name,), body in labelled(parse_file(directory / "outputs.tf")["output"], 1):
        assert f"| `{name}` |" in outputs, f"README lacks output {name}"
        assert unquote(body["description"]).endswith("."), name


def test_all_variables_are_typed_and_described(config: Config) -> None:
    for name, body in config.variables.items():
        assert "type" in body, name
        assert unquote(body["description"]).endswith("."), name


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_tfvars_set_declared_variables(config: Config, environment: str) -> None:
    import hcl2

    path = TERRAFORM_DIR / "environments" / f"{environment}.tfvars"
    parsed = hcl2.loads(path.read_text(encoding="utf-8"))
    values = {k: unquote(v) for k, v in parsed.items() if not k.startswith("__")}
    assert set(values) <= set(config.variables), set(values) - set(config.variables)
    required = {name for name, body in config.variables.items() if "default" not in body}
    assert required <= set(values), required - set(values)
    assert values["environment"] == environment
    assert values["roit_base_url"].startswith("https://")
    for name in values.get("function_settings", {}):
        assert unquote(name) in config.deployments()


def test_terraform_reads_the_packaging_scripts_archives(config: Config) -> None:
    assert (
        config.locals["archives_dir"]
        == '${coalesce(var.source_archives_dir, "${path.root}/../build/functions")}'
    )
    module_call = config.modules["function"]
    assert module_call["source_archive_path"] == "${local.archives_dir}/${each.value.source}.zip"
    module_main = (TERRAFORM_DIR / "modules" / "function" / "main.tf").read_text(encoding="utf-8")
    assert "filesha256(var.source_archive_path)" in module_main
    assert 'name   = "functions/${var.name}/${local.source_sha256}.zip"' in module_main


def test_data_rests_in_the_data_region(config: Config) -> None:
    assert config.locals["data_region"] == "${coalesce(var.data_region, var.region)}"
    topic = config.resource("google_pubsub_topic", "main")
    assert block(topic, "message_storage_policy") == {
        "allowed_persistence_regions": ["${local.data_region}"]
    }
    secret = config.resource("google_secret_manager_secret", "main")
    replicas = block(block(block(secret, "replication"), "user_managed"), "replicas")
    assert replicas["location"] == "${local.data_region}"
    bucket = config.resource("google_storage_bucket", "sources")
    assert bucket["location"] == "${local.data_region}"


def test_the_key_encrypts_topics_secrets_and_sources(config: Config) -> None:
    topic = config.resource("google_pubsub_topic", "main")
    assert topic["kms_key_name"] == "${var.kms_key_name}"
    secret = config.resource("google_secret_manager_secret", "main")
    replicas = block(block(block(secret, "replication"), "user_managed"), "replicas")
    (encryption,) = replicas["dynamic"]
    assert encryption["customer_managed_encryption"]["for_each"] == (
        "${var.kms_key_name == null ? [] : [var.kms_key_name]}"
    )
    bucket = config.resource("google_storage_bucket", "sources")
    (dynamic,) = bucket["dynamic"]
    assert dynamic["encryption"]["content"][0] == {"default_kms_key_name": "${encryption.value}"}
    # The key's location must be the data region's (Secret Manager and Cloud Storage need it).
    rules = [rule["condition"] for rule in config.variables["kms_key_name"]["validation"]]
    assert any("coalesce(var.data_region, var.region)" in rule for rule in rules)


def test_project_number_waits_for_the_resource_manager_api(config: Config) -> None:
    api = config.resource("google_project_service", "resource_manager")
    assert unquote(api["service"]) == "cloudresourcemanager.googleapis.com"
    assert api["disable_on_destroy"] is False
    assert "cloudresourcemanager.googleapis.com" not in str(config.locals["apis"])
    main = parse_file(TERRAFORM_DIR / "main.tf")
    (project,) = [body for labels, body in labelled(main["data"], 2)]
    assert project["depends_on"] == ["${google_project_service.resource_manager}"]
    assert "data.google_project.main.number" in str(config.locals["pubsub_service_agent"])
    (moved,) = main["moved"]
    assert moved["to"] == "${google_project_service.resource_manager}"
    assert "cloudresourcemanager.googleapis.com" in moved["from"]


POLL_TARGETS_ACCEPTED = [
    "DOCUMENT",
    ",".join(f"DOCUMENT:T{i}" for i in range(64)),  # MAX_TARGETS
    "DOCUMENT:NFE,DOCUMENT:NFSE,SUPPLIER",
    "DOCUMENT:NF3E",
    "DOCUMENT:CTE-OS,ACCOUNTS_PAYABLE",
    "document:nfe",
    "SERVICE_ENTRY_SHEET:X.1-2_b",
]
POLL_TARGETS_REJECTED = [
    "",
    ",".join(f"DOCUMENT:T{i}" for i in range(65)),
    "DOCUMENTS",
    "NFE",
    "DOCUMENT:",
    "DOCUMENT:NFE:X",
    "DOCUMENT,,SUPPLIER",
    "DOCUMENT,",
    "DOCUMENT, SUPPLIER",
    "DOCUMENT:X/1",
]


def _poll_targets_regex(config: Config) -> str:
    condition = config.variables["poll_targets"]["validation"][0]["condition"]
    match = re.fullmatch(r'\$\{can\(regex\(("(?:[^"\\]|\\.)*"), var\.poll_targets\)\)\}', condition)
    assert match, condition
    pattern: str = json.loads(match.group(1))  # an HCL string literal: JSON escapes
    return pattern


def test_poll_targets_validation_matches_the_code(config: Config, tmp_path) -> None:
    from shared.roit.models import PendingEntity
    from shared.poll.targets import parse_targets

    pattern = _poll_targets_regex(config)
    for alternation in re.findall(r"\(([A-Z_|]+)\)", pattern):
        assert set(alternation.split("|")) == {entity.value for entity in PendingEntity}
    assert set(config.default("poll_targets").split(",")) <= {e.value for e in PendingEntity}
    for value in POLL_TARGETS_ACCEPTED:
        assert parse_targets(value), value  # the code takes every value Terraform lets through
    # Every validation condition, by Terraform itself (its RE2 regex engine) on every case:
    # `terraform console` needs no provider.
    conditions = [
        re.sub(r"\bvar\.poll_targets\b", "s", block["condition"][2:-1])  # "${...}"
        for block in config.variables["poll_targets"]["validation"]
    ]
    cases = POLL_TARGETS_ACCEPTED + POLL_TARGETS_REJECTED
    expression = f"jsonencode([for s in {json.dumps(cases)} : {' && '.join(conditions)}])"
    result = subprocess.run(
        [terraform_binary(), "console"],
        input=expression + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    verdicts = json.loads(json.loads(result.stdout.strip().splitlines()[-1]))
    assert dict(zip(cases, verdicts, strict=True)) == {
        **dict.fromkeys(POLL_TARGETS_ACCEPTED, True),
        **dict.fromkeys(POLL_TARGETS_REJECTED, False),
    }


def test_a_first_apply_waits_for_what_google_creates_asynchronously(config: Config) -> None:
    """What `plan` cannot see: a log-based metric reaches Cloud Monitoring minutes after it is
    created, and an invoker grant takes a moment; what depends on them waits."""
    settled = config.resource("terraform_data", "poll_runs_metric_settled")
    assert settled["triggers_replace"] == "${google_logging_metric.poll_runs.id}"
    assert "sleep" in str(settled["provisioner"])
    alerts = {name: body for (kind, name), body in config.resources.items()
              if kind == "google_monitoring_alert_policy"}  # fmt: skip
    for name, body in alerts.items():
        if "poll_runs_metric" in str(body):
            assert "${terraform_data.poll_runs_metric_settled}" in body["depends_on"], name
    outputs = parse_file(TERRAFORM_DIR / "modules" / "function" / "outputs.tf")
    (uri,) = [plain(body) for (name,), body in labelled(outputs["output"], 1) if name == "uri"]
    assert uri["depends_on"] == ["${google_cloud_run_v2_service_iam_member.invoker}"]
