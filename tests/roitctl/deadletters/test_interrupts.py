"""``interrupts.held()``: Ctrl-C or SIGTERM during the block is raised once the block is done;
real signals sent to this process, no subprocess."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from roitctl.deadletters import interrupts

pytestmark = pytest.mark.unit


def handlers() -> tuple[object, object]:
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_waits_for_the_end_of_the_block(signum: int) -> None:
    before, done = handlers(), []
    with pytest.raises(KeyboardInterrupt), interrupts.held():
        os.kill(os.getpid(), signum)
        done.append("the rest of the block")
    assert done == ["the rest of the block"]
    assert handlers() == before


def test_a_second_signal_stops_the_block_at_once() -> None:
    before, done = handlers(), []
    with pytest.raises(KeyboardInterrupt), interrupts.held():
        os.kill(os.getpid(), signal.SIGINT)
        done.append("after the first")
        os.kill(os.getpid(), signal.SIGINT)
        done.append("after the second")
    assert done == ["after the first"]
    assert handlers() == before


def test_the_stop_asked_for_wins_over_an_error_of_the_block() -> None:
    with pytest.raises(KeyboardInterrupt) as raised, interrupts.held():
        os.kill(os.getpid(), signal.SIGINT)
        raise ConnectionError("Pub/Sub went away")
    assert isinstance(raised.value.__context__, ConnectionError)


def test_no_signal_no_interrupt_and_the_handlers_are_back() -> None:
    before = handlers()
    with interrupts.held():
        assert handlers() != before
    assert handlers() == before


def test_off_the_main_thread_the_block_just_runs() -> None:
    ran: list[object] = []

    def work() -> None:
        with interrupts.held():
            ran.append(handlers())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert ran == [handlers()]  # nothing installed (only the main thread may)
