"""The root module's variable validations and preconditions refuse what would break the first
apply or the first week (each probed with `terraform plan` and the stand-in provider), and accept
the documented alternatives."""

from __future__ import annotations

import pytest
from tfhelpers import Workspace


pytestmark = pytest.mark.integration

ENVIRONMENT = "environments/dev.tfvars"
SA = "serviceAccount:erp@erp-project.iam.gserviceaccount.com"

REFUSED = [
    ('erp_subscriber_members=["allUsers"]', "never allUsers or allAuthenticatedUsers"),
    ('erp_publisher_members=["allAuthenticatedUsers"]', "never allUsers or allAuthenticatedUsers"),
    ('erp_publisher_members=["domain:example.com"]', "Each ERP member must be"),
    ('attachments_invoker_members=["allUsers"]', "get-attachments is never public"),
    ("alert_email_addresses=[]", "Give at least one alert_email_addresses entry"),
    ('alert_email_addresses=["not-an-address"]', "Each alert address must be an e-mail"),
    ('notification_channels=["channel-1"]', "projects/PROJECT/notificationChannels/ID"),
    (
        "kms_key_name=projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
        "The KMS key must be in the data region",
    ),
    ("kms_key_name=my-key", "projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY"),
    ('function_settings={ "poll-pending" = { max_instances = 2 } }', "poll-pending keeps"),
    ('function_settings={ "poll-pending" = { max_concurrency = 4 } }', "poll-pending keeps"),
    ('function_settings={ "poll-pending" = { timeout_s = 900 } }', "must exceed poll-pending's"),
    ("poll_interval_minutes=7", "The poll interval must divide an hour evenly"),
    (
        'function_settings={ "register-delivery" = { timeout_s = 601 } }',
        "exceeds 600 s, the longest Pub/Sub waits for a push answer",
    ),
    ('roit_token={ request_format = "xml" }', "roit_token.request_format must be json or form"),
    ('roit_token={ client_auth = "header" }', "roit_token.client_auth must be body or basic"),
    ('roit_token={ expires_in_field = "" }', "must not be empty"),
    ("message_retention_s=2678401", "between 600 s (10 minutes) and 2678400 s (31 days)"),
    ("erp_backlog_alert_age_s=604800", "shorter than message_retention_s"),
    ("data_region=Brazil", "The data region must be a Google Cloud region name"),
    ("erp_max_delivery_attempts=4", "Pub/Sub accepts 5 to 100 delivery attempts"),
]

ACCEPTED = [
    f'erp_subscriber_members=["{SA}", "group:erp@example.com"]',
    'erp_publisher_members=["principalSet://iam.googleapis.com/projects/1/locations/global/'
    'workloadIdentityPools/erp/*"]',
    'notification_channels=["projects/roit-connector-dev/notificationChannels/42"]',
    "kms_key_name=projects/k/locations/southamerica-east1/keyRings/r/cryptoKeys/k",
    "poll_interval_minutes=60",
    'roit_token={ request_format = "form", client_auth = "basic", '
    'extra_fields = { grant_type = "client_credentials" } }',
    "message_retention_s=2678400",
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("validations"))


def test_refused(workspace: Workspace) -> None:
    outcomes = workspace.plan_many([(variable,) for variable, _ in REFUSED], ENVIRONMENT)
    wrong = []
    for (variable, message), outcome in zip(REFUSED, outcomes, strict=True):
        text = " ".join(outcome.output.split())
        if outcome.ok or message not in text:
            wrong.append(f"{variable}: {'accepted' if outcome.ok else text[-600:]}")
    assert wrong == [], "\n".join(wrong)


def test_accepted(workspace: Workspace) -> None:
    outcomes = workspace.plan_many([(variable,) for variable in ACCEPTED], ENVIRONMENT)
    refused = [
        f"{variable}: {outcome.output[-1500:]}"
        for variable, outcome in zip(ACCEPTED, outcomes, strict=True)
        if not outcome.ok
    ]
    assert refused == [], "\n".join(refused)


def test_a_short_message_age_is_a_warning_not_an_error(workspace: Workspace) -> None:
    """The code accepts any age from 60 s, so Terraform does too, but says what it costs."""
    outcome = workspace.plan(ENVIRONMENT, "max_message_age_s=3600")
    assert outcome.ok, outcome.output[-2000:]
    assert "Check block assertion failed" in outcome.output
    assert "dead-lettered as too_old" in " ".join(outcome.output.split())
