"""How the secrets reach the deployed functions, read from the offline plan: mounted as files
(secret_volumes) by default, each file where the code's *_FILE setting points; by name for the
Secret Manager client library with ``mount_secrets = false``."""

from __future__ import annotations

import pytest
from tfhelpers import Plan, Workspace, code_loads, deployable_environment, settings_class_of

pytestmark = pytest.mark.integration

SECRET_IDS = {"credentials": "roit-api-credentials", "webhook": "roit-webhook-secrets"}
SETTINGS = {"credentials": "ROIT_CREDENTIALS", "webhook": "ROIT_WEBHOOK_SECRETS"}
READERS = {
    "credentials": {
        "poll-pending",
        "update-status",
        "register-delivery",
        "reprocess",
        "reprocess-webhook",
        "get-attachments",
    },
    "webhook": {"reprocess-webhook"},
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("secret-volumes"))


def _functions(plan: Plan) -> dict[str, dict]:
    return {
        address.split('"')[1]: values
        for address, values in plan.of_type("google_cloudfunctions2_function").items()
    }


def test_secrets_are_mounted_where_the_code_reads_them(workspace: Workspace) -> None:
    plan = workspace.plan_json("environments/dev.tfvars")
    for name, values in _functions(plan).items():
        service = values["service_config"][0]
        environment = deployable_environment(plan, name)
        mounted = {
            volume["secret"]: f"{volume['mount_path']}/{volume['versions'][0]['path']}"
            for volume in service.get("secret_volumes") or []
        }
        expected = {SECRET_IDS[key] for key, readers in READERS.items() if name in readers}
        assert set(mounted) == expected, name
        for volume in service["secret_volumes"]:
            assert volume["versions"][0]["version"] == "latest", name  # rotation followed
            assert volume["project_id"] == environment["ROIT_GCP_PROJECT"], name
        for key, secret_id in SECRET_IDS.items():
            if secret_id in mounted:
                assert environment[f"{SETTINGS[key]}_FILE"] == mounted[secret_id], name
                assert f"{SETTINGS[key]}_SECRET" not in environment, name
        model = settings_class_of(values["build_config"][0]["entry_point"])
        assert code_loads(model, environment) is None, (name, code_loads(model, environment))


def test_the_client_library_path_stays_selectable(workspace: Workspace) -> None:
    plan = workspace.plan_json("environments/dev.tfvars", "mount_secrets=false")
    for name, values in _functions(plan).items():
        assert not values["service_config"][0].get("secret_volumes"), name
        environment = deployable_environment(plan, name)
        for key, readers in READERS.items():
            if name in readers:
                assert environment[f"{SETTINGS[key]}_SECRET"] == SECRET_IDS[key], name
                assert f"{SETTINGS[key]}_FILE" not in environment, name
        model = settings_class_of(values["build_config"][0]["entry_point"])
        assert code_loads(model, environment) is None, (name, code_loads(model, environment))
