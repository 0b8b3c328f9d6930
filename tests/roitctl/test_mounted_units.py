"""A deployed function's ``ROIT_*_FILE`` mapped back to the secret mounted at its path (from the
Functions API's ``serviceConfig.secretVolumes``), so roitctl reads it by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from roitctl.environment import deployment_of
from roitctl.mounted import (
    MOUNT_ROOT,
    MountedSecret,
    absent_mount,
    by_name,
    by_name_variable,
    conventional_secret,
    mounted_secrets,
)
from shared.core.settings import RoitSettings
from shared.entry.settings import ReprocessSettings

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = "/etc/secrets/roit-api-credentials/credentials.json"


def volume(mount: str, secret: str, *versions: tuple[str, str], project: str | None = None):
    """One ``SecretVolume`` as the REST API answers it (camelCase)."""
    found = {"mountPath": mount, "secret": secret}
    if project:
        found["projectId"] = project
    if versions:
        found["versions"] = [{"version": v, "path": p} for v, p in versions]
    return found


def test_a_recorded_function_maps_each_mounted_file_to_its_secret() -> None:
    deployment = deployment_of(json.loads((DATA / "function_v2_mounted.json").read_text()))
    assert deployment.name == "reprocess-webhook"
    assert deployment.mounted == [
        MountedSecret(
            "ROIT_CREDENTIALS_FILE",
            CREDENTIALS,
            "projects/123456789012/secrets/roit-api-credentials/versions/latest",
        ),
        MountedSecret(
            "ROIT_WEBHOOK_SECRETS_FILE",
            "/etc/secrets/roit-webhook-secrets/webhook-secrets.txt",
            "projects/123456789012/secrets/roit-webhook-secrets/versions/latest",
        ),
    ]
    env = by_name(deployment.environment, deployment.mounted)
    assert "ROIT_CREDENTIALS_FILE" not in env and "ROIT_WEBHOOK_SECRETS_FILE" not in env
    assert env["ROIT_CREDENTIALS_SECRET"].endswith("/secrets/roit-api-credentials/versions/latest")
    assert env["ROIT_WEBHOOK_SECRETS_SECRET"].endswith("/roit-webhook-secrets/versions/latest")
    assert env["ROIT_BASE_URL"] == "https://hom.roit.ai"  # the rest as deployed
    assert deployment.mounted[0].secret_id == "roit-api-credentials"
    assert deployment.mounted[0].describe() == (
        f"mounted at {CREDENTIALS} in the function; read as secret "
        "projects/123456789012/secrets/roit-api-credentials/versions/latest"
    )


def test_a_function_reading_secrets_by_name_has_nothing_mounted() -> None:
    deployment = deployment_of(json.loads((DATA / "function_v2.json").read_text()))
    assert deployment.mounted == []
    assert by_name(deployment.environment, deployment.mounted) == deployment.environment


@pytest.mark.parametrize(
    ("volumes", "expected"),
    [
        # a version's path with or without the leading slash the API also accepts
        ([volume("/etc/secrets/roit-api-credentials", "c", ("latest", "credentials.json"))],
         "projects/fn-project/secrets/c/versions/latest"),
        ([volume("/etc/secrets/roit-api-credentials", "c", ("7", "/credentials.json"))],
         "projects/fn-project/secrets/c/versions/7"),
        # no versions: the latest, in a file named after the secret
        ([volume("/etc/secrets/roit-api-credentials", "credentials.json")],
         "projects/fn-project/secrets/credentials.json/versions/latest"),
        # the secret in another project
        ([volume("/etc/secrets/roit-api-credentials/", "c", ("latest", "credentials.json"),
                 project="vault")],
         "projects/vault/secrets/c/versions/latest"),
        # the right volume among several, the right version in it
        ([volume("/etc/secrets/roit-api", "x", ("latest", "credentials.json")),
          volume("/etc/secrets", "y", ("latest", "other.json")),
          volume("/etc/secrets/roit-api-credentials", "c", ("1", "old.json"),
                 ("latest", "credentials.json"))],
         "projects/fn-project/secrets/c/versions/latest"),
        # nothing mounted at that path: left as it is
        ([volume("/etc/secrets/roit-api-credentials", "c", ("latest", "other.json"))], None),
        ([volume("/etc/secrets/roit-api-credentials", "c")], None),
        ([volume("/etc/secrets/elsewhere", "c", ("latest", "credentials.json"))], None),
        ([], None),
    ],
)  # fmt: skip
def test_the_volume_and_version_mounted_at_the_path_is_the_one_read(volumes, expected) -> None:
    env = {"ROIT_CREDENTIALS_FILE": CREDENTIALS, "ROIT_BASE_URL": "https://roit"}
    found = mounted_secrets(env, volumes, "fn-project")
    assert [m.secret for m in found] == ([expected] if expected else [])
    mapped = by_name(env, found)
    if expected:
        assert mapped == {"ROIT_CREDENTIALS_SECRET": expected, "ROIT_BASE_URL": "https://roit"}
    else:
        assert mapped == env


def test_only_roit_file_variables_are_mapped() -> None:
    volumes = [volume("/etc/secrets/s", "s", ("latest", "f"))]
    env = {"OTHER_FILE": "/etc/secrets/s/f", "ROIT_BASE_URL": "/etc/secrets/s/f"}
    assert mounted_secrets(env, volumes, "p") == []


def test_every_file_setting_has_a_by_name_twin_the_mapping_sets() -> None:
    """The settings read a mounted file as ``*_file`` and the same secret by name as
    ``*_secret``: the mapping's one rule holds for every such setting."""
    for cls in (RoitSettings, ReprocessSettings):
        files = [name for name in cls.model_fields if name.endswith("_file")]
        assert files, cls
        for name in files:
            variable = f"ROIT_{name.upper()}"
            twin = by_name_variable(variable).removeprefix("ROIT_").lower()
            assert twin in cls.model_fields, (variable, twin)
            assert twin.endswith("_secret")


def test_terraform_mounts_each_secret_where_the_convention_says() -> None:
    """terraform/functions.tf mounts each secret at MOUNT_ROOT/<its secret id> (secrets.tf):
    what doctor names when only the path is known."""
    functions_tf = (REPO / "terraform" / "functions.tf").read_text()
    secrets_tf = (REPO / "terraform" / "secrets.tf").read_text()
    ids = dict(re.findall(r'^\s+(\w+)\s+=\s+"(roit-[a-z-]+)"$', secrets_tf, re.M))
    delivery = re.findall(
        r'^\s+(\w+) = \{\n\s+mount_path = "([^"]+)"\n\s+file\s+= "([^"]+)"\n'
        r'\s+mounted\s+= \{ (ROIT_\w+_FILE) = "([^"]+)" \}',
        functions_tf,
        re.M,
    )
    assert {key for key, *_ in delivery} == {"credentials", "webhook"}
    for key, mount_path, file, variable, path in delivery:
        assert mount_path == f"{MOUNT_ROOT}/{ids[key]}"
        assert path == f"{mount_path}/{file}"
        assert conventional_secret(path) == ids[key], variable


def test_the_conventional_secret_is_named_only_for_a_path_under_the_mount_root() -> None:
    assert conventional_secret(CREDENTIALS) == "roit-api-credentials"
    assert conventional_secret("/etc/secrets/credentials.json") is None
    assert conventional_secret("/run/secrets/roit-api-credentials/credentials.json") is None
    assert conventional_secret("/etc/secrets/a/b/c.json") is None


def test_a_mount_of_another_machine_is_told_from_a_local_file(tmp_path: Path) -> None:
    assert absent_mount(str(tmp_path / "not-here" / "credentials.json"))
    assert not absent_mount(str(tmp_path / "credentials.json"))  # a local typo, not a mount
    (tmp_path / "credentials.json").write_text("{}")
    assert not absent_mount(str(tmp_path / "credentials.json"))
