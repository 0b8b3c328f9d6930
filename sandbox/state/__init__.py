"""What one sandbox remembers.

* ``store``: requests, their lifecycle and history, deliveries (one lock).
* ``tokens``: JWT and opaque tokens: issuing, checking, revocation.
* ``stats``: call counters.
* ``seeding``: generated payloads turned into requests in the store.
"""
