"""Redaction that cannot be outrun (issue 22 §7): a secret is hidden in every encoding it
commonly travels in, and in part, and finding it costs one pass over the text."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import httpx
import pytest

from shared.core import logs
from shared.core.errors import RoitStatusError
from shared.core.logs import register_secret, sanitize
from shared.core.redaction import WINDOW, Redactor, redact_jwts
from shared.core.settings import RoitSettings
from shared.roit.client import RoitClient

pytestmark = pytest.mark.unit

SECRET = 'Sup3r/Secret+"quoted" & <tagged> value\\ünï'
TOKEN = "opaque-token-value-0123456789"

ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64-unpadded": lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
    "base64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "base64url-unpadded": lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
    "basic-auth": lambda s: "Basic " + base64.b64encode(f"client-id:{s}".encode()).decode(),
    "base64-shifted": lambda s: base64.b64encode(f"xy{s}".encode()).decode(),
    "url": lambda s: quote(s, safe=""),
    "url-plus": quote_plus,
    "url-upper-escapes": lambda s: re.sub("%[0-9a-f]{2}", lambda m: m.group().upper(), quote(s)),
    "html": html.escape,
    "html-decimal": lambda s: "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in s),
    "html-hex": lambda s: "".join(f"&#x{ord(c):x};" if not c.isalnum() else c for c in s),
    "json": lambda s: json.dumps(s)[1:-1],
    "json-unicode": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "hex": lambda s: s.encode().hex(),
    "hex-upper": lambda s: s.encode().hex().upper(),
    "split-lines": lambda s: "\n".join(s[i : i + 7] for i in range(0, len(s), 7)),
    "split-crlf-indented": lambda s: s[:10] + "\r\n    " + s[10:],
    "base64-wrapped-76": lambda s: "\n".join(
        base64.b64encode((s * 3).encode()).decode()[i : i + 76] for i in range(0, 200, 76)
    ),
    "prefix-12": lambda s: s[:WINDOW],
    "prefix-20": lambda s: s[:20],
    "middle-15": lambda s: s[9:24],
}
WRAPPED = {"basic-auth": len("Basic Y2xpZW50LWlkOl") + 4, "base64-shifted": 8,
           "base64-wrapped-76": 12}  # fmt: skip
"""Characters of each longer value that may stay: what encodes its other bytes."""


@pytest.fixture(autouse=True, scope="module")
def _registered() -> None:
    register_secret(SECRET)
    register_secret(TOKEN)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("where", ["alone", "in-a-sentence", "glued"])
def test_a_secret_in_any_common_encoding_is_redacted(encoding: str, where: str) -> None:
    shown = ENCODINGS[encoding](SECRET)
    text = {"alone": shown, "in-a-sentence": f"bad credentials: {shown} (check them)",
            "glued": f"xx{shown}yy"}[where]  # fmt: skip
    cleaned = sanitize(text)
    assert "[REDACTED]" in cleaned
    folded = re.sub(r"\s", "", cleaned).lower()
    form = re.sub(r"\s", "", shown).lower()
    if encoding in WRAPPED:  # the secret inside a longer value: the value's own ends may stay
        left = len(folded.replace("[redacted]", "")) - (len(text) - len(shown))
        assert left <= WRAPPED[encoding], (encoding, cleaned)
        return
    for i in range(len(form) - WINDOW + 1):  # no 12 characters in a row of it are left
        assert form[i : i + WINDOW] not in folded, (encoding, cleaned)


def test_text_that_holds_no_secret_is_left_as_it_is() -> None:
    text = "ROIT refused the request: requestId 1234a5b6-cd78 is not PENDING\nsee the docs"
    assert sanitize(text) == text


@pytest.mark.parametrize("encoding", ["base64", "html", "upper", "split-lines", "prefix-20"])
def test_a_secret_roit_echoes_never_reaches_the_error(encoding: str) -> None:
    """Through a real call: ROIT's 400 quotes the secret; the error keeps none of it."""
    shown = ENCODINGS[encoding](SECRET)

    def roit(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": TOKEN}})
        return httpx.Response(400, json={"message": f"client secret {shown} is not valid"})

    settings = RoitSettings.model_validate({"base_url": "http://roit.test", "integration_id": "i",
        "client_id": "c", "client_secret": SECRET})  # fmt: skip
    client = RoitClient(settings, transport=httpx.MockTransport(roit), sleep=lambda _: None)
    with pytest.raises(RoitStatusError) as caught:
        client.attachments("r-1")
    message = re.sub(r"\s", "", caught.value.message).lower()
    form = re.sub(r"\s", "", shown).lower()
    assert all(form[i : i + WINDOW] not in message for i in range(len(form) - WINDOW + 1))


# ----------------------------------------------------------------------------- linear time


@pytest.mark.timeout(20)
@pytest.mark.parametrize("unit", ["eyJ", "eyJ.", "eyJabcde.", "eyJabcde.abcde", "a" * 11 + "\n"])
def test_redaction_is_one_pass_over_a_megabyte_made_to_be_slow(unit: str) -> None:
    """The former JWT pattern rescanned the rest of a run from every ``eyJ``: 1 s for 64 KB,
    so ~4 minutes for this megabyte; one pass takes well under a second."""
    text = unit * (1024 * 1024 // len(unit))
    assert len(sanitize(text)) > 0


def test_the_window_search_looks_once_at_each_character() -> None:
    redactor = Redactor()
    redactor.register(SECRET)
    text = ("eyJ" * 20_000) + SECRET + (" x" * 5_000)
    folded = len(re.sub(r"\s", "", text))
    assert redactor.redact(text, "#").count("#") == 1
    assert redactor.steps == folded - WINDOW + 1  # one look-up per character, no rescans


def test_roits_error_text_is_cut_before_any_pattern_runs() -> None:
    """A 60 KB message from ROIT: only its first 1,200 characters are searched."""

    def roit(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": TOKEN}})
        return httpx.Response(400, json={"message": "eyJ" * 20_000})

    settings = RoitSettings.model_validate({"base_url": "http://roit.test", "integration_id": "i",
        "client_id": "c", "client_secret": SECRET})  # fmt: skip
    client = RoitClient(settings, transport=httpx.MockTransport(roit), sleep=lambda _: None)
    client.tokens.get()
    before = logs._known.steps
    with pytest.raises(RoitStatusError) as caught:
        client.attachments("r-1")
    # searched: the cut (1,200 characters), plus the call's own log line (endpoint, status …),
    # which is sanitised too when a handler emits it (it depends on what ran before) --
    # never anything like the 60,000 characters ROIT sent
    assert logs._known.steps - before <= 2 * 1_200
    assert len(caught.value.detail or "") <= 300


@pytest.mark.parametrize(
    "text",
    ["eyJhbGciOi.eyJzdWIiOi.sig", "a.eyJhbGciOi.eyJzdWIiOi.sig.b", "x eyJabcde.abcde. y",
     "eyJabcd.abcde.x", "eyJabcde.abcd.x", "eyJeyJeyJ.eyJeyJ.", "pre-eyJ12345.12345.z.tail"],
)  # fmt: skip
def test_jwt_shapes_are_found_as_the_former_pattern_found_them(text: str) -> None:
    former = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
    assert redact_jwts(text, "#") == former.sub("#", text)
