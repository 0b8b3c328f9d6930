"""The library every ROIT connector function uses, one folder per capability. Import the module
you need; importing a package loads nothing (cold starts stay cheap).

The layers (checked by import-linter, ``make imports``): ``core`` <- ``roit`` <- ``entry`` <-
``push`` / ``poll``; a module imports only from its own layer or those below it.

* ``core`` — what every function needs, above nothing: the one error tree (``errors``), the
  settings every function shares (``settings``), logs, the invocation's deadline, strict input
  parsing (``inputs``, ``jsonwalk``), Secret Manager (``secrets``), Pub/Sub publishing
  (``pubsub``).
* ``roit`` — ROIT's API: the client and its typed endpoints (``client``), the contract
  (``models``), pending pages (``pages``), the retry policy, the token and its exchange; the
  wire (``_transport``, ``_sockets``, ``_decoding``) is private.
* ``entry`` — a function's door: the instance (``runtime``), HTTP bodies and answers
  (``http``, ``handler``), the failure table (``failures``), partner webhooks (``webhooks``),
  reprocess's settings.
* ``push`` — update_status and register_delivery: the push handler (``handler``), the envelope,
  the status (``status``) and delivery (``delivery``) readers, their settings.
* ``poll`` — poll_pending: the invocation (``run``), the loop that writes the run's summary
  (``loop``), routing a page (``route``), triage, hand-back, publishing a page (``sink``), the
  summary, targets, its settings.

Where to look: "how does a push message become a ROIT call?" -> ``push/handler.py`` then
``push/status.py`` or ``push/delivery.py``; "where is the poller's rule X?" -> ``poll/``.
"""

__all__: list[str] = []
