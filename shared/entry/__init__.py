"""A function's door: how a request comes in and how every answer goes out.

* ``runtime`` — what one function instance keeps between invocations; serving one request.
* ``handler`` — every HTTP function's edge (``handle_http``).
* ``http`` — strict JSON bodies in, JSON answers out.
* ``failures`` — the failure table: the push decision, the HTTP answer, how a failure is logged.
* ``webhooks`` / ``webhook_secrets`` — Standard Webhooks verification with rotation and replay
  protection.
* ``settings`` — reprocess's settings (who vouches for a caller).
"""

__all__: list[str] = []
