"""The front door's read budget (shared.entry.frontdoor): when a request must have arrived,
and what a read past it does — a 408 in JSON for a head, :class:`SlowClientError` for a body.
In process: a socket pair and a clock that moves when told."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.http.errors import NoMoreData
from gunicorn.http.unreader import SocketUnreader

from shared.entry import frontdoor
from shared.entry.frontdoor import (
    BODY_GRACE_S,
    HEAD_READ_S,
    MAX_HEADER_FIELD_BYTES,
    MAX_HEADER_FIELDS,
    MAX_REQUEST_LINE,
    MIN_BODY_BYTES_PER_S,
    SlowClientError,
    bounded_chunk,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(frontdoor, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


@pytest.fixture
def pair():
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def _reader(server: socket.socket) -> tuple[SocketUnreader, frontdoor._ReadBudget]:
    reader = SocketUnreader(server)
    budget = frontdoor._ReadBudget()
    setattr(reader, frontdoor._BUDGET, budget)
    reader.chunk = bounded_chunk(SocketUnreader.chunk).__get__(reader)  # type: ignore[method-assign]
    return reader, budget


def test_the_head_has_its_own_deadline_and_the_body_one_that_grows_with_what_arrived(
    clock: Clock,
) -> None:
    budget = frontdoor._ReadBudget()
    assert budget.deadline == clock.now + HEAD_READ_S
    budget.count(10_000)  # bytes of the head do not buy time
    assert budget.deadline == clock.now + HEAD_READ_S
    clock.now += 1
    budget.headers_read()
    assert budget.deadline == clock.now + BODY_GRACE_S
    budget.count(MIN_BODY_BYTES_PER_S * 3)
    assert budget.deadline == pytest.approx(clock.now + BODY_GRACE_S + 3)


def test_a_read_within_the_budget_returns_the_bytes_and_restores_the_socket(
    clock: Clock, pair
) -> None:
    server, client = pair
    reader, _ = _reader(server)
    client.sendall(b"GET / HTTP/1.1\r\n")
    assert reader.chunk() == b"GET / HTTP/1.1\r\n"
    assert server.gettimeout() is None  # the answer is written on a blocking socket again


def test_a_head_past_its_deadline_is_answered_408_in_json_and_closed_quietly(
    clock: Clock, pair
) -> None:
    server, client = pair
    reader, _ = _reader(server)
    clock.now += HEAD_READ_S
    with pytest.raises(NoMoreData):  # gunicorn closes the connection without another word
        reader.chunk()
    answer = client.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"application/json" in head
    assert json.loads(body)["error"]["code"] == "invalid_input"


def test_a_body_past_its_deadline_raises_slow_client_and_writes_nothing(clock: Clock, pair) -> None:
    server, client = pair
    reader, budget = _reader(server)
    budget.headers_read()
    client.sendall(b"x" * 100)
    assert reader.chunk() == b"x" * 100
    clock.now += BODY_GRACE_S + 100 / MIN_BODY_BYTES_PER_S
    with pytest.raises(SlowClientError):
        reader.chunk()
    client.setblocking(False)
    with pytest.raises(BlockingIOError):  # the function answers it, not the server
        client.recv(1)


def test_the_front_door_table_states_the_limits_the_code_applies() -> None:
    text = (REPO / "docs" / "concepts.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| slow clients |"))
    assert f"within {HEAD_READ_S:g} s" in row and f"after {BODY_GRACE_S:g} s" in row
    assert f"at {MIN_BODY_BYTES_PER_S // 2**20} MiB/s" in row
    limits = next(line for line in text.splitlines() if line.startswith("| header names"))
    assert f"{MAX_REQUEST_LINE:,} bytes" in limits and f"{MAX_HEADER_FIELDS} headers" in limits
    assert f"{MAX_HEADER_FIELD_BYTES:,} bytes each" in limits
