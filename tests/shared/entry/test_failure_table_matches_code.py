"""The failure table (docs/concepts.md) says what the code does (issue 22 §8): every row's
push and HTTP cells are checked against :func:`shared.entry.failures.push_decision` and
:func:`shared.entry.failures.http_answer` for errors of that row, both ways (nothing the code
does is missing from the cell, nothing in the cell is something the code does not do)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.core.errors import (
    ConfigurationError,
    Failure,
    InvalidInputError,
    InvocationDeadlineError,
    MalformedResponseError,
    PermanentFailure,
    PublishError,
    ResponseTooLargeError,
    RoitConnectionError,
    RoitTimeoutError,
    TokenExchangeError,
)
from shared.core.secrets import SecretAccessError
from shared.entry.failures import Decision, http_answer, push_decision
from shared.idempotency.exceptions import StoreUnavailableError
from shared.push.once import AppliedElsewhereError
from shared.roit._transport import status_error

CONCEPTS = Path(__file__).resolve().parents[3] / "docs" / "concepts.md"

pytestmark = pytest.mark.unit

ROWS: dict[str, list[BaseException]] = {
    "the input itself": [
        InvalidInputError("bad", field="requestId"),
        InvalidInputError("too large", status_code=413),
        PermanentFailure("too old", code="too_old"),
    ],
    "ROIT's verdict on it": [status_error(s, "/x") for s in (400, 404, 409, 413, 422)],
    "ROIT failing": [
        *(status_error(s, "/x") for s in (500, 502, 503, 504, 408, 520)),
        status_error(429, "/x", retry_after_s=3),
        RoitTimeoutError("slow"),
        RoitConnectionError("dropped"),
        MalformedResponseError("html"),
        ResponseTooLargeError("big"),
        TokenExchangeError(
            "token endpoint 503", setting="ROIT_TOKEN_URL", failure=Failure.UPSTREAM
        ),
    ],
    "configuration or upstream auth": [
        TokenExchangeError("refused", setting="ROIT_CREDENTIALS_SECRET", status_code=401),
        *(status_error(s, "/x") for s in (401, 403, 301, 405)),
        SecretAccessError("secret cannot be read", setting="ROIT_CREDENTIALS_SECRET"),
        ConfigurationError("bad setting"),
    ],
    "Secret Manager failing": [
        SecretAccessError("Secret Manager is unavailable", failure=Failure.SECRET_STORE)
    ],
    "Pub/Sub, about a topic": [PublishError("topic missing")],
    "the invocation's deadline": [InvocationDeadlineError("late")],
    "the idempotency store": [StoreUnavailableError("Firestore is unavailable")],
    "the same effect again": [AppliedElsewhereError("being applied on another instance")],
    "anything unexpected": [ValueError("a bug")],
}
_ANSWER = re.compile(r"\b(\d{3}|4xx) `([a-z_]+)`")
_DEAD_LETTER = re.compile(r"`([a-z_]+(?:<status>)?)`")


def _table() -> dict[str, tuple[str, str]]:
    """Each row's first cell -> (push cell, HTTP cell)."""
    text = CONCEPTS.read_text(encoding="utf-8")
    section = text[text.index("## The failure table") :]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and not cells[0].startswith(("what failed", "---")):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _row(label: str) -> tuple[str, str]:
    matches = [cells for first, cells in _table().items() if first.startswith(label)]
    assert len(matches) == 1, f"concepts.md's failure table has no single row for {label!r}"
    return matches[0]


def _covers(token: tuple[str, str], status: int, code: str) -> bool:
    said, said_code = token
    return said_code == code and (said == str(status) or (said == "4xx" and 400 <= status < 500))


@pytest.mark.parametrize("label", ROWS)
def test_the_http_cell_says_what_http_answer_does(label: str) -> None:
    cell = _row(label)[1]
    said = set(_ANSWER.findall(cell))
    answers = [http_answer(error) for error in ROWS[label]]
    for answer in answers:
        assert any(_covers(t, answer.status, answer.code) for t in said), (label, answer, cell)
    for token in said:
        assert any(_covers(token, a.status, a.code) for a in answers), (label, token)


@pytest.mark.parametrize("label", ROWS)
def test_the_push_cell_says_what_push_decision_does(label: str) -> None:
    cell = _row(label)[0]
    decisions = [push_decision(error) for error in ROWS[label]]
    for decision, code in decisions:
        if decision is Decision.DEAD_LETTER:
            assert cell.startswith("dead-lettered"), (label, cell)
            named = re.sub(r"_\d{3}$", "_<status>", code)
            assert f"`{named}`" in cell, (label, code, cell)
        else:
            assert cell.startswith(f"503 `{code}`"), (label, code, cell)
    if all(d is Decision.DEAD_LETTER for d, _ in decisions):
        named = {re.sub(r"_\d{3}$", "_<status>", code) for _, code in decisions}
        assert set(_DEAD_LETTER.findall(cell.partition(")")[0])) <= named, (label, cell)


def test_every_row_of_the_table_is_checked() -> None:
    unchecked = [
        first for first in _table()
        if not any(first.startswith(label) for label in ROWS) and "about one message" not in first
    ]  # fmt: skip
    assert not unchecked, f"rows no test holds against the code: {unchecked}"
