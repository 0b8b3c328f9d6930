"""``doctor``: a configuration checked against a live environment, with no side effects.

One :class:`~roitctl.doctor.checks.Check` per line, in order: the settings, the credentials secret
(and the webhook secret, for a webhook ``reprocess``), the token exchange, the
``Authorization`` scheme, then Pub/Sub. A check that cannot run because an earlier one
failed is skipped, saying why. The whole run happens inside the command's environment
(:func:`roitctl.environment.applied`), exactly as the function would read it — except that a
secret the function reads from a mounted file (``ROIT_*_FILE`` into one of its secret volumes,
given as :attr:`DoctorOptions.mounted`) is read here by its Secret Manager name, and a mounted
path with no volume to map it to is reported as mounted only in the function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from roitctl import gcp
from roitctl.doctor.checks import Check, Status
from roitctl.doctor.probe import DEFAULT_PROBE_REQUEST_ID, probe_scheme, probe_token, token_check
from roitctl.doctor.pubsub import pubsub_checks
from roitctl.environment import applied
from roitctl.layout import Layout
from roitctl.mounted import MountedSecret, absent_mount, by_name, by_name_variable
from roitctl.mounted import conventional_secret as mount_convention
from shared.core.errors import ConfigurationError, RoitError
from shared.core.secret_files import provider_for
from shared.core.secrets import RoitCredentials, credentials_source, load_credentials
from shared.core.settings import RoitSettings, load_settings
from shared.entry.settings import CallerAuth, ReprocessSettings
from shared.entry.webhook_secrets import parse_webhook_secrets
from shared.poll.settings import PollerSettings
from shared.push.settings import DeliverySettings, PushSettings
from shared.roit._transport import Transport
from shared.roit.exchange import TokenExchange

__all__ = ["DoctorOptions", "Kind", "infer_kind", "run_doctor"]


class Kind(StrEnum):
    """Which function's settings to check (each reads a different set)."""

    POLL_PENDING = "poll_pending"
    UPDATE_STATUS = "update_status"
    REGISTER_DELIVERY = "register_delivery"
    REPROCESS = "reprocess"
    GET_ATTACHMENTS = "get_attachments"


SETTINGS: dict[Kind, type[RoitSettings]] = {
    Kind.POLL_PENDING: PollerSettings,
    Kind.UPDATE_STATUS: PushSettings,
    Kind.REGISTER_DELIVERY: DeliverySettings,
    Kind.REPROCESS: ReprocessSettings,
    Kind.GET_ATTACHMENTS: RoitSettings,
}


def infer_kind(env: Mapping[str, str]) -> Kind | None:
    """The function an environment is for, from the variables only it sets."""
    names = {k.upper() for k in env}
    if names & {"ROIT_PENDING_TOPIC", "ROIT_POLL_TARGETS"}:
        return Kind.POLL_PENDING
    if "ROIT_DELIVERY_MAX_BATCH" in names:
        return Kind.REGISTER_DELIVERY
    if "ROIT_DEAD_LETTER_TOPIC" in names:
        return Kind.UPDATE_STATUS
    if names & {
        "ROIT_REPROCESS_CALLER_AUTH",
        "ROIT_WEBHOOK_SECRETS_SECRET",
        "ROIT_WEBHOOK_SECRETS",
    }:
        return Kind.REPROCESS
    return None


@dataclass(frozen=True)
class DoctorOptions:
    """What to check beyond the environment."""

    kind: Kind | None = None  # None: inferred from the environment
    probe_request_id: str = DEFAULT_PROBE_REQUEST_ID
    pubsub: bool = True
    project: str | None = None  # the Pub/Sub project; default: the settings'
    mounted: tuple[MountedSecret, ...] = ()  # a deployed function's secrets mounted as files


def run_doctor(env: Mapping[str, str], options: DoctorOptions | None = None) -> list[Check]:
    """Every check, run inside ``env``."""
    options = options or DoctorOptions()
    env = by_name(env, options.mounted)
    with applied(env):
        return _checks(env, options)


def _checks(env: Mapping[str, str], options: DoctorOptions) -> list[Check]:
    kind = options.kind or infer_kind(env)
    settings, check = _settings(kind)
    checks = [check]
    skip = "settings invalid"
    credentials: RoitCredentials | None = None
    mounted = {m.by_name: m for m in options.mounted}
    if settings is not None:
        credentials, check = _credentials(settings, mounted)
        checks.append(check)
        if isinstance(settings, ReprocessSettings):
            checks.append(_webhook_secrets(settings, mounted))
        skip = "no credentials"
    if settings is None or credentials is None:
        checks += [Check(name, Status.SKIPPED, skip) for name in _ROIT_CHECKS]
    else:
        checks += _roit(settings, credentials, options.probe_request_id)
    if options.pubsub:
        checks += _pubsub(settings, options.project)
    return checks


_ROIT_CHECKS = ("token exchange", "authorization scheme")


def _settings(kind: Kind | None) -> tuple[RoitSettings | None, Check]:
    cls = SETTINGS[kind] if kind else RoitSettings
    what = f"for {kind.value}" if kind else "for every function (--as checks one's own too)"
    try:
        return load_settings(cls), Check("settings", Status.OK, f"valid {what}")
    except ConfigurationError as exc:
        problem = Check(
            "settings",
            Status.FAILED,
            f"{exc.message} ({what})",
            ["set the variables named (docs/configuration.md)"],
        )
    if cls is RoitSettings:
        return None, problem
    try:
        return load_settings(RoitSettings), problem
    except ConfigurationError:
        return None, problem


Mounted = Mapping[str, MountedSecret]
"""The secrets read by name that the function reads from a mounted file, by the variable."""


def _secret_id(name: str) -> str:
    """``projects/P/secrets/S[/versions/V]`` or ``S`` -> ``S``."""
    return name.split("/")[3] if name.startswith("projects/") else name


def _source(name: str, variable: str, mounted: Mounted) -> str:
    """Where a secret was read, for doctor's line."""
    return mounted[variable].describe() if variable in mounted else f"secret {name} ({variable})"


def _mounted_elsewhere(check: str, variable: str, path: str) -> Check:
    """A mounted file with no secret volume to map it to (an env file, this shell)."""
    secret = mount_convention(path)
    there = f"secret {secret}" if secret else "the secret mounted there"
    detail = f"{variable}={path} is mounted only in the deployed function ({there}), not here"
    return Check(
        check,
        Status.SKIPPED,
        detail,
        [
            "check it as the function reads it: roitctl doctor --function NAME --region REGION",
            f"or here: {by_name_variable(variable)}={secret or 'SECRET'} instead of {variable}",
        ],
    )


def _credentials(settings: RoitSettings, mounted: Mounted) -> tuple[RoitCredentials | None, Check]:
    name, variable = credentials_source(settings)
    if not name:
        source = (
            "ROIT_CLIENT_ID / ROIT_CLIENT_SECRET from the environment "
            "(deployed functions use ROIT_CREDENTIALS_SECRET)"
        )
        return load_credentials(settings, None), Check("credentials", Status.OK, source)
    if settings.credentials_file and absent_mount(name):
        return None, _mounted_elsewhere("credentials", variable, name)
    try:
        credentials = load_credentials(settings, provider_for(settings))
    except RoitError as exc:
        fix = [
            "check the secret exists and your credentials may read it "
            "(roles/secretmanager.secretAccessor)",
            'store it: printf \'{"client_id":"…","client_secret":"…"}\' | gcloud secrets '
            f"versions add {_secret_id(settings.credentials_secret or 'SECRET')} --data-file=-",
        ]
        where = (
            f"mounted at {mounted[variable].path} in the function: " if variable in mounted else ""
        )
        return None, Check("credentials", Status.FAILED, where + exc.message, fix)
    detail = f"{_source(name, variable, mounted)}: readable JSON with client_id and client_secret"
    return credentials, Check("credentials", Status.OK, detail)


def _webhook_secrets(settings: ReprocessSettings, mounted: Mounted) -> Check:
    name = "webhook secrets"
    if settings.reprocess_caller_auth is not CallerAuth.WEBHOOK:
        return Check(name, Status.SKIPPED, "ROIT_REPROCESS_CALLER_AUTH=iam: no signatures")
    secret = settings.webhook_secrets_file or settings.webhook_secrets_secret
    variable = "ROIT_WEBHOOK_SECRETS_" + ("FILE" if settings.webhook_secrets_file else "SECRET")
    if settings.webhook_secrets_file and absent_mount(settings.webhook_secrets_file):
        return _mounted_elsewhere(name, variable, settings.webhook_secrets_file)
    try:
        if secret:
            raw = provider_for(settings).get(secret, setting=variable)
            source = _source(secret, variable, mounted)
        else:
            assert settings.webhook_secrets is not None  # enforced by ReprocessSettings
            raw, source = settings.webhook_secrets.get_secret_value(), "ROIT_WEBHOOK_SECRETS"
        count = len(parse_webhook_secrets(raw))
    except (RoitError, ValueError) as exc:
        message = exc.message if isinstance(exc, RoitError) else f"the secret {exc}"
        where = (
            f"mounted at {mounted[variable].path} in the function: " if variable in mounted else ""
        )
        return Check(name, Status.FAILED, where + message, ["store one or two whsec_… secrets"])
    return Check(name, Status.OK, f"{source}: {count} valid whsec_ secret(s)")


def _roit(settings: RoitSettings, credentials: RoitCredentials, request_id: str) -> list[Check]:
    transport = Transport(
        base_url=settings.base_url,
        connect_timeout_s=settings.http_connect_timeout_s,
        read_timeout_s=settings.http_timeout_s,
        max_bytes=settings.max_response_bytes,
    )
    try:
        probe = probe_token(TokenExchange(settings, transport, None), credentials)
        checks = [token_check(probe, settings)]
        if probe.found is None:
            return [*checks, Check("authorization scheme", Status.SKIPPED, "no token")]
        return [*checks, probe_scheme(transport, settings, probe.found.token, request_id)]
    finally:
        transport.close()


def _pubsub(settings: RoitSettings | None, project: str | None) -> list[Check]:
    project = project or (settings.gcp_project if settings else None) or gcp.default_project()
    if not project:
        return [
            Check(
                "pubsub", Status.SKIPPED, "no project", ["set ROIT_GCP_PROJECT, or pass --project"]
            )
        ]
    pending = getattr(settings, "pending_topic", None)
    dead = getattr(settings, "dead_letter_topic", None)
    extra = [t for t in (pending, dead) if t]
    return pubsub_checks(Layout(project), extra)
