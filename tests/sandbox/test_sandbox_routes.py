"""Which route answers a path (Werkzeug's URL map), without a process: the matches the
hand-written router made before it, kept."""

from __future__ import annotations

import pytest

from sandbox.routes import admin, api, token
from sandbox.routes.table import match

pytestmark = pytest.mark.unit

TOKEN_PATH = "/auth/api/v1/token"
ENTRYPOINT = "/ibs-core-entrypoint/api/v1/entrypoint/requests/"


@pytest.mark.parametrize(
    ("path", "endpoint", "methods", "params"),
    [
        (ENTRYPOINT + "pending", "pending", {"POST"}, []),
        ("/ibs-core-delivery/api/v1/delivery", "delivery", {"POST"}, []),
        (TOKEN_PATH, "token", {"POST"}, []),
        ("/files/r1/a.xml", "files", {"GET"}, ["r1", "a.xml"]),
        ("/files//a.xml", "files", {"GET"}, ["", "a.xml"]),  # the route answers 404 itself
        ("/files/r1/a.xml/more", "files", {"GET"}, ["r1", "a.xml", "more"]),
        ("/_sandbox/requests/summary", "_sandbox", {"GET"}, []),  # not a requestId
        ("/_sandbox/requests/r1", "_sandbox", {"GET"}, ["r1"]),
        ("/_sandbox/faults", "_sandbox", {"GET", "DELETE"}, []),
        ("/_sandbox/faults/pending", "_sandbox", {"PUT", "DELETE"}, ["pending"]),
        (
            "/_sandbox/redirected/a/b",
            "redirected",
            {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"},
            ["a", "b"],
        ),
    ],
)
def test_a_path_finds_its_route(
    path: str, endpoint: str, methods: set[str], params: list[str]
) -> None:
    route = match(path, TOKEN_PATH)
    assert route is not None
    assert (route.endpoint, set(route.methods), route.params) == (endpoint, methods, params)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/files",
        "/_sandbox/redirected",
        "//_sandbox/health",
        "_sandbox/health",
        ENTRYPOINT + "pending/x",
    ],
)
def test_an_unknown_path_finds_none(path: str) -> None:
    assert match(path, TOKEN_PATH) is None


def test_the_token_path_is_the_configs() -> None:
    assert match("/oauth/token", "/oauth/token") == match(TOKEN_PATH, TOKEN_PATH)
    assert match(TOKEN_PATH, "/oauth/token") is None


def test_the_handlers_are_the_routes() -> None:
    assert match(ENTRYPOINT + "status", TOKEN_PATH).methods == {"POST": api.status}
    assert match(TOKEN_PATH, TOKEN_PATH).methods == {"POST": token.token}
    assert match("/_sandbox/config", TOKEN_PATH).methods == {
        "GET": admin.get_config,
        "PUT": admin.put_config,
    }
