"""roitctl's pure parts shared by every command: env files, a deployed function's recorded
configuration, the Pub/Sub layout, what Google's refusals of the caller mean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.stack import wiring
from roitctl.doctor.run import Kind, infer_kind
from roitctl.environment import EnvFileError, command_environment, deployment_of, read_env_file
from roitctl.layout import Layout, source_topic_of

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


def test_env_file_lines_quotes_comments_and_export(tmp_path) -> None:
    path = tmp_path / "f.env"
    path.write_text(
        "# a comment\n\nexport ROIT_BASE_URL=https://hom.roit.ai\n"
        'ROIT_TOKEN_EXTRA_FIELDS=\'{"grant_type":"client_credentials"}\'\n'
        'ROIT_LOG_LEVEL="DEBUG"\nEMPTY=\nWITH_EQUALS=a=b\n'
    )
    assert read_env_file(path) == {
        "ROIT_BASE_URL": "https://hom.roit.ai",
        "ROIT_TOKEN_EXTRA_FIELDS": '{"grant_type":"client_credentials"}',
        "ROIT_LOG_LEVEL": "DEBUG",
        "EMPTY": "",
        "WITH_EQUALS": "a=b",
    }


def test_env_file_as_json_object(tmp_path) -> None:
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"ROIT_BASE_URL": "https://hom.roit.ai"}))
    assert read_env_file(path) == {"ROIT_BASE_URL": "https://hom.roit.ai"}


def test_env_file_as_gclouds_description_of_a_function(tmp_path) -> None:
    path = tmp_path / "poll-pending.json"
    path.write_text((DATA / "function_v2.json").read_text())
    env = read_env_file(path)
    assert env["ROIT_PENDING_TOPIC"] == "projects/acme-erp-prod/topics/roit-pending"
    assert infer_kind(env) is Kind.POLL_PENDING


def test_a_bad_env_file_names_the_line_never_the_value(tmp_path) -> None:
    path = tmp_path / "f.env"
    path.write_text("ROIT_A=1\nthis is hunter2 not a pair\n")
    with pytest.raises(EnvFileError) as caught:
        read_env_file(path)
    assert ":2:" in str(caught.value) and "hunter2" not in str(caught.value)


def test_an_overlay_replaces_every_roit_variable_of_the_shell() -> None:
    shell = {"PATH": "/bin", "ROIT_BASE_URL": "http://shell", "ROIT_AUTH_SCHEME": "bearer"}
    env = command_environment(shell, {"ROIT_BASE_URL": "https://hom.roit.ai"})
    assert env == {"PATH": "/bin", "ROIT_BASE_URL": "https://hom.roit.ai"}
    assert command_environment(shell) == shell


def test_a_deployed_functions_environment_from_its_recorded_configuration() -> None:
    deployment = deployment_of(json.loads((DATA / "function_v2.json").read_text()))
    assert deployment.name == "poll-pending"
    assert deployment.entry_point == "poll_pending"
    assert deployment.environment["ROIT_BASE_URL"] == "https://hom.roit.ai"
    assert deployment.environment["ROIT_PENDING_TOPIC"].endswith("/topics/roit-pending")
    assert deployment.secret_variables == ["ROIT_WEBHOOK_SECRETS"]
    assert "ROIT_WEBHOOK_SECRETS" not in deployment.environment
    assert infer_kind(deployment.environment) is Kind.POLL_PENDING


def test_the_layout_is_terraforms_and_the_local_stacks() -> None:
    layout = Layout("p")
    assert sorted(layout.topics()) == sorted(
        t for topic in wiring.TOPICS for t in (topic, wiring.dead_letter_topic(topic))
    )
    subscriptions = {name for name, _, _ in layout.wiring()}
    assert subscriptions == {
        wiring.ERP_SUBSCRIPTION,
        *(p.name for p in wiring.PUSH_SUBSCRIPTIONS),
        *(wiring.dead_letter_subscription(t) for t in wiring.TOPICS),
    }
    pubsub_tf = (REPO / "terraform" / "pubsub.tf").read_text()
    assert all(f'"{name}"' in pubsub_tf for name in layout.subscriptions())
    assert '"${each.value}-dead-letter-sub"' in pubsub_tf
    assert source_topic_of("roit-status-dead-letter") == "roit-status"
    assert source_topic_of("roit-status") is None


def test_googles_refusals_of_the_caller_say_what_to_do_in_one_line() -> None:
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    from roitctl.gcp import credentials_problem

    said = {
        auth_exc.DefaultCredentialsError("none"): "gcloud auth application-default login",
        auth_exc.RefreshError("expired"): "gcloud auth application-default login",
        gexc.Unauthenticated("who"): "gcloud auth application-default login",
        gexc.PermissionDenied("no"): "permission denied",
        gexc.Forbidden("no"): "permission denied",
        gexc.NotFound("no project"): "--project",
    }
    for error, words in said.items():
        line = credentials_problem(error)
        assert line is not None and words in line and "\n" not in line, error
    for other in (gexc.ServiceUnavailable("later"), ValueError("bug")):
        assert credentials_problem(other) is None


def test_on_a_terminal_names_stay_whole_when_they_fit_and_nothing_is_hidden_when_not() -> None:
    import io

    from rich.console import Console

    from roitctl import output

    name = "roit-deliveries-dead-letter-sub-of-a-long-named-deployment"
    reason = "ROIT answered 422 on delivery: the supplier's national register is invalid"

    def rendered(width: int) -> str:
        found = output.table(("subscription", "count"), ("reasons",))
        found.add_row(name, "3", reason)
        buffer = io.StringIO()
        terminal = Console(file=buffer, force_terminal=True, width=width, color_system=None)
        output.show(terminal, found)
        return buffer.getvalue()

    wide = rendered(120)
    assert name in wide and max(len(line) for line in wide.splitlines()) <= 120
    narrow = rendered(40)
    assert max(len(line) for line in narrow.splitlines()) <= 40
    rows = [line.split("│")[1:-1] for line in narrow.splitlines() if line.startswith("│")]
    assert "".join(cells[0].strip() for cells in rows) == name  # folded, none of it hidden
    assert " ".join(" ".join(cells[2] for cells in rows).split()) == reason


def test_the_top_level_help_describes_every_command_family() -> None:
    import typer
    from roitctl_helpers import run_cli

    from roitctl.cli import HELP, app

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    assert len(group.commands) >= 7  # doctor, dead-letters and the five going live
    for name, command in group.commands.items():
        subcommands = list(getattr(command, "commands", {}))
        named = f"{name} {' | '.join(subcommands)}" if subcommands else f"{name} ("
        assert named in HELP, f"roitctl --help does not describe {named!r}"
    shown = run_cli("--help")
    assert shown.code == 0 and " ".join(HELP.split()) in " ".join(shown.out.split()), shown.out
