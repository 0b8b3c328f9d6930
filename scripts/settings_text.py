"""What each setting means, in words: the one hand-written column of docs/configuration.md.

Everything else in that page (names, types, limits, defaults, what Terraform deploys) is read
from the settings models and from terraform/ by scripts/gen_docs.py; tests/docs fails when a
setting has no text here, or this names a setting the code does not read.
"""

from __future__ import annotations

MEANING: dict[str, str] = {
    "ROIT_BASE_URL": "ROIT's API: `https://hom.roit.ai` (`hom`, ROIT's homologation environment: "
    "staging, for validating an integration before going live), `https://app.roit.ai` "
    "(production), or the local ROIT sandbox.",
    "ROIT_INTEGRATION_ID": "The integration id registered in ROIT ADMIN (an identifier, not a "
    "secret).",
    "ROIT_GCP_PROJECT": "The project of secrets and topics given by short name; unset, "
    "`GOOGLE_CLOUD_PROJECT` (or `GCP_PROJECT`).",
    "ROIT_FUNCTION_TIMEOUT_S": "The deployed function's timeout (Terraform passes each "
    "deployment's `timeout_s`): each invocation works until this minus 5 s, then stops and "
    "says what is not done.",
    "ROIT_CREDENTIALS_SECRET": 'Secret Manager secret holding `{"client_id": "...", '
    '"client_secret": "..."}`: a short name or `projects/P/secrets/S[/versions/V]`.',
    "ROIT_CREDENTIALS_FILE": "The same JSON from a file: the absolute path where the "
    "credentials secret is mounted (Terraform's `secret_volumes`); read through the same TTL "
    "cache, with no client library loaded. Takes the place of `ROIT_CREDENTIALS_SECRET`.",
    "ROIT_CLIENT_ID": "The client id straight from the environment, for local use, when no "
    "credentials secret is set.",
    "ROIT_CLIENT_SECRET": "The client secret straight from the environment (local use).",
    "ROIT_SECRET_MANAGER_ENDPOINT": "A local Secret Manager stand-in (`http://127.0.0.1:PORT`): "
    "REST transport, anonymous credentials.",
    "ROIT_SECRET_TTL_S": "How long a secret value is cached: a rotation is picked up within it.",
    "ROIT_TOKEN_URL": "The token endpoint, a path on `ROIT_BASE_URL` or a full URL "
    "(**unconfirmed** upstream).",
    "ROIT_TOKEN_REQUEST_FORMAT": "Body of the token request: `json`, or `form` "
    "(`application/x-www-form-urlencoded`, as OAuth2 client credentials) (**unconfirmed**).",
    "ROIT_TOKEN_CLIENT_AUTH": "Where the credentials go: `body` (the two fields below) or "
    "`basic` (HTTP Basic, RFC 6749 §2.3.1).",
    "ROIT_TOKEN_CLIENT_ID_FIELD": "Body field of the client id, with `body` (**unconfirmed**).",
    "ROIT_TOKEN_CLIENT_SECRET_FIELD": "Body field of the client secret, with `body` "
    "(**unconfirmed**).",
    "ROIT_TOKEN_EXTRA_FIELDS": "A JSON object of fixed fields added to the token request, e.g. "
    '`{"grant_type":"client_credentials","scope":"…"}`.',
    "ROIT_TOKEN_RESPONSE_FIELD": "Dotted path of the token (a JWT or an opaque token) in the "
    "token response (**unconfirmed**).",
    "ROIT_TOKEN_EXPIRES_IN_FIELD": "Dotted path of the token's lifetime in seconds, used when "
    "the token is not a JWT with `exp` (without either: ROIT's documented 8 h).",
    "ROIT_AUTH_SCHEME": "`raw` sends `Authorization: <token>`, `bearer` sends "
    "`Authorization: Bearer <token>` (**unconfirmed**).",
    "ROIT_TOKEN_RENEW_BEFORE_S": "Renew this long before the token expires (JWT `exp`, else its "
    "lifetime; at most a fifth of its life): an opaque token is renewed before it expires, not "
    "after a 401.",
    "ROIT_HTTP_TIMEOUT_S": "Longest silence while waiting for or reading an answer (within the "
    "call's deadline).",
    "ROIT_HTTP_CONNECT_TIMEOUT_S": "Longest wait per connection attempt (within the call's "
    "deadline).",
    "ROIT_MAX_RESPONSE_BYTES": "Largest ROIT answer read, after decoding (compressed answers "
    "included); a larger one is refused as ROIT misbehaving.",
    "ROIT_MAX_RESPONSE_VALUES": "Most JSON values a ROIT answer may hold (counted before "
    "parsing): Python spends up to ~100 bytes per value, so this bounds a parsed answer to "
    "~100 MB whatever its size in bytes; a pending page of 50 documents holds a few thousand.",
    "ROIT_MAX_MESSAGE_VALUES": "Most JSON values a push message's data may hold (counted "
    "before parsing); more is dead-lettered `invalid_message`.",
    "ROIT_INSTANCE_MEMORY_MIB": "The instance's memory (Terraform sets it from `memory_mb`): "
    "with `ROIT_INSTANCE_CONCURRENCY`, the answer and message caps are lowered so that every "
    "request at once, each at its caps, fits the instance "
    "([memory per instance](performance.md#memory-per-instance)). Unset, the configured caps hold.",
    "ROIT_INSTANCE_CONCURRENCY": "Requests one instance serves at once (Terraform sets it from "
    "`max_concurrency`), for the caps of `ROIT_INSTANCE_MEMORY_MIB`.",
    "ROIT_RETRY_MAX_ATTEMPTS": "Attempts per ROIT call, the first included.",
    "ROIT_RETRY_BUDGET_S": "Total time one ROIT call may take: token exchange, retries, "
    "`Retry-After` waits and reading the whole answer; + 5 s must fit in the function timeout.",
    "ROIT_RETRY_BACKOFF_BASE_S": "First backoff between attempts (exponential, with jitter).",
    "ROIT_RETRY_BACKOFF_MAX_S": "Longest backoff between attempts.",
    "ROIT_LOG_LEVEL": "`DEBUG`, `INFO`, `WARNING` or `ERROR`.",
    "ROIT_IDEMPOTENCY_STORE": "Where the records that make effects happen once are kept "
    "(used by poll_pending, update_status, register_delivery and reprocess): `firestore`, the "
    "shared store (Terraform and the local stack set it), so webhook replays, push "
    "redeliveries, out-of-order statuses and overlapping poll runs are recognised on every "
    "instance (needs `ROIT_GCP_PROJECT`); `memory`, as without a store: webhook replays and "
    "poll runs checked per instance, push redeliveries and out-of-order statuses not "
    "recognised (said once at start, `event=idempotency_per_instance`).",
    "ROIT_IDEMPOTENCY_DATABASE": "The Firestore database id of the shared store (Terraform: "
    "`roit-idempotency`).",
    "ROIT_IDEMPOTENCY_COLLECTION": "The Firestore collection holding the records, each with an "
    "`expires_at` field that Firestore's TTL policy deletes after.",
    "ROIT_PENDING_TOPIC": "Where pending entities are published: a topic id or "
    "`projects/P/topics/T`.",
    "ROIT_DEAD_LETTER_TOPIC": "Where permanent failures go (for poll_pending: entities it cannot "
    "read, or that Pub/Sub refuses).",
    "ROIT_POLL_HAND_BACK_WORKERS": "Parallel `reprocess` calls when unpublished entities are "
    "handed back to ROIT.",
    "ROIT_POLL_TARGETS": "What the poller asks ROIT for, e.g. `DOCUMENT:NFE,DOCUMENT:NFSE,"
    "SUPPLIER` (a poll body's `targets` has the same limit); targets are drained concurrently, "
    "at most 4 at a time.",
    "ROIT_POLL_TIME_BUDGET_S": "No new page is asked for after this; with `ROIT_RETRY_BUDGET_S` "
    "+ 5 s it must fit in `ROIT_FUNCTION_TIMEOUT_S`.",
    "ROIT_POLL_MAX_PAGES": "Safety cap on pages per target and run.",
    "ROIT_MAX_MESSAGE_AGE_S": "Older push messages are dead-lettered as `too_old` instead of "
    "sent to ROIT.",
    "ROIT_DELIVERY_MAX_BATCH": "Most items per delivery call: a larger `data` array is sent in "
    "several calls.",
    "ROIT_DELIVERIES_TOPIC": "The deliveries topic itself: when the invocation's deadline comes "
    "after some batches of a message went through, the rest is published there as a new "
    "message (original attributes kept, plus `continuationOf`, `itemsDelivered`, "
    "`itemsTotal`) and the message acknowledged; unset, Pub/Sub redelivers the whole message.",
    "ROIT_REPROCESS_CALLER_AUTH": "`webhook`: every request must carry a Standard Webhooks "
    "signature; `iam`: the deployment is private and Cloud Run IAM vouches for the caller.",
    "ROIT_WEBHOOK_SECRETS_SECRET": "Secret Manager secret holding one or more `whsec_…` "
    "secrets separated by whitespace (two during a rotation); each key at least 24 random bytes "
    "(a key of one repeated byte, a pattern, a counting sequence or too little entropy is "
    "refused at start-up and on rotation).",
    "ROIT_WEBHOOK_SECRETS_FILE": "The same from a file: the absolute path where the webhook "
    "secrets are mounted; takes the place of `ROIT_WEBHOOK_SECRETS_SECRET`.",
    "ROIT_PARTNER_INTEGRATION_IDS": "Further integration ids a partner's signed request may "
    "name (comma- or space-separated), besides `ROIT_INTEGRATION_ID`; any other "
    "`integrationId` is refused with 403 before ROIT is called.",
    "ROIT_WEBHOOK_SECRETS": "The same, straight from the environment (local use).",
}
