"""Topics and subscriptions on the Pub/Sub emulator, wired the way `terraform/pubsub.tf` is.

| topic             | subscription                               | kind / consumer          |
|-------------------|--------------------------------------------|--------------------------|
| `roit-pending`    | `roit-pending-erp`                         | pull (the ERP)           |
| `roit-status`     | `roit-status-push`                         | push -> update_status    |
| `roit-deliveries` | `roit-deliveries-push`                     | push -> register_delivery|
| `<topic>-dead-letter` (each of the three) | `<topic>-dead-letter-sub` | pull (nothing is lost) |

Every non-dead-letter subscription has Terraform's retry policy (exponential, 10 s - 600 s) and
a dead-letter policy (5 delivery attempts for push, 10 for the ERP's pull subscription).

What the emulator (pubsub-emulator 0.8.x) does with this, checked by `tests/devstack`: it
stores and honours `retry_policy` (redelivery backoff) and `dead_letter_policy` (after N failed
push deliveries the message is published to the dead-letter topic with
`CloudPubSubDeadLetterSource*` attributes); it pushes plain HTTP to the endpoint. It does not
send an OIDC token (so `push_config.oidc_token` is left out locally) and does not put
`deliveryAttempt` in the push envelope.

But with a `retry_policy`, when several messages fail at about the same time (a function down
for a moment, a burst of 503s), the emulator (0.8.20) redelivers some and never redelivers the
others: they are neither pushed again nor dead-lettered, whatever the ack deadline. Without a
retry policy every failed message is pushed again about a second later, as many times as the
dead-letter policy allows. `retry_min_s=None` wires that (the soak does); the default keeps
Terraform's policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DELIVERIES_TOPIC",
    "ERP_SUBSCRIPTION",
    "PENDING_TOPIC",
    "PUSH_SUBSCRIPTIONS",
    "STATUS_TOPIC",
    "TOPICS",
    "PushSubscription",
    "Wiring",
    "dead_letter_subscription",
    "dead_letter_topic",
    "emulator_clients",
    "wire",
]

PENDING_TOPIC = "roit-pending"
STATUS_TOPIC = "roit-status"
DELIVERIES_TOPIC = "roit-deliveries"
TOPICS = (PENDING_TOPIC, STATUS_TOPIC, DELIVERIES_TOPIC)
ERP_SUBSCRIPTION = "roit-pending-erp"


def dead_letter_topic(topic: str) -> str:
    """`roit-status` -> `roit-status-dead-letter`."""
    return f"{topic}-dead-letter"


def dead_letter_subscription(topic: str) -> str:
    """`roit-status` -> `roit-status-dead-letter-sub`."""
    return f"{topic}-dead-letter-sub"


@dataclass(frozen=True)
class PushSubscription:
    """A push subscription and the function behind it (ack deadline = its timeout)."""

    name: str
    topic: str
    function: str
    ack_deadline_s: int


PUSH_SUBSCRIPTIONS = (
    PushSubscription("roit-status-push", STATUS_TOPIC, "update_status", 120),
    PushSubscription("roit-deliveries-push", DELIVERIES_TOPIC, "register_delivery", 300),
)


@dataclass
class Wiring:
    """What `wire` created, as full resource names."""

    project: str
    topics: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    push_endpoints: dict[str, str] = field(default_factory=dict)

    def topic(self, topic_id: str) -> str:
        """`projects/P/topics/T`."""
        return f"projects/{self.project}/topics/{topic_id}"

    def subscription(self, subscription_id: str) -> str:
        """`projects/P/subscriptions/S`."""
        return f"projects/{self.project}/subscriptions/{subscription_id}"


def emulator_clients(host: str, publish_timeout_s: float | None = None) -> tuple[Any, Any]:
    """A (PublisherClient, SubscriberClient) for the emulator at `host` ("127.0.0.1:PORT").

    The channel is given explicitly (insecure, no credentials), so nothing depends on the
    caller's `PUBSUB_EMULATOR_HOST`. `publish_timeout_s` bounds each publish, retries
    included (the library's default is 60 s).
    """
    import grpc  # type: ignore[import-untyped]
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    options: dict[str, Any] = {}
    if publish_timeout_s is not None:
        from google.api_core.retry import Retry
        from google.cloud.pubsub_v1.types import PublisherOptions

        retry = Retry(initial=0.1, maximum=1.0, timeout=publish_timeout_s)
        options["publisher_options"] = PublisherOptions(retry=retry, timeout=publish_timeout_s)
    publisher = pubsub_v1.PublisherClient(
        transport=PublisherGrpcTransport(channel=grpc.insecure_channel(host)), **options
    )
    subscriber = pubsub_v1.SubscriberClient(
        transport=SubscriberGrpcTransport(channel=grpc.insecure_channel(host))
    )
    return publisher, subscriber


def wire(
    host: str,
    project: str,
    push_endpoints: dict[str, str],
    *,
    retry_min_s: int | None = 10,
    retry_max_s: int = 600,
    push_max_delivery_attempts: int = 5,
    erp_max_delivery_attempts: int = 10,
    erp_ack_deadline_s: int = 60,
) -> Wiring:
    """Create every topic and subscription on the emulator.

    Args:
        host: the emulator, "127.0.0.1:PORT".
        project: the project the names live in.
        push_endpoints: function name (`update_status`, `register_delivery`) -> its URL.
        retry_min_s / retry_max_s: the subscriptions' redelivery backoff (Terraform: 10 / 600);
            `retry_min_s=None`: no retry policy (see the module's note on the emulator).

    Raises:
        KeyError: a push subscription's function has no endpoint.
        google.api_core.exceptions.GoogleAPICallError: the emulator refused a resource.
    """
    from google.protobuf import duration_pb2

    publisher, subscriber = emulator_clients(host)
    wiring = Wiring(project=project)
    retry: dict[str, Any] = {}
    if retry_min_s is not None:
        retry["retry_policy"] = {
            "minimum_backoff": duration_pb2.Duration(seconds=retry_min_s),
            "maximum_backoff": duration_pb2.Duration(seconds=retry_max_s),
        }

    def subscribe(name: str, topic: str, **settings: Any) -> None:
        subscriber.create_subscription(
            request={"name": wiring.subscription(name), "topic": wiring.topic(topic), **settings}
        )
        wiring.subscriptions.append(wiring.subscription(name))

    def dead_letter_policy(topic: str, attempts: int) -> dict[str, Any]:
        return {
            "dead_letter_topic": wiring.topic(dead_letter_topic(topic)),
            "max_delivery_attempts": attempts,
        }

    try:
        for topic in TOPICS:
            for topic_id in (topic, dead_letter_topic(topic)):
                publisher.create_topic(name=wiring.topic(topic_id))
                wiring.topics.append(wiring.topic(topic_id))
            subscribe(
                dead_letter_subscription(topic), dead_letter_topic(topic), ack_deadline_seconds=60
            )
        subscribe(
            ERP_SUBSCRIPTION,
            PENDING_TOPIC,
            ack_deadline_seconds=erp_ack_deadline_s,
            **retry,
            dead_letter_policy=dead_letter_policy(PENDING_TOPIC, erp_max_delivery_attempts),
        )
        for push in PUSH_SUBSCRIPTIONS:
            endpoint = push_endpoints[push.function]
            subscribe(
                push.name,
                push.topic,
                ack_deadline_seconds=push.ack_deadline_s,
                push_config={"push_endpoint": endpoint},
                **retry,
                dead_letter_policy=dead_letter_policy(push.topic, push_max_delivery_attempts),
            )
            wiring.push_endpoints[push.name] = endpoint
    finally:
        subscriber.close()
        publisher.transport.close()
    return wiring
