"""One number, one place: Terraform accepts exactly the limits the code accepts.

The limits both know (function timeout, retry budget, poll budget, message age, delivery batch,
and the cross-checks between budgets and timeouts) are taken from the code's settings models
(their JSON schema bounds and shared.core.settings.DEADLINE_RESERVE_S), never written here. Each is
probed at and just beyond its bounds on both sides: `terraform plan` with the stand-in provider,
and the code's `load_settings` over the environment Terraform would deploy. A value one side
accepts and the other refuses fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from tfhelpers import (
    Plan,
    Workspace,
    code_loads,
    deployable_environment,
    settings_class_of,
)

from shared.core.settings import DEADLINE_RESERVE_S


pytestmark = pytest.mark.integration

ENVIRONMENT = "environments/dev.tfvars"
DEPLOYMENTS = [
    "poll-pending",
    "update-status",
    "register-delivery",
    "reprocess",
    "reprocess-webhook",
    "get-attachments",
]
POLL_INTERVAL_MINUTES = 60


def _hcl_map(values: dict[str, dict[str, str]]) -> str:
    inner = ", ".join(
        f'"{name}" = {{ {", ".join(f"{k} = {v}" for k, v in settings.items())} }}'
        for name, settings in values.items()
    )
    return f"{{ {inner} }}"


@dataclass(frozen=True)
class Limit:
    """A Terraform variable the code reads as a setting (bounds from the code's model)."""

    variable: str
    setting: str  # the field of the settings model (its variable is ROIT_<FIELD>)
    model: type

    @property
    def env(self) -> str:
        return f"ROIT_{self.setting.upper()}"

    def bounds(self) -> tuple[Decimal, Decimal, bool]:
        schema = self.model.model_json_schema()["properties"][self.setting]
        return (
            Decimal(str(schema["minimum"])),
            Decimal(str(schema["maximum"])),
            (schema["type"] == "integer"),
        )

    def probes(self) -> list[str]:
        """Values at and just beyond each bound (and a fraction for whole-number settings)."""
        low, high, integer = self.bounds()
        step = Decimal(1) if integer else Decimal("0.001")
        values = [low - step, low, high, high + step]
        if integer:
            values.append(low + Decimal("0.5"))
        return [str(value) for value in values]


def _limits() -> list[Limit]:
    from shared.core.settings import RoitSettings
    from shared.push.settings import DeliverySettings, PushSettings
    from shared.poll.settings import PollerSettings

    return [
        Limit("retry_budget_s", "retry_budget_s", RoitSettings),
        Limit("poll_time_budget_s", "poll_time_budget_s", PollerSettings),
        Limit("max_message_age_s", "max_message_age_s", PushSettings),
        Limit("delivery_max_batch", "delivery_max_batch", DeliverySettings),
    ]


# A context in which no other limit binds: long timeouts (the poller's just under the hourly
# schedule, the push functions' at Pub/Sub's 600 s push deadline), the smallest budgets.
ROOMY_TIMEOUT_S = 3600
ROOMY_PUSH_TIMEOUT_S = 600
ROOMY_POLL_TIMEOUT_S = POLL_INTERVAL_MINUTES * 60 - 10
PUSH_DEPLOYMENTS = ["update-status", "register-delivery"]
BASE = {
    "poll_interval_minutes": str(POLL_INTERVAL_MINUTES),
    "retry_budget_s": "1",
    "poll_time_budget_s": "1",
}


def _timeouts(**overrides: str) -> dict[str, dict[str, str]]:
    timeouts = {name: str(ROOMY_TIMEOUT_S) for name in DEPLOYMENTS}
    timeouts.update({name: str(ROOMY_PUSH_TIMEOUT_S) for name in PUSH_DEPLOYMENTS})
    timeouts["poll-pending"] = str(ROOMY_POLL_TIMEOUT_S)
    timeouts.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return {name: {"timeout_s": value} for name, value in timeouts.items()}


@dataclass(frozen=True)
class Case:
    """A set of Terraform variables, and the environment each deployment then gets."""

    name: str
    variables: dict[str, str]
    timeouts: dict[str, dict[str, str]]

    def terraform_args(self) -> tuple[str, ...]:
        return (
            *(f"{k}={v}" for k, v in self.variables.items()),
            f"function_settings={_hcl_map(self.timeouts)}",
        )

    def environment(self, base: dict[str, str], deployment: str) -> dict[str, str]:
        environment = dict(base)
        for limit in _limits():
            if limit.env in environment and limit.variable in self.variables:
                environment[limit.env] = self.variables[limit.variable]
        environment["ROIT_FUNCTION_TIMEOUT_S"] = self.timeouts[deployment]["timeout_s"]
        return environment


def _cases() -> list[Case]:
    cases = [Case("base", dict(BASE), _timeouts())]
    for limit in _limits():
        for value in limit.probes():
            cases.append(
                Case(f"{limit.variable}={value}", {**BASE, limit.variable: value}, _timeouts())
            )
    # ROIT_FUNCTION_TIMEOUT_S: bounds of the code's model, probed on one function.
    from shared.core.settings import RoitSettings

    timeout = Limit("function_settings.timeout_s", "function_timeout_s", RoitSettings)
    for value in timeout.probes():
        cases.append(
            Case(f"get-attachments timeout_s={value}", dict(BASE), _timeouts(get_attachments=value))
        )
    # The retry budget must fit every function's timeout with the deadline reserve...
    short = 60
    fits = Decimal(short - DEADLINE_RESERVE_S)
    for budget in (fits, fits + Decimal("0.001")):
        cases.append(
            Case(
                f"retry_budget_s={budget} in a {short} s timeout",
                {**BASE, "retry_budget_s": str(budget)},
                _timeouts(update_status=str(short)),
            )
        )
    # ... and the poll budget the poller's, with the retry budget.
    retry = Decimal(30)
    poll_fits = Decimal(ROOMY_POLL_TIMEOUT_S) - retry - DEADLINE_RESERVE_S
    for budget in (poll_fits, poll_fits + Decimal("0.001")):
        cases.append(
            Case(
                f"poll_time_budget_s={budget} with retry_budget_s={retry}",
                {**BASE, "retry_budget_s": str(retry), "poll_time_budget_s": str(budget)},
                _timeouts(),
            )
        )
    return cases


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("limits"))


@pytest.fixture(scope="module")
def base_plan(workspace: Workspace) -> Plan:
    return workspace.plan_json(ENVIRONMENT, *_cases()[0].terraform_args())


def test_each_limit_reaches_the_functions_that_read_it(base_plan: Plan) -> None:
    """The variables land in the environment variables the code reads, unchanged."""
    for deployment in DEPLOYMENTS:
        environment = deployable_environment(base_plan, deployment)
        source = base_plan.after(
            f'module.function["{deployment}"].google_cloudfunctions2_function.main'
        )["build_config"][0]["entry_point"]
        model = settings_class_of(source)
        for limit in _limits():
            if limit.setting in model.model_fields:
                assert environment[limit.env] == BASE.get(limit.variable, environment[limit.env])
            else:
                assert limit.env not in environment, f"{deployment} gets {limit.env}"
        assert environment["ROIT_FUNCTION_TIMEOUT_S"] == _timeouts()[deployment]["timeout_s"]


def test_terraform_accepts_exactly_what_the_code_accepts(
    workspace: Workspace, base_plan: Plan
) -> None:
    cases = _cases()
    outcomes = workspace.plan_many([case.terraform_args() for case in cases], ENVIRONMENT)
    sources = {
        name: base_plan.after(f'module.function["{name}"].google_cloudfunctions2_function.main')[
            "build_config"
        ][0]["entry_point"]
        for name in DEPLOYMENTS
    }
    bases = {name: deployable_environment(base_plan, name) for name in DEPLOYMENTS}
    disagreements = []
    refused = 0
    for case, outcome in zip(cases, outcomes, strict=True):
        reasons = {
            name: code_loads(settings_class_of(sources[name]), case.environment(bases[name], name))
            for name in DEPLOYMENTS
        }
        code_accepts = all(reason is None for reason in reasons.values())
        refused += not code_accepts
        if outcome.ok != code_accepts:
            why = {k: v for k, v in reasons.items() if v} or outcome.output[-1500:]
            disagreements.append(
                f"{case.name}: Terraform {'accepts' if outcome.ok else 'refuses'}, "
                f"the code {'accepts' if code_accepts else 'refuses'}: {why}"
            )
        if not outcome.ok:
            assert any(
                marker in outcome.output
                for marker in ("Invalid value for variable", "Resource precondition failed")
            ), f"{case.name}: Terraform failed for another reason:\n{outcome.output[-3000:]}"
    assert disagreements == [], "\n".join(disagreements)
    assert cases[0].name == "base" and outcomes[0].ok
    assert refused >= len(cases) // 3, "the probes should find the bounds on both sides"


def test_the_deadline_reserve_is_the_codes(tmp_path: Path) -> None:
    """The local Terraform uses is the code's number (a different one fails the probes above;
    this names the two places)."""
    text = (Path(__file__).resolve().parents[2] / "terraform" / "main.tf").read_text()
    assert f"deadline_reserve_s = {DEADLINE_RESERVE_S}\n" in text
