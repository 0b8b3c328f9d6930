"""Which route answers a path: Werkzeug's URL map over every route of the sandbox.

The map matches the path only; the methods are checked by the app, which answers 405 with
the route's own ``Allow`` list (a Werkzeug rule would also accept ``HEAD`` for ``GET`` and
answer ``OPTIONS``, which the sandbox does not). The token path is the config's and can change
at run time, so it is checked before the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, Rule

from sandbox.context import Handler
from sandbox.faults.injection import REDIRECT_PREFIX
from sandbox.routes import admin, api, token

__all__ = ["Route", "match"]

_ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")


@dataclass(frozen=True)
class Route:
    """A matched route: its name in the stats, its handlers per method, its path segments."""

    endpoint: str
    methods: dict[str, Handler]
    params: list[str] = field(default_factory=list)


class _Rest(BaseConverter):
    """The rest of the path, whatever it holds (empty segments too), split on ``/``."""

    regex = ".+"
    part_isolating = False

    def to_python(self, value: str) -> list[str]:
        return value.split("/")


_TOKEN = Route("token", {"POST": token.token})
_ROUTES: dict[str, tuple[str, dict[str, Handler]]] = {
    **api.ROUTES,
    REDIRECT_PREFIX + "<rest:params>": (
        "redirected",
        dict.fromkeys(_ALL_METHODS, admin.redirected),
    ),
    **{rule: ("_sandbox", methods) for rule, methods in admin.ROUTES.items()},
}
_MAP = Map(
    [Rule(rule, endpoint=rule) for rule in _ROUTES],
    converters={"rest": _Rest},
    strict_slashes=False,
    merge_slashes=False,
).bind("sandbox")


def match(path: str, token_path: str) -> Route | None:
    """The route for ``path`` (without its trailing ``/``), or None for an unknown path."""
    if path == token_path:
        return _TOKEN
    if not path.startswith("/") or path.startswith("//"):  # Werkzeug would strip the extra
        return None
    try:
        rule, values = _MAP.match(path)
    except HTTPException:  # NotFound; no rule redirects (strict_slashes is off)
        return None
    endpoint, methods = _ROUTES[str(rule)]
    return Route(endpoint, methods, values.get("params", []))
