"""Hand tools for a running stack: signing, curl commands, push envelopes, the state file,
and the reconciliation table."""

from __future__ import annotations

import json
import os
import shlex
from datetime import UTC, datetime

import pytest
import standardwebhooks

from devstack import cli, tools
from devstack.report import Check, reconciled, render
from devstack.stack import state
from devstack.stack.layout import new_webhook_secret

pytestmark = pytest.mark.integration


def test_signed_headers_verify_with_standard_webhooks():
    secret = new_webhook_secret()
    body = '{"requestId": "abc"}'
    headers = tools.signed_headers(secret, body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert standardwebhooks.Webhook(secret).verify(body, headers) == {"requestId": "abc"}
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(new_webhook_secret()).verify(body, headers)


def test_curl_command_round_trips_through_the_shell():
    body = """{"requestId": "it's"}"""
    command = tools.curl_command("http://127.0.0.1:1/", body, {"webhook-id": "msg_1"})
    argv = shlex.split(command)
    assert argv[:5] == ["curl", "-sS", "-X", "POST", "http://127.0.0.1:1/"]
    assert argv[argv.index("--data-raw") + 1] == body
    assert "webhook-id: msg_1" in argv


def test_push_envelope_is_what_the_functions_parse():
    from shared.push.envelope import parse_push

    envelope = tools.push_envelope(
        '{"requestId": "r"}', subscription="projects/p/subscriptions/s", attributes={"k": "v"}
    )
    message = parse_push(json.loads(json.dumps(envelope)), {})
    assert message.data == b'{"requestId": "r"}'
    assert message.attributes == {"k": "v"}
    assert message.subscription == "projects/p/subscriptions/s"
    assert message.publish_time is not None
    assert message.publish_time <= datetime.now(UTC)


def test_sign_command_prints_a_signed_curl(capsys):
    secret = new_webhook_secret()
    code = cli.main(["sign", '{"requestId": "r"}', "--url", "http://h/", "--secret", secret])
    assert code == 0
    argv = shlex.split(capsys.readouterr().out)
    headers = dict(a.split(": ", 1) for a in argv if a.startswith("webhook-"))
    body = argv[argv.index("--data-raw") + 1]
    assert standardwebhooks.Webhook(secret).verify(body, headers) == {"requestId": "r"}


def test_reconciliation_table():
    good = Check("1. poll", "entities fetched", 5, 5, "sandbox")
    bad = Check("1. poll", "entities published", 5, 4, "poll summary")
    assert reconciled([good])
    assert not reconciled([good, bad])
    assert not reconciled([])
    table = render([good, bad])
    assert "1. poll" in table
    assert "MISMATCH" in table.splitlines()[-1]
    assert table.splitlines()[-2].endswith("ok")


@pytest.mark.integration
def test_pull_only_looks_unless_told_to_acknowledge(pubsub_emulator, tmp_path, monkeypatch, capsys):
    from devstack.stack.wiring import emulator_clients

    monkeypatch.setenv("DEVSTACK_STATE_DIR", str(tmp_path))
    state.write_state("pull-test", {"pid": os.getpid(), "project": pubsub_emulator.project,
                                    "pubsubEmulatorHost": pubsub_emulator.host})  # fmt: skip
    publisher, subscriber = emulator_clients(pubsub_emulator.host)
    topic = f"projects/{pubsub_emulator.project}/topics/pull-look"
    sub = f"projects/{pubsub_emulator.project}/subscriptions/pull-look-sub"
    publisher.create_topic(name=topic)
    subscriber.create_subscription(request={"name": sub, "topic": topic})
    try:
        publisher.publish(topic, b'{"n": 1}').result(timeout=30)

        def pulled(*flags: str) -> list[dict]:
            assert cli.main(["pull", "pull-look-sub", *flags]) == 0
            return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

        assert [m["data"] for m in pulled()] == ['{"n": 1}']
        assert [m["data"] for m in pulled()] == ['{"n": 1}']  # given back, not hidden for 60 s
        assert len(pulled("--ack")) == 1
        assert pulled() == []  # acknowledged: gone

        # a wrong name: one line naming the valid ones, exit 2, never a gRPC traceback
        assert cli.main(["pull", "pull-look-typo"]) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: no subscription 'pull-look-typo' on stack pull-test")
        assert "subscriptions: pull-look-sub" in error
        assert cli.main(["publish", "pull-lok", "{}"]) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: no topic 'pull-lok' on stack pull-test")
        assert "topics: pull-look" in error
        assert cli.main(["publish", "pull-look", '{"n": 2}', "--attr", "k=v"]) == 0
        assert "to pull-look on stack pull-test" in capsys.readouterr().out
        for output in (error,):
            assert len(output.strip().splitlines()) == 1 and "Traceback" not in output
    finally:
        subscriber.delete_subscription(request={"subscription": sub})
        publisher.delete_topic(request={"topic": topic})
        subscriber.close()
        publisher.stop()
