"""The ROIT sandbox: a runnable, stateful stand-in for ROIT's External System Integration API.

Run it with ``python -m sandbox``; use it in-process with :class:`SandboxServer`; drive its
control API with :class:`sandbox.control.SandboxControl`. See ``sandbox/README.md``.
"""

from sandbox.config import DEFAULT_INTEGRATION_ID, SandboxConfig
from sandbox.server import SandboxServer

__all__ = ["DEFAULT_INTEGRATION_ID", "SandboxConfig", "SandboxServer"]
