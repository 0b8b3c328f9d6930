"""The local stack's `--mounted-secrets`: the functions get ROIT_*_FILE paths where each secret
is written (and rewritten on a rotation), as Terraform mounts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.stack.layout import (
    CREDENTIALS_SECRET,
    WEBHOOK_SECRETS_SECRET,
    StackOptions,
    mount_secret,
    mounted_env,
)

pytestmark = pytest.mark.unit


def test_secret_names_become_the_files_they_are_mounted_as(tmp_path: Path) -> None:
    env = {
        "ROIT_CREDENTIALS_SECRET": CREDENTIALS_SECRET,
        "ROIT_WEBHOOK_SECRETS_SECRET": WEBHOOK_SECRETS_SECRET,
        "ROIT_BASE_URL": "http://x",
    }
    assert mounted_env(env, tmp_path) == {
        "ROIT_CREDENTIALS_FILE": str(tmp_path / CREDENTIALS_SECRET),
        "ROIT_WEBHOOK_SECRETS_FILE": str(tmp_path / WEBHOOK_SECRETS_SECRET),
        "ROIT_BASE_URL": "http://x",
    }
    assert mounted_env({"ROIT_CLIENT_ID": "a"}, tmp_path) == {"ROIT_CLIENT_ID": "a"}


def test_a_secret_is_written_and_rotated_only_when_mounted(tmp_path: Path) -> None:
    mount_secret(StackOptions(), tmp_path / "off", CREDENTIALS_SECRET, "v1")
    assert not (tmp_path / "off").exists()
    mounted = StackOptions(mounted_secrets=True)
    mount_secret(mounted, tmp_path / "on", CREDENTIALS_SECRET, "v1")
    mount_secret(mounted, tmp_path / "on", CREDENTIALS_SECRET, "v2")  # a new version
    assert (tmp_path / "on" / CREDENTIALS_SECRET).read_text() == "v2"
    assert (tmp_path / "on").stat().st_mode & 0o777 == 0o700
