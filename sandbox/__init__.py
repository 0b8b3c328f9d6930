"""The ROIT sandbox: a runnable, stateful stand-in for ROIT's External System Integration API.

Run it with ``python -m sandbox``; use it in-process with :class:`SandboxServer`; drive its
control API with :class:`sandbox.control.SandboxControl`. See ``sandbox/README.md``.

Top level: the CLI (``__main__``), the transport (``server``), the one dispatch path
(``app``), what a route sees (``context``), settings (``config``), request bodies
(``models``), answers (``responses``) and the control API's client (``control``). Folders:

* ``routes/``: ROIT's API, the token endpoint, the ``/_sandbox/`` control API, the URL map.
* ``faults/``: the fault board, injection, shaping (drip, stall, oversize), encodings.
* ``state/``: the request store, tokens, counters, seeding the store.
* ``seed/``: the seed data (fiscal documents, catalog, money, check digits, attached files),
  which imports nothing else of the sandbox.
"""

from sandbox.config import DEFAULT_INTEGRATION_ID, SandboxConfig
from sandbox.server import SandboxServer

__all__ = ["DEFAULT_INTEGRATION_ID", "SandboxConfig", "SandboxServer"]
