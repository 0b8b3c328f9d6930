"""What every function needs; imports nothing above it (nothing from ``shared.roit``,
``shared.entry``, ``shared.push`` or ``shared.poll``).

* ``errors`` — the one error tree: every error class, and the ``Failure`` kinds.
* ``settings`` — ``RoitSettings`` (what every function needs) and ``load_settings``.
* ``logs`` — Cloud Logging JSON with trace and correlation ids, secrets redacted.
* ``deadline`` — the invocation's deadline every wait ends by.
* ``inputs`` / ``jsonwalk`` — strict JSON and strict models for our users' input.
* ``secrets`` — Secret Manager with a TTL cache; ROIT credentials.
* ``pubsub`` — a lazily created publisher, and what Pub/Sub accepts as a message.
"""

__all__: list[str] = []
