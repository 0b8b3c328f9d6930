"""Why ROIT could not be reached, found by doing a connection's first steps again, one at a
time: the host name's DNS lookup, then the TCP connection. So ``doctor`` tells a name that
does not resolve from a refused connection (nothing listens at that port), and both from a
wrong URL (a server answered, but nothing at that path takes the request: 404 / 405).

The connector's own errors say only "could not connect": which step failed is not a fact they
carry, so it is asked of the network here rather than read from an error's text.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

__all__ = ["WRONG_PATH", "unreachable", "wrong_path"]

WRONG_PATH = frozenset({404, 405})
"""Statuses that say a server answered but the URL's path is not the endpoint."""


def unreachable(url: str, *, timeout_s: float) -> str | None:
    """Which step of reaching ``url`` fails, in words; ``None`` when the host resolves and
    accepts a connection (what failed came later: TLS, the answer)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return f"{url} names no host"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"{url} has no valid port"
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return f"the name {host} does not resolve (DNS): check its spelling"
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except ConnectionRefusedError:
        return f"{host}:{port} refused the connection (nothing listens there): check the port"
    except OSError as exc:
        return (
            f"{host}:{port} took no connection ({type(exc).__name__}): a firewall, or a wrong host?"
        )
    return None


def wrong_path(url: str, status: int) -> str:
    """What a 404 / 405 from ``url`` means: the server is there, the path is not."""
    path = urlsplit(url).path or "/"
    return f"the server answered {status}: nothing at {path} takes this request (a wrong path)"
