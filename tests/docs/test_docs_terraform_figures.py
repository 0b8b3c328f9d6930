"""The Pub/Sub figures the guides quote in prose are Terraform's: each sentence is rebuilt here
from terraform/variables.tf and terraform/pubsub.tf (read with python-hcl2, as the generated
reference is) and must be found, whitespace aside, in its guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_scripts import load

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
TF = load("tf_values")
VARIABLES = {k: v.get("default") for k, v in TF._variables(REPO / "terraform/variables.tf").items()}
PUBSUB = TF._locals(REPO / "terraform/pubsub.tf")
DAY, HOUR = 86_400, 3_600


def _page(name: str) -> str:
    return re.sub(r"\s+", " ", (REPO / "docs" / name).read_text(encoding="utf-8"))


def _sentences() -> list[tuple[str, str]]:
    low, high = PUBSUB["push_minimum_backoff_s"], PUBSUB["push_maximum_backoff_s"]
    attempts = PUBSUB["push_max_delivery_attempts"]
    return [
        (
            "erp-contract.md",
            f"The subscription's ack deadline is {VARIABLES['erp_ack_deadline_s']} s "
            "(`erp_ack_deadline_s`)",
        ),
        (
            "erp-contract.md",
            f"after {VARIABLES['erp_max_delivery_attempts']} deliveries "
            "(`erp_max_delivery_attempts`)",
        ),
        (
            "erp-contract.md",
            f"Unacknowledged messages are kept {VARIABLES['message_retention_s'] // DAY} days "
            "(`message_retention_s`)",
        ),
        (
            "operations.md",
            "older than `erp_backlog_alert_age_s` "
            f"({VARIABLES['erp_backlog_alert_age_s'] // HOUR} h)",
        ),
        ("operations.md", f"They are kept {PUBSUB['dead_letter_retention_s'] // DAY} days"),
        (
            "concepts.md",
            f"a retry backoff from {low} s to {high} s and {attempts} delivery attempts",
        ),
        ("local.md", f"dead letter after {VARIABLES['erp_max_delivery_attempts']})"),
        ("local.md", f"Terraform: {attempts})"),
    ]


@pytest.mark.parametrize(("page", "sentence"), _sentences())
def test_the_guide_quotes_terraform(page: str, sentence: str) -> None:
    assert sentence in _page(page), f"{page} no longer says: {sentence}"
