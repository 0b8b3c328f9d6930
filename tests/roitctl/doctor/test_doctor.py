"""``roitctl doctor`` against the real sandbox, Secret Manager stand-in and Pub/Sub emulator."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from roitctl_helpers import SECRET_MARKER, Result, cli_process, pull, run_cli, write_env

from devstack.stack import wiring

pytestmark = pytest.mark.integration

JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
SCOPE = {"scope": "roit.integration"}
NOWHERE = {"update_status": "http://127.0.0.1:9/", "register_delivery": "http://127.0.0.1:9/"}


@pytest.fixture(scope="module")
def wired(pubsub_emulator) -> str:
    """A project wired as Terraform wires it (the push endpoints lead nowhere)."""
    project = f"doctor-{uuid.uuid4().hex[:8]}"
    wiring.wire(pubsub_emulator.host, project, NOWHERE)
    return project


@pytest.fixture
def env(sandbox, secret_manager, pubsub_emulator, wired) -> dict[str, str]:
    """poll_pending's environment, credentials in the Secret Manager stand-in."""
    secret = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    secret_manager.put("doctor-credentials", json.dumps(secret))
    return {
        "ROIT_BASE_URL": sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_GCP_PROJECT": wired,
        "ROIT_CREDENTIALS_SECRET": f"projects/{secret_manager.project}/secrets/doctor-credentials",
        "ROIT_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
        "PUBSUB_EMULATOR_HOST": pubsub_emulator.host,
        "ROIT_PENDING_TOPIC": "roit-pending",
        "ROIT_DEAD_LETTER_TOPIC": "roit-pending-dead-letter",
        "ROIT_RETRY_MAX_ATTEMPTS": "2",
        "ROIT_RETRY_BACKOFF_BASE_S": "0.05",
    }


def doctor(tmp_path, env: dict[str, str], *args: str, as_json: bool = True) -> Result:
    path = write_env(tmp_path / f"{uuid.uuid4().hex}.env", env)
    return run_cli("doctor", "--env-file", str(path), *(["--json"] if as_json else []), *args)


def checks(result: Result) -> dict[str, dict]:
    return {c["check"]: c for c in result.json()["checks"]}


def fixes_as_env(check: dict) -> dict[str, str]:
    """The ``VAR=value`` lines doctor printed, as an env file would read them."""
    pairs = (fix.split("=", 1) for fix in check["fix"] if re.match(r"^ROIT_[A-Z_]+=", fix))
    return {name: value.strip("'") for name, value in pairs}


def assert_nothing_secret(result: Result, sandbox) -> None:
    text = result.out + result.err
    assert sandbox.client_secret not in text
    assert not JWT.search(text)
    assert "Bearer " not in text


def test_a_good_configuration_passes_with_no_side_effect_at_roit(tmp_path, env, sandbox) -> None:
    result = doctor(tmp_path, env)
    assert result.code == 0, result.out
    found = checks(result)
    assert [c["status"] for c in found.values()].count("failed") == 0
    assert found["settings"]["detail"] == "valid for poll_pending"
    assert found["token exchange"]["status"] == "ok"
    assert "a JWT at data.token" in found["token exchange"]["detail"]
    assert "8 h 00 min (from the JWT's exp)" in found["token exchange"]["detail"]
    assert found["authorization scheme"]["status"] == "ok"
    assert found["publish permission"] == {
        "check": "publish permission",
        "status": "skipped",
        "detail": "the emulator has no IAM",
        "fix": [],
    }
    assert found["topics"]["status"] == found["subscriptions"]["status"] == "ok"
    assert found["dead letters roit-status-dead-letter-sub"]["detail"].startswith("0 waiting")
    calls = sandbox.control.stats()["calls"]
    roit_calls = {k: v for k, v in calls.items() if k not in ("_sandbox",)}
    assert roit_calls == {"token": {"200": 1}, "attachs": {"404": 1}}  # nothing else at ROIT
    assert_nothing_secret(result, sandbox)

    human = doctor(tmp_path, env, as_json=False)
    assert human.code == 0
    assert "every check that ran passed (1 skipped)" in human.out
    assert_nothing_secret(human, sandbox)


@pytest.mark.parametrize("shape", ["roit-json", "oauth2-form", "oauth2-basic"])
@pytest.mark.parametrize("scope", [False, True], ids=["", "scope"])
@pytest.mark.parametrize("opaque", [False, True], ids=["jwt", "opaque"])
def test_every_token_shape_is_found_and_its_settings_printed(
    tmp_path, env, sandbox, shaped, shape, scope, opaque
) -> None:
    shaped(token_shape=shape, token_required_fields=SCOPE if scope else {}, opaque_tokens=opaque)
    if scope:  # a scope only ROIT can tell: it is configured, the shape is left to doctor
        env["ROIT_TOKEN_EXTRA_FIELDS"] = json.dumps(SCOPE)
    first = doctor(tmp_path, env, "--no-pubsub")
    token = checks(first)["token exchange"]
    assert_nothing_secret(first, sandbox)
    if shape == "roit-json":
        assert first.code == 0, token
    else:
        assert first.code == 1 and token["status"] == "failed", token
        assert "ROIT_TOKEN_REQUEST_FORMAT=form" in token["fix"]
        assert ("ROIT_TOKEN_CLIENT_AUTH=basic" in token["fix"]) is (shape == "oauth2-basic")
        assert "ROIT_TOKEN_RESPONSE_FIELD=access_token" in token["fix"]
        assert ("ROIT_TOKEN_EXPIRES_IN_FIELD=expires_in" in token["fix"]) is opaque
    kind = "an opaque token" if opaque else "a JWT"
    assert f"issued {kind}" in token["detail"]
    assert "valid 8 h 00 min" in token["detail"]
    assert checks(first)["authorization scheme"]["status"] == "ok"  # tried with that token

    second = doctor(tmp_path, {**env, **fixes_as_env(token)}, "--no-pubsub")
    assert second.code == 0, second.out
    assert checks(second)["token exchange"]["fix"] == []


def test_a_token_elsewhere_in_the_answer_is_found(tmp_path, env) -> None:
    result = doctor(tmp_path, {**env, "ROIT_TOKEN_RESPONSE_FIELD": "data.jwt"}, "--no-pubsub")
    token = checks(result)["token exchange"]
    assert result.code == 1
    assert token["fix"] == ["ROIT_TOKEN_RESPONSE_FIELD=data.token"]


def test_a_required_scope_that_is_not_configured_is_named(tmp_path, env, shaped) -> None:
    shaped(token_shape="oauth2-basic", token_required_fields=SCOPE)
    result = doctor(tmp_path, env, "--no-pubsub")
    token = checks(result)["token exchange"]
    assert result.code == 1 and token["status"] == "failed"
    assert "refused every supported shape" in token["detail"]
    assert "'scope' missing" in token["detail"]  # the endpoint's own words
    assert any("ROIT_TOKEN_EXTRA_FIELDS" in fix for fix in token["fix"])
    assert checks(result)["authorization scheme"]["status"] == "skipped"


def test_an_opaque_token_without_lifetime_is_pointed_out(tmp_path, env, shaped) -> None:
    shaped(opaque_tokens=True)
    result = doctor(tmp_path, {**env, "ROIT_TOKEN_EXPIRES_IN_FIELD": "data.nothing"}, "--no-pubsub")
    token = checks(result)["token exchange"]
    assert token["fix"] == ["ROIT_TOKEN_EXPIRES_IN_FIELD=data.expiresIn"]


def test_a_wrong_token_url_is_named(tmp_path, env) -> None:
    result = doctor(tmp_path, {**env, "ROIT_TOKEN_URL": "/oauth/token"}, "--no-pubsub")
    token = checks(result)["token exchange"]
    assert result.code == 1
    assert "/oauth/token" in token["detail"] and "404" in token["detail"]
    assert token["fix"] == ["check ROIT_TOKEN_URL"]


REACH = {
    "dns": "does not resolve (DNS)",
    "refused": "refused the connection",
    "path": "(a wrong path)",
}


@pytest.mark.parametrize(
    ("setting", "url", "said"),
    [
        ("ROIT_TOKEN_URL", "http://roit-no-such-host.invalid/oauth/token", "dns"),
        ("ROIT_BASE_URL", "http://roit-no-such-host.invalid", "dns"),
        ("ROIT_TOKEN_URL", "http://127.0.0.1:{port}/oauth/token", "refused"),
        ("ROIT_TOKEN_URL", "/no/such/token/path", "path"),
    ],
    ids=["token-url-dns", "base-url-dns", "refused", "wrong-path"],
)
def test_a_name_that_does_not_resolve_is_told_from_a_refused_connection_and_a_wrong_url(
    tmp_path, env, setting, url, said
) -> None:
    from devstack.processes.ports import free_port

    wrong = url.format(port=free_port())  # a port nothing listens on
    result = doctor(tmp_path, {**env, setting: wrong}, "--no-pubsub")
    token = checks(result)["token exchange"]
    assert result.code == 1 and token["status"] == "failed"
    assert REACH[said] in token["detail"], token
    assert not [w for k, w in REACH.items() if k != said and w in token["detail"]], token
    assert setting in " ".join(token["fix"]) or "ROIT_TOKEN_URL" in " ".join(token["fix"])
    assert "Traceback" not in result.out + result.err


def test_doctor_tables_keep_a_long_url_whole_off_a_terminal(tmp_path, env) -> None:
    url = "http://roit-a-host-name-much-longer-than-any-column-could-hold.invalid/oauth/token"
    path = write_env(tmp_path / "long.env", {**env, "ROIT_TOKEN_URL": url})
    process = cli_process("doctor", "--env-file", str(path), "--no-pubsub", env={"COLUMNS": "50"})
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, (out, err)
    assert url in out and "does not resolve (DNS)" in out


@pytest.mark.parametrize("scheme", ["raw", "bearer"])
def test_the_authorization_scheme_that_works_is_printed(
    tmp_path, sandbox, bearer_sandbox, scheme
) -> None:
    env = {
        "ROIT_BASE_URL": bearer_sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_CLIENT_ID": sandbox.client_id,
        "ROIT_CLIENT_SECRET": sandbox.client_secret,
        "ROIT_AUTH_SCHEME": scheme,
    }
    result = doctor(tmp_path, env, "--no-pubsub")
    check = checks(result)["authorization scheme"]
    if scheme == "raw":
        assert result.code == 1
        assert check["fix"] == ["ROIT_AUTH_SCHEME=bearer"]
        assert "raw -> 401, bearer -> 404" in check["detail"]
    else:
        assert result.code == 0, check
        assert "bearer -> 404" in check["detail"]
    assert_nothing_secret(result, sandbox)


def test_the_probe_request_id_is_configurable(tmp_path, env, sandbox) -> None:
    (request_id,) = sandbox.control.reset(documents=1)
    result = doctor(tmp_path, env, "--no-pubsub", "--probe-request-id", request_id)
    assert result.code == 0
    assert request_id in checks(result)["authorization scheme"]["detail"]
    assert sandbox.control.stats()["calls"]["attachs"] == {"200": 1}
    assert sandbox.control.request(request_id)["status"] == "PENDING"  # nothing changed


def test_an_unreadable_credentials_secret_stops_the_roit_checks(
    tmp_path, env, sandbox, secret_manager
) -> None:
    missing = {**env, "ROIT_CREDENTIALS_SECRET": f"projects/{secret_manager.project}/secrets/nope"}
    result = doctor(tmp_path, missing, "--no-pubsub")
    found = checks(result)
    assert result.code == 1
    assert found["credentials"]["status"] == "failed"
    assert "cannot be read (NotFound)" in found["credentials"]["detail"]
    assert found["token exchange"]["status"] == found["authorization scheme"]["status"] == "skipped"

    secret_manager.put("doctor-bad", json.dumps({"client_secret": SECRET_MARKER}))
    bad = {
        **env,
        "ROIT_CREDENTIALS_SECRET": f"projects/{secret_manager.project}/secrets/doctor-bad",
    }
    result = doctor(tmp_path, bad, "--no-pubsub", as_json=False)
    assert result.code == 1
    assert "not JSON with client_id and client_secret" in result.out
    assert SECRET_MARKER not in result.out + result.err
    assert sandbox.control.stats()["tokenExchanges"] == 0


def test_invalid_settings_name_the_variable_never_the_value(tmp_path, env) -> None:
    result = doctor(tmp_path, {**env, "ROIT_RETRY_MAX_ATTEMPTS": SECRET_MARKER}, "--no-pubsub")
    settings = checks(result)["settings"]
    assert result.code == 1 and settings["status"] == "failed"
    assert "ROIT_RETRY_MAX_ATTEMPTS" in settings["detail"]
    assert SECRET_MARKER not in result.out + result.err

    gone = {k: v for k, v in env.items() if k != "ROIT_BASE_URL"}
    result = doctor(tmp_path, gone, "--no-pubsub")
    assert "ROIT_BASE_URL: is required" in checks(result)["settings"]["detail"]
    assert checks(result)["token exchange"]["status"] == "skipped"


def test_a_functions_own_settings_are_checked_with_as(tmp_path, env) -> None:
    common = {k: v for k, v in env.items() if not k.endswith("_TOPIC")}
    result = doctor(tmp_path, common, "--no-pubsub", "--as", "update_status")
    settings = checks(result)["settings"]
    assert result.code == 1
    assert "ROIT_DEAD_LETTER_TOPIC: is required" in settings["detail"]
    assert checks(result)["token exchange"]["status"] == "ok"  # the common settings suffice
    assert doctor(tmp_path, common, "--no-pubsub").code == 0  # nothing says which function


def test_missing_pubsub_resources_fail_and_backlogs_are_read_without_consuming(
    tmp_path, env, pubsub_emulator
) -> None:
    empty = f"doctor-empty-{uuid.uuid4().hex[:6]}"
    result = doctor(tmp_path, {**env, "ROIT_GCP_PROJECT": empty})
    found = checks(result)
    assert result.code == 1
    assert found["topics"]["status"] == found["subscriptions"]["status"] == "failed"
    assert "roit-pending: does not exist" in found["topics"]["detail"]

    project = f"doctor-dl-{uuid.uuid4().hex[:6]}"
    wiring.wire(pubsub_emulator.host, project, NOWHERE)
    publisher, subscriber = wiring.emulator_clients(pubsub_emulator.host)
    try:
        topic = f"projects/{project}/topics/roit-status-dead-letter"
        for n in range(2):
            publisher.publish(topic, b"{}", error="roit_rejected_422", n=str(n)).result(30)
        result = doctor(tmp_path, {**env, "ROIT_GCP_PROJECT": project})
        backlog = checks(result)["dead letters roit-status-dead-letter-sub"]
        assert result.code == 0
        assert backlog["detail"].startswith("2 waiting, oldest ")
        assert backlog["fix"] == ["roitctl dead-letters list roit-status-dead-letter-sub"]
        path = f"projects/{project}/subscriptions/roit-status-dead-letter-sub"
        assert len(pull(subscriber, path, 2, 20)) == 2  # still there, at once
    finally:
        subscriber.close()
        publisher.stop()


def test_as_a_real_process_with_its_exit_status(tmp_path, env, sandbox) -> None:
    path = write_env(tmp_path / "poll.env", env)
    process = cli_process("doctor", "--env-file", str(path))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err
    assert "token exchange" in out and "every check that ran passed" in out
    assert_nothing_secret(Result(0, out, err), sandbox)

    write_env(path, {**env, "ROIT_AUTH_SCHEME": "bearer"})
    process = cli_process("doctor", "--env-file", str(path), "--no-pubsub")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "ROIT_AUTH_SCHEME=raw" in out


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"error_rate": 1.0, "error_status": 503}, "ROIT's token endpoint is failing"),
        ({"malformed_next": 5}, "non-JSON body"),
    ],
)
def test_a_failing_token_endpoint_is_not_mistaken_for_a_shape(
    tmp_path, env, sandbox, fault, said
) -> None:
    sandbox.control.set_fault("token", **fault)
    result = doctor(tmp_path, env, "--no-pubsub")
    token = checks(result)["token exchange"]
    assert result.code == 1 and said in token["detail"]
    assert "OAuth2" not in token["detail"]  # no other shape was tried
    assert checks(result)["authorization scheme"]["status"] == "skipped"


def test_where_the_settings_come_from_is_one_place(tmp_path, env) -> None:
    path = write_env(tmp_path / "x.env", env)
    both = run_cli("doctor", "--env-file", str(path), "--function", "poll-pending")
    assert both.code == 2 and "not both" in both.err
    no_region = run_cli("doctor", "--function", "poll-pending")
    assert no_region.code == 2 and "--region" in no_region.err
    bad = tmp_path / "bad.env"
    bad.write_text(f"ROIT_BASE_URL=x\n{SECRET_MARKER}\n")
    result = run_cli("doctor", "--env-file", str(bad))
    assert result.code == 2 and "bad.env:2: not KEY=VALUE" in result.err
    assert SECRET_MARKER not in result.err


def test_the_connectors_own_logs_never_mix_into_the_output(tmp_path, env, sandbox) -> None:
    import logging

    from shared.core.logs import configure_logging

    configure_logging("DEBUG")  # as a function would (the handler writes to stdout)
    sandbox.control.set_fault("token", error_rate=1.0, error_status=503)
    result = doctor(tmp_path, env, "--no-pubsub")
    assert result.json()["passed"] is False  # stdout is one JSON document
    assert logging.getLogger("roit").level == logging.DEBUG  # given back after the command
