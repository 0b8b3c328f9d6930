"""ROIT's API.

* ``client`` — the ROIT HTTP client (pool, timeouts, retries) with typed endpoints.
* ``models`` — ROIT's contract, tolerant for what ROIT sends, strict for our users' input.
* ``pages`` — a pending page read item by item, each item with the bytes ROIT sent.
* ``retry`` — the retry policy (budget, backoff, ``Retry-After``).
* ``token`` / ``exchange`` — one token per instance, renewed ahead of expiry; the exchange.
* ``_transport``, ``_sockets``, ``_decoding`` — the wire (private): one request and its answer
  within the deadline, capped and decoded.
"""

__all__: list[str] = []
