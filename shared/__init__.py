"""The library every ROIT connector function uses. Import the module you need; importing the
package itself loads nothing (cold starts stay cheap).

Public modules, one concern each:

* ``settings`` — ``ROIT_*`` settings, validated once at cold start.
* ``secrets`` — Secret Manager with a TTL cache; ROIT credentials.
* ``token`` — one ROIT token per instance, renewed ahead of expiry.
* ``client`` — the ROIT HTTP client (pool, timeouts, retries) with typed endpoints.
* ``retry`` / ``errors`` — the retry policy and the one error tree.
* ``models`` — ROIT's contract, tolerant for what ROIT sends, strict for our users' input.
* ``logs`` — Cloud Logging JSON with trace and correlation ids, secrets redacted.
* ``pubsub`` — the push envelope in all its forms, and a publisher that waits for acks.
* ``events`` — the one retry / dead-letter decision of every Pub/Sub-fed function.
* ``webhooks`` — Standard Webhooks verification with rotation and replay protection.
* ``http`` — strict JSON bodies in, one JSON error mapping out.
* ``poller`` — draining ROIT's pending queue into the pending topic without losing a document.
* ``runtime`` — what one function instance keeps between invocations.
"""

__all__: list[str] = []
