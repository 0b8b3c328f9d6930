"""Our users' input (HTTP bodies, Pub/Sub messages): strict JSON, then a strict model.

What can never succeed is refused here, whatever part of the input it hides in: bytes that
are not UTF-8, invalid JSON, duplicate keys, ``NaN`` / ``Infinity`` (and numbers too large to
be finite), lone surrogates (``"\\ud800"``: valid JSON, but no UTF-8 can carry it to ROIT), and
nesting deeper than :data:`MAX_DEPTH`. Errors name the field by the models' own vocabulary:
nothing the sender chose (a value, an unknown key) is ever repeated back.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.core.errors import InvalidInputError
from shared.core.jsonwalk import scanner, skip, walk_array, walk_object

__all__ = [
    "MAX_DEPTH",
    "RawObject",
    "StrictModel",
    "error_text",
    "loads_strict",
    "parse_input",
    "read_object",
]

MAX_DEPTH = 64
"""The deepest nesting accepted in a body or message (free-form fields included)."""

M = TypeVar("M", bound=BaseModel)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise InvalidInputError("a JSON object has the same key twice")
    return result


def _no_constant(_name: str) -> Any:
    raise InvalidInputError("NaN and Infinity are not JSON numbers")


def loads_strict(data: bytes) -> Any:
    """Parse our users' JSON strictly.

    Raises:
        InvalidInputError: (400) not UTF-8, not JSON, a duplicate key, a non-finite number, a
            lone surrogate, or nesting deeper than :data:`MAX_DEPTH`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("body is not UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInputError(f"JSON is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # JSONDecodeError, and integers longer than Python reads
        raise InvalidInputError("body is not valid JSON") from None
    _check(value, surrogates=bool(_SURROGATE_ESCAPE.search(text)))
    return value


_STRICT = scanner(json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant))


class _ByteOffsets:
    """Character offsets of a UTF-8 text as byte offsets (asked in increasing order)."""

    def __init__(self, text: str, size: int) -> None:
        self._text, self._ascii = text, len(text) == size
        self._char = self._byte = 0

    def __call__(self, index: int) -> int:
        if self._ascii:
            return index
        self._byte += len(self._text[self._char : index].encode("utf-8"))
        self._char = index
        return self._byte


@dataclass(frozen=True)
class RawObject:
    """A JSON object read by :func:`read_object`: members parsed, and members kept as bytes."""

    fields: dict[str, Any]
    items: dict[str, list[memoryview]]  # per list named in item_lists: each item's bytes
    raw: dict[str, memoryview]  # per object named in raw_objects: its bytes


def read_object(
    data: bytes, *, item_lists: Collection[str] = (), raw_objects: Collection[str] = ()
) -> RawObject:
    """Parse a JSON object as strictly as :func:`loads_strict`, without building the members
    named: each item of a list in ``item_lists``, and each member of an object in
    ``raw_objects``, is parsed and checked on its own, then kept only as bytes (views into
    ``data``), so a large message never exists twice in memory.

    Every item of such a list must be a JSON object; a member named in ``raw_objects`` whose
    value is not an object is parsed as usual (for the model to judge).

    Raises:
        InvalidInputError: as :func:`loads_strict`, or a list item that is not an object.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("body is not UTF-8") from None
    surrogates = bool(_SURROGATE_ESCAPE.search(text))
    at_byte = _ByteOffsets(text, len(data))
    fields: dict[str, Any] = {}
    lists: dict[str, list[tuple[int, int]]] = {}
    raw: dict[str, tuple[int, int]] = {}

    def checked(start: int, depth: int) -> tuple[Any, int]:
        value, end = _STRICT(text, start)
        _check(value, surrogates=surrogates, depth=depth)
        return value, end

    def member(key: str, at: int) -> int:
        if key in fields or key in lists or key in raw:
            raise InvalidInputError("a JSON object has the same key twice")
        head = text[at : at + 1]
        if key in raw_objects and head == "{":
            keys: set[str] = set()

            def part(name: str, start: int) -> int:
                if name in keys:
                    raise InvalidInputError("a JSON object has the same key twice")
                keys.add(name)
                if surrogates and _LONE_SURROGATE.search(name):
                    raise InvalidInputError("a key holds a lone surrogate (not valid Unicode)")
                return checked(start, 3)[1]

            end = walk_object(text, at + 1, part)
            raw[key] = (at_byte(at), at_byte(end))
            return end
        if key not in item_lists or head != "[":
            fields[key], end = checked(at, 2)
            return end
        spans = lists[key] = []

        def item(start: int) -> int:
            value, end = _STRICT(text, start)
            if not isinstance(value, dict):
                raise InvalidInputError(f"{key}.{len(spans)}: must be a JSON object", field=key)
            _check(value, surrogates=surrogates, depth=3)
            spans.append((at_byte(start), at_byte(end)))
            return end

        return walk_array(text, at + 1, item)

    try:
        start = skip(text, 0)
        if text[start : start + 1] != "{":
            empty = "; it is empty" if start == len(text) else ""
            raise InvalidInputError(f"the message's data must be a JSON object{empty}")
        if skip(text, walk_object(text, start + 1, member)) != len(text):
            raise ValueError("extra data after the object")
    except RecursionError:
        raise InvalidInputError(f"JSON is nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, StopIteration):
        raise InvalidInputError("body is not valid JSON") from None
    view = memoryview(data)
    items = {key: [view[a:b] for a, b in spans] for key, spans in lists.items()}
    return RawObject(fields, items, {key: view[a:b] for key, (a, b) in raw.items()})


def _check(root: Any, *, surrogates: bool, depth: int = 1) -> None:
    """Walk the parsed value once: depth, finite numbers, and (only when the text had a
    surrogate escape at all) lone surrogates. ``depth`` is the root's own depth."""
    stack: list[tuple[Any, int]] = [(root, depth)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise InvalidInputError(f"JSON is nested deeper than {MAX_DEPTH} levels")
            if surrogates and any(_LONE_SURROGATE.search(key) for key in value):
                raise InvalidInputError("a key holds a lone surrogate (not valid Unicode)")
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise InvalidInputError(f"JSON is nested deeper than {MAX_DEPTH} levels")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidInputError("a number is too large to be finite")
        elif surrogates and isinstance(value, str) and _LONE_SURROGATE.search(value):
            raise InvalidInputError("a string holds a lone surrogate (not valid Unicode)")


class StrictModel(BaseModel):
    """Base of what our users send: unknown fields and bad values rejected. Fields whose
    type pydantic would coerce (``true`` as 1, ``"yes"`` as true, 0 as 1970) use the strict
    types: a wrong JSON type is an error, never a different value sent on."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _vocabulary() -> frozenset[str]:
    """Every field name and alias of the models our users fill in (read when an error is
    named, not cached: a model module imported later, e.g. poll targets, counts too)."""
    names: set[str] = set()
    pending = list(StrictModel.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        for name, info in cls.model_fields.items():
            names.add(name)
            if info.alias:
                names.add(info.alias)
    return frozenset(names)


def _location(loc: tuple[int | str, ...]) -> str | None:
    known = _vocabulary()
    parts = [str(p) if isinstance(p, int) or p in known else "<field>" for p in loc]
    return ".".join(parts) or None


def parse_input(model: type[M], payload: Any) -> M:
    """Validate our users' input strictly into ``model``.

    Raises:
        InvalidInputError: naming the first offending field; the input itself is never quoted.
    """
    try:  # by the names the contract uses only: ``system_info`` is not ``systemInfo``
        return model.model_validate(payload, by_alias=True, by_name=False)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        loc = _location(err["loc"])
        text = error_text(err)
        if err["type"] == "extra_forbidden":
            text += _allowed(model, err["loc"])
        raise InvalidInputError(f"{loc or 'body'}: {text}", field=loc) from None


def _allowed(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """``; allowed: a, b`` (and ``; did you mean a?`` for a near miss) for an unknown field at
    ``loc``: only the model's own names, never the caller's key."""
    fields: type[BaseModel] | None = model
    for part in loc[:-1]:  # nested models: follow the field (a list's index stays put)
        if isinstance(part, int) or fields is None:
            continue
        info = fields.model_fields.get(part) or next(
            (f for f in fields.model_fields.values() if f.alias == part), None
        )
        annotation = info.annotation if info else None
        fields = _model_in(annotation)
    if fields is None:
        return ""
    names = sorted(info.alias or name for name, info in fields.model_fields.items())
    text = f"; allowed: {', '.join(names)}"
    key = loc[-1] if loc else None
    if isinstance(key, str) and (near := difflib.get_close_matches(key, names, n=1)):
        text += f"; did you mean {near[0]}?"
    return text


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds (``M``, ``M | None``, ``list[M]``), else ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if found := _model_in(arg):
            return found
    return None


def error_text(err: Any) -> str:
    """A pydantic error's message in the caller's terms (JSON's, never a class name)."""
    if err["type"] == "extra_forbidden":
        return "unknown field"
    if err["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return "Input should be a JSON object"
    return str(err["msg"])
