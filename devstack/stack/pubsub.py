"""Publishing to and pulling from a running stack's Pub/Sub emulator by hand (`python -m
devstack publish / pull`), with the names checked first: a topic or subscription the stack does
not have is answered with the ones it has, never with a gRPC traceback."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devstack.stack.wiring import emulator_clients

__all__ = ["PubSubCallError", "Pulled", "publish", "pull"]

_TIMEOUT_S = 15.0


class PubSubCallError(RuntimeError):
    """A name the stack does not have, or an emulator that does not answer: one line."""


@dataclass(frozen=True)
class Pulled:
    """One message shown by `pull`."""

    message_id: str
    attributes: dict[str, str]
    data: str


@contextmanager
def _clients(host: str) -> Iterator[tuple[Any, Any]]:
    from google.api_core import exceptions

    publisher, subscriber = emulator_clients(host, publish_timeout_s=_TIMEOUT_S)
    try:
        yield publisher, subscriber
    except exceptions.GoogleAPIError as error:
        message = getattr(error, "message", None) or type(error).__name__
        first = str(message).splitlines()[0] if str(message) else type(error).__name__
        raise PubSubCallError(f"the Pub/Sub emulator at {host} refused the call: {first}") from None
    finally:
        subscriber.close()
        publisher.stop()


def _short(names: Iterator[Any]) -> list[str]:
    return sorted(str(item.name).rsplit("/", 1)[-1] for item in names)


def _check(kind: str, name: str, valid: list[str], where: str) -> None:
    if name not in valid:
        raise PubSubCallError(
            f"no {kind} {name!r} on {where}; {kind}s: {', '.join(valid) or 'none'}"
        )


def publish(
    host: str,
    project: str,
    topic: str,
    data: str | bytes,
    attributes: Mapping[str, str],
    *,
    where: str = "this stack",
) -> str:
    """Publish one message to `topic` on the emulator at `host`; returns its message id.

    Raises:
        PubSubCallError: no such topic (the message names the valid ones), or the emulator
            refused or did not answer.
    """
    with _clients(host) as (publisher, _):
        project_path = f"projects/{project}"
        topics = _short(publisher.list_topics(request={"project": project_path}, timeout=10))
        _check("topic", topic, topics, where)
        raw = data.encode() if isinstance(data, str) else data
        future = publisher.publish(f"{project_path}/topics/{topic}", raw, **attributes)
        return str(future.result(timeout=_TIMEOUT_S + 5))


def pull(
    host: str, project: str, subscription: str, *, ack: bool, where: str = "this stack"
) -> list[Pulled]:
    """Up to 50 messages of `subscription`; acknowledged when `ack`, else put back at once.

    Raises:
        PubSubCallError: no such subscription (the message names the valid ones), or the
            emulator refused or did not answer.
    """
    with _clients(host) as (_, subscriber):
        project_path = f"projects/{project}"
        request = {"project": project_path}
        subscriptions = subscriber.list_subscriptions(request=request, timeout=10)
        _check("subscription", subscription, _short(subscriptions), where)
        path = f"{project_path}/subscriptions/{subscription}"
        response = subscriber.pull(request={"subscription": path, "max_messages": 50}, timeout=10)
        shown = [
            Pulled(
                r.message.message_id,
                dict(r.message.attributes),
                r.message.data.decode(errors="replace"),
            )
            for r in response.received_messages
        ]
        ack_ids = [m.ack_id for m in response.received_messages]
        if ack_ids and ack:
            subscriber.acknowledge(request={"subscription": path, "ack_ids": ack_ids})
        elif ack_ids:  # only looked at: back on the subscription at once, not in 60 s
            subscriber.modify_ack_deadline(
                request={"subscription": path, "ack_ids": ack_ids, "ack_deadline_seconds": 0}
            )
        return shown
