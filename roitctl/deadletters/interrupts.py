"""Ctrl-C (SIGINT) and SIGTERM held off while a step runs that must not be cut in half.

Two steps are such: a pull, because Pub/Sub hands the messages out as it answers (cut there,
the answer is lost and the messages stay out of everyone's reach until their lease ends), and
a publish with the acknowledgement of what it published (cut there, a copy already on the
topic would be replayed again). The signal is raised as :class:`KeyboardInterrupt` once the
step is done; every step ends within its calls' timeouts. A second signal during the same step
stops at once (the user insists: what the step held may then stay leased until its deadline).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["held"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def held() -> Iterator[None]:
    """Run the block whole: a Ctrl-C or SIGTERM that comes meanwhile is raised after it, as
    :class:`KeyboardInterrupt` (even when the block failed: the stop asked for comes first); a
    second one is raised at once. Off the main thread, where no signal is delivered, the block
    just runs.

    Raises:
        KeyboardInterrupt: a signal came while the block ran.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)
        if len(caught) > 1:
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, hold) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        if caught:
            raise KeyboardInterrupt
