"""Input generators for the fuzz tier.

Two families:

* **From the models** — :func:`from_schema` turns a model's own JSON Schema (pydantic's
  ``model_json_schema``) into a strategy, so a valid input is whatever the model describes
  (``hypothesis-jsonschema`` does not run with current Hypothesis, and pydantic's schemas
  use a small subset: ``$ref``, ``anyOf``, ``enum``, strings with lengths and ``date-time``,
  bounded integers, arrays with ``prefixItems``, objects with or without extra keys).
* **Hostile** — arbitrary JSON, wrong types, huge and tiny numbers, Unicode edge cases,
  deep nesting, duplicate keys, ``NaN`` / ``Infinity``, lone surrogates, invalid UTF-8,
  truncated text, random headers and content types, broken HTTP framing.

Markers (``FZMK…``) are planted in every part of a hostile input that the function must never
repeat; :mod:`fuzzkit` checks answers and logs for them.
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fuzzkit import MARKER_PREFIX, RawRequest, build_request, chunked
from hypothesis import strategies as st

# ----------------------------------------------------------------------------- text


def markers() -> st.SearchStrategy[str]:
    """One marker: ASCII letters and digits only, so JSON escaping and logging keep it whole."""
    return st.integers(0, 10**9).map(lambda n: f"{MARKER_PREFIX}{n}")


EDGE_STRINGS = [
    "",
    " ",
    "\t\n\r ",
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e\u061c",  # RTL / LTR marks, Arabic letter mark
    "e\u0301\u0302\u0303",  # stacked combining marks
    "\u0301" * 64,  # combining marks with no base
    "\u200d\u200b\u2060",  # zero-width joiner / space, word joiner
    "\ufeff",  # byte-order mark
    "\ufffe\uffff",  # non-characters
    "\U0001f600\U0001f1e7\U0001f1f7",  # astral: emoji, regional indicators
    "\u2028\u2029",  # JavaScript line terminators
    "\u00a0\u3000",  # no-break and ideographic spaces
    "\u0130\u0131\u00df\ufb03",  # case mappings that change length
    "²³¹",  # digits that are not ASCII digits
    "null",
    "true",
    "0",
    "-0",
    "1e999",
    "NaN",
    "<script>alert(1)</script>",
    "'; DROP TABLE requests; --",
    "../../etc/passwd",
    "%00%0d%0a",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "A" * 513,
    "\\u0000",
]

_SPECIAL_CHARS = "".join(s for s in EDGE_STRINGS if len(s) < 8)


def valid_chars() -> st.SearchStrategy[str]:
    """Any Unicode scalar value (no lone surrogates), edge cases often."""
    return st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(_SPECIAL_CHARS),
    )


def valid_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Text any JSON string may hold: Unicode edge cases welcome, no lone surrogate."""
    return st.one_of(
        st.text(valid_chars(), min_size=min_size, max_size=max_size),
        st.sampled_from([s for s in EDGE_STRINGS if min_size <= len(s) <= max_size]),
    )


def hostile_text(*, marker: bool = True) -> st.SearchStrategy[str]:
    """Any text at all, lone surrogates included; with a marker somewhere when asked."""
    base = st.one_of(
        st.text(max_size=30),  # every code point, surrogates included
        st.sampled_from(EDGE_STRINGS),
        st.text(st.sampled_from(_SPECIAL_CHARS), max_size=10),
        st.tuples(st.sampled_from([*EDGE_STRINGS[1:], "A"]), st.integers(100, 3000)).map(
            lambda t: (t[0] * t[1])[:20_000]
        ),
    )
    if not marker:
        return base.filter(lambda s: MARKER_PREFIX.lower() not in s.lower())
    return st.tuples(base, markers(), base).map("".join)


# ----------------------------------------------------------------------------- JSON values

HUGE_INTS = [2**31, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**100, -(10**300), 2**1024]
ODD_FLOATS = [
    0.0,
    -0.0,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    1e-320,
    0.1,
    1e16,
]


def numbers() -> st.SearchStrategy[int | float]:
    return st.one_of(
        st.integers(),
        st.sampled_from(HUGE_INTS),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(ODD_FLOATS),
    )


def json_values(
    *, marker: bool = True, max_leaves: int = 12, keys: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Any]:
    """Arbitrary JSON (as Python), hostile strings and keys; markers in strings and keys."""
    text = hostile_text(marker=marker) if marker else valid_text()
    key_text = keys if keys is not None else st.one_of(text, valid_text(max_size=10))
    leaves = st.one_of(st.none(), st.booleans(), numbers(), text, valid_text())
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(key_text, children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def free_json_objects(*, marker: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Free-form objects (``systemInfo``, ``metadata``, delivery items) a valid input may hold:
    any JSON that is strict-valid (no lone surrogate), markers in keys and values when asked."""
    text = (
        st.tuples(valid_text(max_size=8), markers(), valid_text(max_size=8)).map("".join)
        if marker
        else valid_text()
    )
    leaves = st.one_of(st.none(), st.booleans(), numbers(), text, valid_text())
    values = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.one_of(text, valid_text()), children, max_size=3),
        ),
        max_leaves=8,
    )
    return st.dictionaries(st.one_of(text, valid_text(max_size=12)), values, max_size=4)


# ----------------------------------------------------------------------------- from the schema


def datetimes_rfc3339() -> st.SearchStrategy[str]:
    offsets = st.one_of(
        st.just(UTC),
        st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
    )
    moments = st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
    )
    return st.one_of(
        moments.map(lambda d: d.isoformat()),
        moments.map(lambda d: d.isoformat().replace("+00:00", "Z")),
        moments.map(lambda d: d.replace(microsecond=0, tzinfo=None).isoformat() + "Z"),
    )


def from_schema(
    schema: dict[str, Any],
    *,
    defs: dict[str, Any] | None = None,
    free_objects: st.SearchStrategy[dict[str, Any]] | None = None,
    overrides: dict[str, st.SearchStrategy[Any]] | None = None,
    marked: bool = False,
) -> st.SearchStrategy[Any]:
    """A strategy for the JSON values ``schema`` describes (pydantic's subset).

    ``overrides`` replaces the strategy of top-level properties by name (e.g. a request id
    that exists in the sandbox); ``st.nothing()`` there leaves the property out.
    """
    defs = defs if defs is not None else schema.get("$defs", {})
    free = free_objects if free_objects is not None else free_json_objects(marker=marked)

    def walk(node: dict[str, Any]) -> st.SearchStrategy[Any]:
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in node:
            return st.one_of([walk(option) for option in node["anyOf"]])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        kind = node.get("type")
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            return st.integers(node.get("minimum"), node.get("maximum"))
        if kind == "number":
            return numbers()
        if kind == "string":
            if node.get("format") == "date-time":
                return datetimes_rfc3339()
            if "pattern" in node:
                return st.from_regex(node["pattern"], fullmatch=True)
            low, high = node.get("minLength", 0), node.get("maxLength", 80)
            plain = st.one_of(
                st.text(valid_chars(), min_size=low, max_size=min(high, 80)),
                st.text(valid_chars(), min_size=max(low, high - 2), max_size=high)
                if high <= 5000
                else st.nothing(),
            )
            if not marked:
                return plain
            with_marker = st.tuples(valid_text(max_size=20), markers(), valid_text(max_size=20))
            return st.one_of(
                plain, with_marker.map("".join).filter(lambda v: low <= len(v) <= high)
            )
        if kind == "array":
            if "prefixItems" in node:
                return st.tuples(*(walk(item) for item in node["prefixItems"])).map(list)
            return st.lists(
                walk(node.get("items", {})),
                min_size=node.get("minItems", 0),
                max_size=node.get("maxItems", node.get("minItems", 0) + 6),
            )
        if kind == "object":
            if "properties" not in node:
                return free
            return _object(node, walk, overrides or {})
        if not node:
            return json_values(marker=False)
        raise NotImplementedError(f"schema node {node!r}")

    return walk(schema)


def _object(node: dict[str, Any], walk: Any, overrides: dict[str, Any]) -> Any:
    required = set(node.get("required", ()))
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, sub in node["properties"].items():
        strategy = overrides.get(name, walk(sub))
        if name in required:
            fields[name] = strategy.map(lambda v: ("set", v))
        else:
            fields[name] = st.one_of(st.just(("absent", None)), strategy.map(lambda v: ("set", v)))
    return st.fixed_dictionaries(fields).map(
        lambda d: {k: v for k, (how, v) in d.items() if how == "set"}
    )


# ----------------------------------------------------------------------------- raw JSON text


def _dumps(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":")).encode(
        "utf-8", errors="surrogatepass"
    )


def dumps(value: Any) -> st.SearchStrategy[bytes]:
    """``value`` as JSON text, escaped or raw UTF-8 (lone surrogates become invalid UTF-8)."""
    return st.booleans().map(lambda ascii_only: _dumps(value, ascii_only))


def with_duplicate_key(obj: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """``obj``'s text with one key repeated (same or another value)."""
    if not obj:
        return st.just(b'{"a":1,"a":1}')
    key = st.sampled_from(sorted(obj))
    return st.tuples(key, json_values(max_leaves=2)).map(
        lambda kv: (
            b"{" + _dumps(kv[0], True) + b":" + _dumps(kv[1], True) + b"," + _dumps(obj, True)[1:]
        )
    )


def with_constant(obj: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """``obj`` with one value replaced by ``NaN`` / ``Infinity`` / ``-Infinity`` / 1e999."""
    constant = st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400"])
    if not obj:
        return constant.map(lambda c: b'{"requestId":' + c + b"}")
    key = st.sampled_from(sorted(obj))
    return st.tuples(key, constant).map(
        lambda kc: _dumps({**obj, kc[0]: "\x00PLACEHOLDER"}, True).replace(
            b'"\\u0000PLACEHOLDER"', kc[1]
        )
    )


def deep(depth: int, kind: str, leaf: bytes = b"1") -> bytes:
    if kind == "list":
        return b"[" * depth + leaf + b"]" * depth
    return b'{"a":' * depth + leaf + b"}" * depth


def deep_nesting(wrap: dict[str, Any] | None = None) -> st.SearchStrategy[bytes]:
    """Nesting around :data:`shared.core.inputs.MAX_DEPTH` and far beyond (recursion limits)."""
    depths = st.one_of(st.integers(60, 70), st.sampled_from([500, 1000, 5000, 100_000]))
    inner = st.tuples(depths, st.sampled_from(["list", "object"])).map(lambda dk: deep(*dk))
    if not wrap:
        return inner
    key = st.sampled_from(sorted(wrap))
    return st.tuples(key, inner).map(
        lambda ki: _dumps({**wrap, ki[0]: "\x00DEEP"}, True).replace(b'"\\u0000DEEP"', ki[1])
    )


def huge_literals() -> st.SearchStrategy[bytes]:
    """Numbers Python reads badly: > 4,300 digits (refused by ``int``), out of float range."""
    return st.one_of(
        st.integers(4290, 4310).map(lambda n: b"1" * n),
        st.sampled_from([b"1e400", b"-1e400", b"1e-400", b"0." + b"0" * 400 + b"1", b"-0"]),
        st.integers(1, 40).map(lambda n: b"9" * n + b"." + b"9" * n + b"e" + b"9" * n),
    )


def with_literal(obj: dict[str, Any], literals: st.SearchStrategy[bytes]) -> Any:
    if not obj:
        return literals.map(lambda lit: b'{"x":' + lit + b"}")
    key = st.sampled_from(sorted(obj))
    return st.tuples(key, literals).map(
        lambda kl: _dumps({**obj, kl[0]: "\x00LIT"}, True).replace(b'"\\u0000LIT"', kl[1])
    )


BAD_UTF8 = [
    b"\xff",
    b"\xc0\xaf",  # overlong
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xe2\x82",  # truncated sequence
    b"\x80",
]


def break_utf8(text: bytes) -> st.SearchStrategy[bytes]:
    return st.tuples(st.integers(0, max(0, len(text))), st.sampled_from(BAD_UTF8)).map(
        lambda ib: text[: ib[0]] + ib[1] + text[ib[0] :]
    )


def re_encode(text: bytes) -> st.SearchStrategy[bytes]:
    """The same JSON as UTF-16 / UTF-32 / with a BOM: only UTF-8 is JSON for us."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return st.just(text)
    return st.sampled_from(
        [
            decoded.encode("utf-16", errors="surrogatepass"),
            decoded.encode("utf-32", errors="surrogatepass"),
            b"\xef\xbb\xbf" + text,
            decoded.encode("latin-1", errors="replace"),
        ]
    )


def truncate(text: bytes) -> st.SearchStrategy[bytes]:
    if len(text) < 2:
        return st.just(text)
    return st.integers(1, len(text) - 1).map(lambda n: text[:n])


def garbage_around(text: bytes) -> st.SearchStrategy[bytes]:
    junk = st.one_of(
        st.binary(min_size=1, max_size=8),
        st.sampled_from([b"{}", b"[]", b"//c", b"/*c*/", b",", b"\x00", b"null"]),
        markers().map(str.encode),
    )
    return st.tuples(junk, st.booleans()).map(
        lambda jb: (jb[0] + text) if jb[1] else (text + jb[0])
    )


def hostile_json_text(shape: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Bytes that are not strict JSON for us, or strict JSON of the wrong shape, built around
    ``shape`` (a valid body) where a field can hide the problem."""
    valid = _dumps(shape, True)
    return st.one_of(
        with_duplicate_key(shape),
        with_constant(shape),
        deep_nesting(shape),
        deep_nesting(),
        with_literal(shape, huge_literals()),
        break_utf8(valid),
        re_encode(valid),
        truncate(valid),
        garbage_around(valid),
        st.binary(max_size=64),
        st.sampled_from([b"", b" ", b"\n\t ", b"null", b"[]", b'"x"', b"0", b"{", b"}"]),
        st.sampled_from([b'{"requestId":"\\ud800"}', b'{"\\udfff":1}', b'["\\udc00\\ud800"]']),
        json_values().flatmap(dumps),
    )


def mutate_object(shape: dict[str, Any], *, protected: frozenset[str]) -> st.SearchStrategy[Any]:
    """``shape`` with one field made wrong: missing, a hostile value, an unknown key, or the
    whole body the wrong type. ``protected`` fields (echoed by design) get no marker text."""
    keys = sorted(shape)
    options: list[st.SearchStrategy[Any]] = [
        json_values(),  # not even an object, usually
        st.tuples(st.one_of(markers(), hostile_text()), json_values(max_leaves=3)).map(
            lambda kv: {**shape, kv[0]: kv[1]}
        ),
        st.sampled_from(keys).map(lambda k: {key: v for key, v in shape.items() if key != k})
        if keys
        else st.just({}),
        st.lists(st.just(shape), min_size=1, max_size=2),
    ]
    for key in keys:
        marked = key not in protected
        wrong = st.one_of(
            json_values(marker=marked, max_leaves=4).filter(lambda v: not isinstance(v, str)),
            hostile_text(marker=marked),
            st.sampled_from([None, True, False, 0, -1, 1.5, 10**30, [], {}, [shape.get(key)]]),
        )
        options.append(wrong.map(lambda v, key=key: {**shape, key: v}))
        options.append(st.just({**{k.upper() if k == key else k: v for k, v in shape.items()}}))
    return st.one_of(options)


# ----------------------------------------------------------------------------- HTTP


_TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
RESERVED_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "host",
        "expect",
        "upgrade",
        "te",
        "trailer",
        "keep-alive",
        "proxy-connection",
        "content-type",
        "x-correlation-id",  # echoed by design when sane: generated on its own
    }
)


def header_names(exclude: frozenset[str] = frozenset()) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.sampled_from(_TOKEN), min_size=1, max_size=20),
        st.sampled_from(
            [
                "X-Forwarded-For",
                "Authorization",
                "Cookie",
                "traceparent",
                "X-Cloud-Trace-Context",
                "ce-id",
                "ce-deliveryattempt",
                "ce-specversion",
                "webhook-id",
                "webhook-signature",
                "webhook-timestamp",
                "Content-Encoding",
                "Accept-Encoding",
                "Range",
                "Origin",
                "X-HTTP-Method-Override",
                "Forwarded",
                "User-Agent",
            ]
        ),
        markers().map(lambda m: f"X-{m}"),
    ).filter(lambda n: n.lower() not in RESERVED_HEADERS and n.lower() not in exclude)


_VCHAR = bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100))


def header_values(*, marker: bool = True) -> st.SearchStrategy[bytes]:
    """Field values HTTP/1.1 allows: visible ASCII, obs-text (bytes 0x80-0xFF), inner blanks."""
    chars = st.sampled_from([bytes([b]) for b in _VCHAR] + [b" ", b"\t"])
    body = st.lists(chars, max_size=40).map(b"".join).map(lambda v: v.strip(b" \t"))
    special = st.sampled_from(
        [
            b"",
            b"\xc2\xb2",
            b"\xb2",
            b"\xb9",
            b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01",
            b"0" * 300,
            b"v1,AAAA v1,====",
            b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
            b"-1",
            b"99999999999999999999999",
        ]
    )
    plain = st.one_of(body, special)
    if not marker:
        return plain.filter(lambda v: MARKER_PREFIX.lower().encode() not in v.lower())
    return st.tuples(plain, markers(), plain).map(
        lambda t: (t[0] + t[1].encode() + t[2]).strip(b" \t")
    )


def random_headers(
    *, marker: bool = True, max_size: int = 6, exclude: frozenset[str] = frozenset()
) -> st.SearchStrategy[list[Any]]:
    """Random extra headers (never the ones that frame the request, nor ``exclude``)."""
    names = header_names(exclude)
    return st.lists(st.tuples(names, header_values(marker=marker)), max_size=max_size)


JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "Application/JSON",
    "application/vnd.roit+json",
    "application/cloudevents+json",
]
NOT_JSON_TYPES = [
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/jsonx",
    "json",
    "application/",
    "*/*",
    "application/json-patch",
    "",
]


def content_types(*, marker: bool = True) -> st.SearchStrategy[str | None]:
    """``None`` (no header), a JSON type (sometimes with a marker parameter), or another."""
    json_type = st.sampled_from(JSON_TYPES)
    if marker:
        json_type = st.one_of(
            json_type, st.tuples(json_type, markers()).map(lambda t: f"{t[0]}; {t[1]}=1")
        )
    return st.one_of(st.none(), json_type, st.sampled_from(NOT_JSON_TYPES))


METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND"]


def paths() -> st.SearchStrategy[str]:
    """Request targets the function itself serves (functions-framework answers /robots.txt and
    /favicon.ico without calling it)."""
    safe = string.ascii_letters + string.digits + "-._~/%?=&"
    return st.one_of(
        st.just("/"),
        st.text(st.sampled_from(safe), max_size=30).map(lambda p: "/" + p),
        markers().map(lambda m: f"/{m}?{m}={m}"),
    ).filter(lambda p: p.split("?")[0] not in ("/robots.txt", "/favicon.ico"))


@st.composite
def framed(
    draw: st.DrawFn,
    body: bytes,
    *,
    method: str = "POST",
    content_type: str | None = "application/json",
    headers: list[Any] | None = None,
    path: str = "/",
    hostile_framing: bool = True,
) -> RawRequest:
    """``body`` sent as a well-formed request, or (``hostile_framing``) with broken framing:
    a truncated body, a shorter ``Content-Length``, broken chunked encoding."""
    all_headers = list(headers or [])
    if content_type is not None:
        all_headers.append(("Content-Type", content_type))
    kinds = ["content-length", "chunked"]
    if hostile_framing:
        kinds += ["cl-longer", "cl-shorter", "none", "broken-chunked", "chunk-extras"]
    kind = draw(st.sampled_from(kinds))
    if kind == "content-length":
        return build_request(method, body, path=path, headers=all_headers)
    if kind == "chunked":
        sizes = draw(st.lists(st.integers(1, max(1, len(body))), max_size=5))
        return build_request(
            method, body, path=path, headers=all_headers, framing="chunked", chunks=sizes
        )
    if kind == "cl-longer":
        extra = draw(st.integers(1, 10_000))
        return build_request(
            method,
            body,
            path=path,
            headers=all_headers,
            framing="cl-longer",
            declared_length=len(body) + extra,
        )
    if kind == "cl-shorter":
        short = draw(st.integers(0, max(0, len(body) - 1)))
        return build_request(
            method,
            body,
            path=path,
            headers=all_headers,
            framing="cl-shorter",
            declared_length=short,
        )
    if kind == "none":
        return build_request(method, body, path=path, headers=all_headers, framing="none")
    base = build_request(method, b"", path=path, headers=all_headers, framing="none")
    head = base.wire[: -len(b"Connection: close\r\n\r\n")]
    head += b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    if kind == "chunk-extras":  # valid HTTP: chunk extensions and trailers, with markers
        marker = draw(markers()).encode()
        payload = (
            b'%x;ext=%s;q="1"\r\n%s\r\n0\r\nX-Trailer: %s\r\n\r\n'
            % (
                len(body),
                marker,
                body,
                marker,
            )
            if body
            else b"0\r\nX-Trailer: %s\r\n\r\n" % marker
        )
        return RawRequest(method, head + payload, framing="chunk-extras")
    broken = draw(
        st.sampled_from(
            [
                b"zz\r\n" + body + b"\r\n0\r\n\r\n",  # not hex
                b"%x\r\n" % (len(body) + 5) + body,  # the chunk ends early (then EOF)
                b"%x\r\n" % len(body) + body + b"XX0\r\n\r\n",  # no CRLF after the data
                b"-1\r\n" + body + b"\r\n0\r\n\r\n",
                b"ffffffffffffffffffff\r\n" + body,
                chunked(body)[:-5],  # no last chunk
                b"",  # nothing at all
            ]
        )
    )
    return RawRequest(method, head + broken, half_close=True, framing="broken-chunked")


@st.composite
def malformed_http(draw: st.DrawFn, body: bytes) -> RawRequest:
    """Requests that are not valid HTTP/1.1: the server may refuse them before the function."""
    header_line = draw(
        st.sampled_from(
            [
                b"X Bad Name: 1",
                b"X-Ctl: a\x01b",
                b"X-Del: a\x7fb",
                b"X-Nul: a\x00b",
                b": empty-name",
                b"X-Folded: a\r\n  folded",
                b"Content-Length: -1",
                b"Content-Length: abc",
                b"Content-Length: 1, 2",
                b"Transfer-Encoding: gzip, chunked",
                b"Transfer-Encoding: chunked, chunked",
                b"Transfer-Encoding: identity",
                b"Content-Length: %d\r\nContent-Length: %d" % (len(body), len(body) + 1),
                b"Content-Length: %d\r\nTransfer-Encoding: chunked" % len(body),
                b"X-Long: " + b"a" * 9000,
            ]
        )
    )
    line = draw(
        st.sampled_from(
            [
                b"POST / HTTP/1.1",
                b"POST  / HTTP/1.1",
                b"post / HTTP/1.1",
                b"POST / HTTP/1.0",
                b"POST / HTTP/2.0",
                b"POST / HTTP/1.1 extra",
                b"POST /\x00 HTTP/1.1",
                b"POST http://evil.example/ HTTP/1.1",
            ]
        )
    )
    wire = (
        line
        + b"\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + header_line
        + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    if b"Content-Length" in header_line or b"Transfer-Encoding" in header_line:
        wire = wire.replace(b"\r\nContent-Length: %d\r\nConnection" % len(body), b"\r\nConnection")
    method = line.split(b" ")[0].decode()
    return RawRequest(method, wire, half_close=True, framing="malformed", malformed_http=True)


# ----------------------------------------------------------------------------- push envelopes


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def publish_ages(max_age_s: float) -> st.SearchStrategy[float | None]:
    """How old a message is (``None``: no publish time), well inside ``max_age_s``."""
    return st.one_of(st.none(), st.floats(-60, max_age_s * 0.5, allow_nan=False))


def any_ages(max_age_s: float) -> st.SearchStrategy[float | None]:
    """Any age: recent, far too old (dead-lettered as ``too_old``), or in the future."""
    return st.one_of(
        publish_ages(max_age_s),
        st.floats(max_age_s * 1.5, 3e10, allow_nan=False),
        st.floats(-3e10, -3600, allow_nan=False),
    )


def publish_time(age_s: float, style: int) -> str:
    moment = datetime.now(UTC) - timedelta(seconds=age_s)
    if style == 0:
        return moment.isoformat().replace("+00:00", "Z")
    if style == 1:
        return moment.astimezone(timezone(timedelta(hours=-3))).isoformat()
    return moment.replace(tzinfo=None).isoformat()  # no offset: read as UTC


def attribute_keys(*, marker: bool) -> st.SearchStrategy[str]:
    """Keys Pub/Sub accepts: 1-256 bytes, not starting with ``goog``."""
    keys = st.one_of(
        st.text(valid_chars(), min_size=1, max_size=30),
        st.sampled_from(["entity", "type", "timeout", "retry", "error", "reason", "x-y.z"]),
    )
    if marker:
        keys = st.one_of(keys, st.tuples(keys, markers()).map("".join))
    return keys.filter(
        lambda k: (
            0 < len(k.encode()) <= 256
            and not k.lower().startswith("goog")
            and k not in ("requestId", "correlationId")
        )
    )


def attribute_values(*, marker: bool) -> st.SearchStrategy[str]:
    values = valid_text(max_size=40)
    if marker:
        values = st.one_of(values, st.tuples(values, markers(), values).map("".join))
    return values.filter(lambda v: len(v.encode()) <= 1024)


def valid_attributes(*, marker: bool = True) -> st.SearchStrategy[dict[str, str]]:
    """Attributes a real Pub/Sub message can carry (``requestId`` / ``correlationId`` are
    logged by design, so they never hold a marker)."""
    own = st.dictionaries(
        attribute_keys(marker=marker), attribute_values(marker=marker), max_size=6
    )
    ids = st.fixed_dictionaries(
        {},
        optional={
            "requestId": valid_text(max_size=40).filter(lambda v: len(v.encode()) <= 1024),
            "correlationId": valid_text(max_size=40).filter(lambda v: len(v.encode()) <= 1024),
        },
    )
    return st.tuples(own, ids).map(lambda t: {**t[0], **t[1]})


def message_ids() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 10**18).map(str),
        st.text(valid_chars(), min_size=1, max_size=40).filter(
            lambda s: MARKER_PREFIX.lower() not in s.lower()
        ),
    )


@dataclass(frozen=True)
class PushCase:
    """One pushed message as sent."""

    form: str
    request: RawRequest
    message_id: str
    age_s: float | None

    def __repr__(self) -> str:
        return f"PushCase({self.form}, {self.message_id!r}, age={self.age_s}, {self.request!r})"


AGE_LIMIT_S = 86_400.0
"""``ROIT_MAX_MESSAGE_AGE_S`` of the fuzzed push functions (the default)."""


def envelope_parts(
    draw: st.DrawFn,
    data: bytes,
    attributes: st.SearchStrategy[dict[str, str]] | None,
    ages: st.SearchStrategy[float | None] | None,
) -> tuple[dict[str, Any], str, float | None]:
    message_id = draw(message_ids(), label="messageId")
    message: dict[str, Any] = {"data": b64(data), "messageId": message_id}
    if draw(st.booleans()):
        message["message_id"] = message_id  # Pub/Sub sends both spellings
    attrs = draw(attributes if attributes is not None else valid_attributes(), label="attributes")
    if attrs or draw(st.booleans()):
        message["attributes"] = attrs
    age = draw(ages if ages is not None else publish_ages(AGE_LIMIT_S), label="age")
    if age is not None:
        message["publishTime"] = publish_time(age, draw(st.integers(0, 2)))
        if draw(st.booleans()):
            message["publish_time"] = message["publishTime"]
    envelope: dict[str, Any] = {
        "message": message,
        "subscription": "projects/roit-local/subscriptions/fuzz-push",
    }
    attempt = draw(st.one_of(st.none(), st.integers(1, 100)))
    if attempt is not None:
        envelope["deliveryAttempt"] = attempt
    return envelope, message_id, age


@st.composite
def push_request(
    draw: st.DrawFn,
    data: bytes,
    *,
    attributes: st.SearchStrategy[dict[str, str]] | None = None,
    ages: st.SearchStrategy[float | None] | None = None,
    headers: st.SearchStrategy[list[Any]] | None = None,
) -> PushCase:
    """A pushed message in one of its three forms.

    ``raw``: the push subscription's envelope; ``binary``: a CloudEvent with ``ce-*`` headers
    and the envelope as body (Eventarc); ``structured``: a CloudEvent whose ``data`` is the
    envelope (``application/cloudevents+json``).
    """
    envelope, message_id, age = envelope_parts(draw, data, attributes, ages)
    form = draw(st.sampled_from(["raw", "binary", "structured"]), label="form")
    extra = list(draw(headers)) if headers is not None else []
    content_type = "application/json"
    body: dict[str, Any]
    if form == "binary":
        header_safe = all(" " <= c <= "~" for c in message_id) and message_id.strip() == message_id
        extra += [
            ("ce-id", message_id if header_safe else "ce-id-of-an-unprintable-message-id"),
            ("ce-specversion", "1.0"),
            ("ce-type", "google.cloud.pubsub.topic.v1.messagePublished"),
            ("ce-source", "//pubsub.googleapis.com/projects/roit-local/topics/fuzz"),
        ]
        body = envelope
    elif form == "structured":
        content_type = "application/cloudevents+json"
        body = {
            "specversion": "1.0",
            "id": message_id,
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/projects/roit-local/topics/fuzz",
            "datacontenttype": "application/json",
            "data": envelope,
        }
    else:
        body = envelope
    wire = _dumps(body, draw(st.booleans()))
    request = draw(framed(wire, content_type=content_type, headers=extra, hostile_framing=False))
    return PushCase(form, request, message_id, age)


def impossible_attributes() -> st.SearchStrategy[dict[str, str]]:
    """Attributes no Pub/Sub message can carry (and the push envelope still holds): an empty
    key, a ``goog`` key, keys over 256 bytes, values over 1,024 bytes, more than 100."""
    return st.one_of(
        st.dictionaries(
            st.one_of(
                st.just(""),
                st.sampled_from(["goog", "googclient_schemaname", "GOOGx"]),
                st.tuples(st.just("k"), st.integers(256, 600)).map(lambda t: t[0] * t[1]),
                attribute_keys(marker=True),
            ),
            st.one_of(
                attribute_values(marker=True),
                st.tuples(st.just("v"), st.integers(1025, 3000)).map(lambda t: t[0] * t[1]),
            ),
            min_size=1,
            max_size=4,
        ),
        st.integers(101, 130).map(lambda n: {f"k{i}": "v" for i in range(n)}),
    ).filter(
        lambda a: (
            any(
                not k
                or k.lower().startswith("goog")
                or len(k.encode()) > 256
                or len(v.encode()) > 1024
                for k, v in a.items()
            )
            or len(a) > 100
        )
    )


@st.composite
def hostile_envelopes(draw: st.DrawFn, data: bytes) -> bytes:
    """A push body that is not a Pub/Sub push envelope, or barely one."""
    envelope, _, _ = envelope_parts(draw, data, None, None)
    message = envelope["message"]
    wrong = json_values(max_leaves=4)
    how = draw(
        st.sampled_from(
            [
                "not-json",
                "any-json",
                "message",
                "data",
                "attributes",
                "attribute-value",
                "message-id",
                "publish-time",
                "attempt",
                "subscription",
                "extra",
                "structured",
            ]
        ),
        label="how",
    )
    if how == "not-json":
        return draw(hostile_json_text(envelope))
    if how == "any-json":
        return _dumps(draw(wrong), True)
    if how == "message":
        envelope["message"] = draw(st.one_of(wrong, st.just({}), st.just(None)))
    elif how == "data":
        message["data"] = draw(
            st.one_of(
                hostile_text(),
                markers().map(lambda m: m + "!!"),
                st.just(b64(data).rstrip("=") + "="),  # bad padding
                st.just(base64.urlsafe_b64encode(b"\xfb\xff" + data).decode()),
                st.just(" " + b64(data)),
                wrong.filter(lambda v: not isinstance(v, str)),
            )
        )
    elif how == "attributes":
        message["attributes"] = draw(wrong.filter(lambda v: not isinstance(v, dict)))
    elif how == "attribute-value":  # a non-string value under a key the sender chose
        key = draw(st.one_of(markers(), hostile_text()))
        message["attributes"] = {key: draw(wrong.filter(lambda v: not isinstance(v, str)))}
    elif how == "message-id":
        for key in ("messageId", "message_id"):
            message.pop(key, None)
        choice = draw(  # a string is the id, answered and logged by design: no marker
            st.one_of(
                st.just("absent"),
                st.just(""),
                wrong.filter(lambda v: bool(v) and not isinstance(v, str)),
                hostile_text(marker=False),
            )
        )
        if choice != "absent":
            message["messageId"] = choice
    elif how == "publish-time":
        message["publishTime"] = draw(
            st.one_of(
                hostile_text(),
                st.sampled_from(
                    [
                        "9999-99-99T99:99:99Z",
                        "0000-00-00T00:00:00Z",
                        "2024-02-30T00:00:00Z",
                        "2024-01-01T00:00:00+25:00",
                        "1e400",
                        "-1",
                        "99999999999999999999",
                        "0001-01-01T00:00:00-23:59",
                        "9999-12-31T23:59:59+00:00",
                    ]
                ),
                numbers(),
                wrong,
            )
        )
    elif how == "attempt":
        envelope["deliveryAttempt"] = draw(
            st.one_of(wrong, st.sampled_from(["1", "x", -1, 0, 2**70, 1.5, True]))
        )
    elif how == "subscription":
        envelope["subscription"] = draw(
            st.one_of(wrong.filter(lambda v: not isinstance(v, str)), hostile_text(marker=False))
        )
    elif how == "extra":
        target = draw(st.sampled_from([envelope, message]))
        target[draw(st.one_of(markers(), hostile_text()))] = draw(wrong)
    else:
        return _dumps(
            {
                "specversion": draw(st.one_of(st.just("1.0"), wrong)),
                "id": "1",
                "data": draw(st.one_of(wrong, st.just(envelope), st.just(None))),
            },
            True,
        )
    return _dumps(envelope, draw(st.booleans()))


def ce_headers() -> st.SearchStrategy[list[tuple[str, bytes]]]:
    """Random CloudEvent headers; ``ce-deliveryattempt`` with digits that are not ASCII."""
    names = st.sampled_from(
        ["ce-id", "ce-deliveryattempt", "ce-specversion", "ce-type", "ce-source", "ce-time"]
    )
    values = st.one_of(
        header_values(marker=False),
        st.sampled_from(
            [b"\xb2", b"\xb9", b"\xb3", b"1\xb2", b"0", b"-1", b"99999999999999999999"]
        ),
    )
    return st.lists(st.tuples(names, values), max_size=4)


# ----------------------------------------------------------------------------- seeded values


@dataclass(frozen=True)
class Seed:
    """Stands for a field of the sandbox's seeded request number ``index`` (ids change with
    every reset, so stored examples name the request by position), padded with blanks the
    model strips."""

    index: int
    field: str = "requestId"
    pad: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class Integration:
    """Stands for the sandbox's integration id, padded with blanks the model strips."""

    pad: tuple[str, str] = ("", "")


_BLANKS = st.tuples(st.sampled_from(["", " ", "\t", "\n ", "  "]), st.sampled_from(["", " ", "\t"]))


def seed(count: int, field: str = "requestId") -> st.SearchStrategy[Seed]:
    return st.builds(Seed, st.integers(0, count - 1), st.just(field), _BLANKS)


def integration() -> st.SearchStrategy[Integration | None]:
    return st.one_of(st.none(), st.builds(Integration, _BLANKS))


def resolve(value: Any, requests: list[dict[str, Any]], integration_id: str) -> Any:
    """``value`` with every :class:`Seed` / :class:`Integration` replaced by the real thing."""
    if isinstance(value, Seed):
        request = requests[value.index % len(requests)]
        return value.pad[0] + request[value.field] + value.pad[1]
    if isinstance(value, Integration):
        return value.pad[0] + integration_id + value.pad[1]
    if isinstance(value, dict):
        return {k: resolve(v, requests, integration_id) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, requests, integration_id) for v in value]
    return value
