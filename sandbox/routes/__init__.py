"""The sandbox's routes: every one takes a :class:`~sandbox.context.Context`, a request and
its path segments, and answers (or raises :class:`~sandbox.responses.ApiError`).

* ``api``: ROIT's External System Integration API (pending, status, reprocess, attachs,
  delivery) and the attached files' download.
* ``token``: the token endpoint, in each shape the sandbox can serve.
* ``admin``: the inspection and control API under ``/_sandbox/``.
* ``table``: which route answers a path (Werkzeug's URL map).
"""
