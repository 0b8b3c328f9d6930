"""The Pub/Sub-fed functions: update_status and register_delivery.

* ``handler`` — every push function's edge: read the envelope, run the work, retry or
  dead-letter (``handle_push``).
* ``envelope`` — the push envelope in all its forms.
* ``status`` — a status-topic message read into ROIT's status update.
* ``delivery`` — a delivery read item by item, sent in batches, the rest handed on.
* ``settings`` — ``PushSettings``, ``DeliverySettings``.
"""

__all__: list[str] = []
