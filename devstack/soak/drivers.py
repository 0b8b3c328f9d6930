"""The soak's callers of the connector's HTTP functions, each on its own thread, each keeping a
record of what it asked and what it got:

* :class:`PollScheduler` — Cloud Scheduler for every poll_pending deployment: a call every
  few seconds whether or not the last one ended (an overlapping call is refused with 409),
  and on demand all deployments at once;
* :class:`Caller` — a partner's signed webhook and a team's plain call to `reprocess`, and
  `get_attachments` with a download of every file; each retried on 429 / 5xx the way the
  caller would (a partner retries a webhook with the same `webhook-id`).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from devstack.tools import signed_headers

__all__ = ["Call", "Caller", "PollRun", "PollScheduler"]

SCHEDULER_HEADERS = {"User-Agent": "Google-Cloud-Scheduler", "X-CloudScheduler": "true"}
RETRIED = frozenset({429, 500, 502, 503, 504})
AMBIGUOUS = frozenset({500, 502, 504})  # the function could not tell whether ROIT acted


@dataclass(frozen=True)
class PollRun:
    """One call to a poll_pending deployment."""

    label: str
    started: float
    ended: float
    status: int | None  # None: the call itself failed (`error`)
    summary: dict[str, Any] | None
    error: str | None = None


class PollScheduler:
    """Calls each poll_pending deployment every `interval_s` (+-25 %), on its own thread."""

    def __init__(
        self, urls: dict[str, str], *, interval_s: float, clock: Callable[[], float]
    ) -> None:
        self.urls = urls
        self.interval_s = interval_s
        self.clock = clock
        self.runs: list[PollRun] = []
        # A new connection per call, as Cloud Scheduler makes: a kept-alive one can be closed by
        # the server just as a call goes out on it, which says nothing about the connector.
        self._http = httpx.Client(timeout=420, limits=httpx.Limits(max_keepalive_connections=0))
        self._lock = threading.Lock()
        self._resumed = threading.Condition(self._lock)
        self._in_flight = 0
        self._paused = False  # read and changed under the lock, with the count of calls
        self._stop = threading.Event()
        self._rng = random.Random(7)
        self._threads = [
            threading.Thread(target=self._loop, args=(label,), daemon=True) for label in urls
        ]

    def start(self) -> PollScheduler:
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.wait_idle(timeout_s=60)  # a run still going on past this is left to its daemon
        self._http.close()

    def pause(self) -> None:
        """No new call is made (calls in progress go on): once this returns, every call that
        started is counted by :meth:`in_flight`, so :meth:`wait_idle` sees it (a call checked
        "not paused" and was counted in one step: a poll run that slipped in between once
        published to an emulator about to stop)."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._resumed.notify_all()

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call is in progress; False if some still are after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.1)
        return not self.in_flight()

    def fire_together(self, timeout_s: float = 300) -> bool:
        """Call every deployment at the same moment (once resumed, when paused); False if
        still paused after `timeout_s`."""
        with self._lock:
            if not self._resumed.wait_for(lambda: not self._paused, timeout=timeout_s):
                return False
            self._in_flight += len(self.urls)
        for label in self.urls:
            self._start(label)
        return True

    def fire(self, label: str) -> bool:
        """Call `label` now, unless paused (False)."""
        with self._lock:
            if self._paused:
                return False
            self._in_flight += 1
        self._start(label)
        return True

    def _start(self, label: str) -> None:
        threading.Thread(target=self._call, args=(label,), daemon=True).start()

    def _loop(self, label: str) -> None:
        self._stop.wait(self._rng.uniform(0, self.interval_s))
        while not self._stop.is_set():
            self.fire(label)
            self._stop.wait(self.interval_s * self._rng.uniform(0.75, 1.25))

    def _call(self, label: str) -> None:
        started = self.clock()
        try:
            response = self._http.post(self.urls[label], json={}, headers=SCHEDULER_HEADERS)
            try:
                summary = response.json() if response.status_code != 409 else None
            except json.JSONDecodeError:
                summary = None
            run = PollRun(label, started, self.clock(), response.status_code, summary)
        except httpx.HTTPError as exc:
            run = PollRun(label, started, self.clock(), None, None, type(exc).__name__)
        with self._lock:
            self.runs.append(run)
            self._in_flight -= 1

    def summaries(self) -> list[dict[str, Any]]:
        """Every summary a run answered, in the order the runs ended."""
        with self._lock:
            return [run.summary for run in self.runs if run.summary is not None]


@dataclass
class Call:
    """One logical call (with its retries) to reprocess or get_attachments."""

    kind: str  # webhook | team | operator | attachments
    request_id: str
    at: float
    statuses: list[int] = field(default_factory=list)  # one per attempt (0: no answer)
    outcome: str = "failed"  # accepted | replay_refused | failed
    files: int = 0
    downloaded: int = 0


class Caller:
    """Calls reprocess (signed webhook / team) and get_attachments, retrying like a caller."""

    def __init__(
        self,
        urls: dict[str, str],
        webhook_secret: str,
        *,
        clock: Callable[[], float],
        attempts: int = 10,
    ) -> None:
        self.urls = urls
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.attempts = attempts
        self.calls: list[Call] = []
        self._http = httpx.Client(timeout=120)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def unsigned_webhook(self, request_id: str) -> int:
        """A webhook call without a signature (the function must refuse it: 401)."""
        body = {"requestId": request_id}
        return self._http.post(self.urls["reprocess-webhook"], json=body).status_code

    def reprocess(self, request_id: str, kind: str) -> Call:
        """`kind` webhook: signed, retried with the same webhook-id; team / operator: plain."""
        call = Call(kind, request_id, self.clock())
        body = json.dumps({"requestId": request_id})
        webhook_id = f"msg_{uuid.uuid4().hex}"
        url = self.urls["reprocess-webhook" if kind == "webhook" else "reprocess"]
        for _ in range(self.attempts):
            headers = {"Content-Type": "application/json"}
            if kind == "webhook":
                headers |= signed_headers(self.webhook_secret, body, msg_id=webhook_id)
            status = self._post(url, body, headers)
            call.statuses.append(status)
            if status == 200:
                call.outcome = "accepted"
                break
            if status == 401 and kind == "webhook" and set(call.statuses[:-1]) & AMBIGUOUS:
                call.outcome = "replay_refused"  # the id stayed spent: ROIT may have acted
                break
            if status and status not in RETRIED:
                break
            time.sleep(1.0)
        return self._keep(call)

    def attachments(self, request_id: str) -> Call:
        """List a request's attachments and download every file."""
        call = Call("attachments", request_id, self.clock())
        body = json.dumps({"requestId": request_id})
        for _ in range(self.attempts):
            response = self._answer(self.urls["get_attachments"], body, {})
            call.statuses.append(response.status_code if response is not None else 0)
            if response is not None and response.status_code == 200:
                files = response.json().get("attachments", [])
                call.files = len(files)
                call.downloaded = sum(self._download(str(f.get("url"))) for f in files)
                call.outcome = "accepted"
                break
            if response is not None and response.status_code not in RETRIED:
                break
            time.sleep(1.0)
        return self._keep(call)

    def _keep(self, call: Call) -> Call:
        with self._lock:
            self.calls.append(call)
        return call

    def _answer(self, url: str, body: str, headers: dict[str, str]) -> httpx.Response | None:
        try:
            return self._http.post(
                url, content=body, headers={"Content-Type": "application/json", **headers}
            )
        except httpx.HTTPError:
            return None  # the function is down or the connection broke: retried

    def _post(self, url: str, body: str, headers: dict[str, str]) -> int:
        response = self._answer(url, body, headers)
        return response.status_code if response is not None else 0

    def _download(self, url: str) -> bool:
        try:
            return self._http.get(url).status_code == 200
        except httpx.HTTPError:
            return False
