"""Our users' input (HTTP bodies, Pub/Sub messages): strict JSON, then a strict model.

What can never succeed is refused here, whatever part of the input it hides in: bytes that
are not UTF-8, invalid JSON, duplicate keys, ``NaN`` / ``Infinity`` (and numbers too large to
be finite), lone surrogates (``"\\ud800"``: valid JSON, but no UTF-8 can carry it to ROIT), and
nesting deeper than :data:`MAX_DEPTH`. Errors name the field by the models' own vocabulary:
nothing the sender chose (a value, an unknown key) is ever repeated back.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import InvalidInputError

__all__ = ["MAX_DEPTH", "loads_strict", "parse_input"]

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


def _check(root: Any, *, surrogates: bool) -> None:
    """Walk the parsed value once: depth, finite numbers, and (only when the text had a
    surrogate escape at all) lone surrogates."""
    stack: list[tuple[Any, int]] = [(root, 1)]
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


@cache
def _vocabulary() -> frozenset[str]:
    """Every field name and alias of the models our users fill in."""
    from shared.models import StrictModel

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
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        loc = _location(err["loc"])
        message = err["msg"] if err["type"] != "extra_forbidden" else "unknown field"
        raise InvalidInputError(f"{loc or 'body'}: {message}", field=loc) from None
