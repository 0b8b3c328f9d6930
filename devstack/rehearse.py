"""`make rehearse` (`python -m devstack.rehearse`): a go-live rehearsed on the local stack.

The same `roitctl` commands an operator runs against a project, each as its own process:

1. the stack starts as an apply leaves a project: the secrets exist with no value (the Secret
   Manager stand-in), the functions are up (they answer 503 until the secrets are readable);
   the sandbox accepts a client secret made up for this run;
2. `roitctl setup` writes the tfvars and adds the credentials (from standard input) and a
   generated webhook secret; run again, it changes nothing;
3. `roitctl token-settings` asks the sandbox's token endpoint what it needs;
4. the outputs `terraform output -json` would print are written from the stack's names;
5. `roitctl handover erp` and `handover partner` write the sheets; the ERP sheet's Python
   example is run as printed (it pulls a pending message and publishes its status);
6. `roitctl smoke --local-env-dir` checks every function, one poll page, Pub/Sub, the dead
   letters; Cloud Monitoring's checks say "not applicable locally";
7. `roitctl webhook-secret rotate` then `retire`, and smoke again.

Everything each command printed is kept in `<workdir>/transcript.txt`; the stack's logs in
`<workdir>/stack`. Exit status 0 when every step passed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes.managed import REPO_ROOT
from devstack.stack import wiring
from devstack.stack.layout import INTEGRATION_ID, SANDBOX_CLIENT_ID, StackOptions
from devstack.stack.local import LocalStack

__all__ = ["Rehearsal", "main", "rehearse"]

ERP_PRINCIPAL = "serviceAccount:erp-connector@rehearsal-erp.iam.gserviceaccount.com"
DEPLOYMENT_NAMES = {  # the stack's process labels -> terraform's deployment names
    "poll_pending": "poll-pending",
    "update_status": "update-status",
    "register_delivery": "register-delivery",
    "reprocess": "reprocess",
    "reprocess-webhook": "reprocess-webhook",
    "get_attachments": "get-attachments",
}


@dataclass
class Rehearsal:
    """What a rehearsal did: each step's verdict, and the files it wrote."""

    workdir: Path
    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    client_secret: str = ""
    webhook_secrets: list[str] = field(default_factory=list)  # every version's, in order

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(ok for _, ok, _ in self.steps)


def _outputs(stack: LocalStack) -> dict[str, Any]:
    """What `terraform output -json` prints, for the stack's names."""
    project = stack.options.project
    uris = {DEPLOYMENT_NAMES[s.label]: stack.function_url(s.label) for s in stack.functions}

    def value(v: Any) -> dict[str, Any]:
        return {"sensitive": False, "value": v}

    return {
        "function_uris": value(uris),
        "topics": value({t: f"projects/{project}/topics/{t}" for t in wiring.TOPICS}),
        "erp_subscription": value(f"projects/{project}/subscriptions/{wiring.ERP_SUBSCRIPTION}"),
        "dead_letter_subscriptions": value(
            {
                t: f"projects/{project}/subscriptions/{wiring.dead_letter_subscription(t)}"
                for t in wiring.TOPICS
            }
        ),
        "notification_channels": value([]),
    }


class _Runner:
    """Runs one command, keeps its output in the transcript, records the step."""

    def __init__(self, result: Rehearsal, say: Callable[[str], None]) -> None:
        self.result = result
        self.say = say
        self.transcript = result.workdir / "transcript.txt"
        self.base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("ROIT_", "PUBSUB_"))
        }

    def run(
        self, step: str, argv: list[str], *, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.base_env, **(env or {})},
            cwd=REPO_ROOT,
            timeout=600,
            check=False,
        )
        with self.transcript.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {' '.join(argv[2:] if argv[1] == '-m' else argv)}\n")
            handle.write(done.stdout + done.stderr + f"[exit {done.returncode}]\n\n")
        return done

    def step(self, name: str, ok: bool, detail: str) -> bool:
        self.result.steps.append((name, ok, detail))
        self.say(f"{'ok    ' if ok else 'FAILED'} {name}: {detail}")
        return ok


def _roitctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "roitctl", *args]


def rehearse(workdir: Path, say: Callable[[str], None] = print) -> Rehearsal:
    """Run the rehearsal in `workdir` (emptied first)."""
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    result = Rehearsal(workdir, client_secret=secrets.token_urlsafe(24))
    options = StackOptions(
        client_secret=result.client_secret,
        fill_secrets=False,
        seed_documents=3,
        log_dir=workdir / "stack",
        keep_logs=True,
    )
    (workdir / "stack").mkdir()
    with LocalStack(options) as stack:
        try:
            _steps(stack, _Runner(result, say))
        finally:
            result.webhook_secrets = _webhook_history(stack)
    return result


def _webhook_history(stack: LocalStack) -> list[str]:
    from devstack.processes.secret_client import local_client
    from devstack.stack.layout import WEBHOOK_SECRETS_SECRET

    client = local_client(stack.secret_manager_endpoint)
    parent = f"projects/{stack.options.project}/secrets/{WEBHOOK_SECRETS_SECRET}"
    values = []
    for version in client.list_secret_versions(request={"parent": parent}):
        data = client.access_secret_version(request={"name": version.name}).payload.data
        values += data.decode().split()
    return values


def _steps(stack: LocalStack, runner: _Runner) -> None:
    work = runner.result.workdir
    tfvars, outputs = work / "rehearsal.tfvars", work / "outputs.json"
    endpoint = ["--secret-manager-endpoint", stack.secret_manager_endpoint]
    credentials = json.dumps(
        {"client_id": SANDBOX_CLIENT_ID, "client_secret": runner.result.client_secret}
    )
    setup = _roitctl(
        "setup", "--tfvars", str(tfvars), "--project", stack.options.project,
        "--environment", "dev", "--roit-env", "hom", "--integration-id", INTEGRATION_ID,
        "--team-group", "roit-team@rehearsal.test", "--erp-principal", ERP_PRINCIPAL,
        "--alert-email", "roit-oncall@rehearsal.test", "--credentials-file", "-",
        *endpoint, "--json",
    )  # fmt: skip
    first = runner.run("setup", setup, stdin=credentials)
    report = json.loads(first.stdout) if first.returncode == 0 else {}
    added = report.get("credentials", "").startswith("added") and report.get(
        "webhookSecret", ""
    ).startswith("added")
    runner.step("setup", added, f"exit {first.returncode}; {_brief(report)}")
    again = runner.run("setup again", setup, stdin=credentials)
    report = json.loads(again.stdout) if again.returncode == 0 else {}
    unchanged = report.get("credentials") == "unchanged" and not report["tfvars"]["changed"]
    runner.step("setup again", unchanged, f"exit {again.returncode}; {_brief(report)}")

    token = runner.run(
        "token-settings",
        _roitctl("token-settings", "--tfvars", str(tfvars), "--base-url", stack.sandbox_url,
                 *endpoint),
    )  # fmt: skip
    runner.step("token-settings", token.returncode == 0, token.stdout.strip() or token.stderr)

    outputs.write_text(json.dumps(_outputs(stack), indent=2), encoding="utf-8")
    names = ["--outputs", str(outputs), "--tfvars", str(tfvars)]
    for sheet in ("erp", "partner"):
        done = runner.run(f"handover {sheet}", _roitctl("handover", sheet, *names))
        (work / f"handover-{sheet}.md").write_text(done.stdout, encoding="utf-8")
        runner.step(f"handover {sheet}", done.returncode == 0, f"{len(done.stdout)} characters")

    pubsub = {"PUBSUB_EMULATOR_HOST": stack.pubsub_host}
    local = ["--local-env-dir", str(stack.env_file("poll_pending").parent)]
    _smoke(runner, "smoke", [*names, *local], pubsub)

    erp = runner.run("handover erp --json", _roitctl("handover", "erp", *names, "--json"))
    example = json.loads(erp.stdout)["example"]["python"] if erp.returncode == 0 else ""
    ran = runner.run("the ERP sheet's example", [sys.executable, "-c", example], env=pubsub)
    published = ran.returncode == 0 and "status published for" in ran.stdout
    runner.step("the ERP sheet's example", published, ran.stdout.strip() or ran.stderr[-300:])
    _signed_call(stack, runner, names, ran.stdout.rsplit(" ", 1)[-1].strip())

    for action in ("rotate", "retire"):
        done = runner.run(action, _roitctl("webhook-secret", action, "--tfvars", str(tfvars),
                                           *endpoint))  # fmt: skip
        runner.step(f"webhook-secret {action}", done.returncode == 0, done.stdout.splitlines()[0]
                    if done.stdout else done.stderr.strip())  # fmt: skip
    _smoke(runner, "smoke after the rotation", [*names, *local], pubsub)


def _signed_call(stack: LocalStack, runner: _Runner, names: list[str], request_id: str) -> None:
    """The partner sheet's example, run as printed, with the secret the partner would hold."""
    from devstack.processes.secret_client import local_client
    from devstack.stack.layout import WEBHOOK_SECRETS_SECRET

    sheet = runner.run("handover partner --json", _roitctl("handover", "partner", *names, "--json"))
    example = json.loads(sheet.stdout)["signing"]["example"] if sheet.returncode == 0 else ""
    name = f"projects/{stack.options.project}/secrets/{WEBHOOK_SECRETS_SECRET}/versions/latest"
    value = local_client(stack.secret_manager_endpoint).access_secret_version(name=name)
    secret = value.payload.data.decode().split()[-1]
    code = example.replace("<ROIT request id>", request_id)
    ran = runner.run("the partner sheet's signed call", [sys.executable, "-c", code],
                     env={"ROIT_WEBHOOK_SECRET": secret})  # fmt: skip
    accepted = ran.returncode == 0 and ran.stdout.startswith("200 ")
    runner.step("the partner sheet's signed call", accepted, ran.stdout[:80] or ran.stderr[-300:])


def _smoke(runner: _Runner, step: str, args: list[str], env: dict[str, str]) -> None:
    done = runner.run(step, _roitctl("smoke", *args, "--json"), env=env)
    try:
        checks = json.loads(done.stdout)["checks"]
    except (ValueError, KeyError):
        runner.step(step, False, f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
        return
    for check in checks:
        runner.say(f"         {check['status']:7} {check['check']}: {check['detail']}")
    failed = [c["check"] for c in checks if c["status"] == "failed"]
    skipped = [c["check"] for c in checks if c["status"] == "skipped"]
    detail = f"exit {done.returncode}, {len(checks)} checks, failed: {failed or 'none'}, " \
        f"not applicable locally: {skipped}"  # fmt: skip
    runner.step(step, done.returncode == 0 and not failed, detail)


def _brief(report: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in report.items() if k in ("credentials", "webhookSecret"))


def main(argv: list[str] | None = None) -> int:
    """The console entry: rehearse, print each step, exit 0 when all passed."""
    parser = argparse.ArgumentParser(prog="python -m devstack.rehearse", description=__doc__)
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / "build" / "rehearsal")
    args = parser.parse_args(argv)
    from devstack.processes.factories import ToolMissingError
    from devstack.processes.managed import ProcessStartError

    try:
        result = rehearse(args.workdir)
    except (ToolMissingError, ProcessStartError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verdict = "the rehearsal passed" if result.passed else "the rehearsal FAILED"
    print(f"{verdict}; transcript: {result.workdir / 'transcript.txt'}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
