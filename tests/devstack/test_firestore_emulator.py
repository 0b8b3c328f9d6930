"""The local stack's Firestore emulator: found in the Cloud CLI, given to the store's functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.processes.firestore_emulator import firestore_emulator_installed, store_env

pytestmark = pytest.mark.unit


def test_the_emulator_component_is_found_next_to_gcloud(tmp_path: Path) -> None:
    gcloud = tmp_path / "sdk" / "bin" / "gcloud"
    gcloud.parent.mkdir(parents=True)
    gcloud.write_text("#!/bin/sh\n")
    assert not firestore_emulator_installed(str(gcloud))
    (tmp_path / "sdk" / "platform" / "cloud-firestore-emulator").mkdir(parents=True)
    assert firestore_emulator_installed(str(gcloud))


def test_only_the_stores_deployments_get_its_settings() -> None:
    host = "127.0.0.1:9"
    using = {
        label
        for label, target in [
            ("poll_pending", "poll_pending"),
            ("poll_pending-2", "poll_pending"),
            ("update_status", "update_status"),
            ("register_delivery", "register_delivery"),
            ("reprocess", "reprocess"),
            ("reprocess-webhook", "reprocess"),
            ("get_attachments", "get_attachments"),
        ]
        if store_env(label, target, host)
    }
    assert using == {
        "poll_pending",
        "poll_pending-2",
        "update_status",
        "register_delivery",
        "reprocess-webhook",
    }
    assert store_env("update_status", "update_status", host, "memory") == {
        "ROIT_IDEMPOTENCY_STORE": "memory",
        "FIRESTORE_EMULATOR_HOST": host,
    }
