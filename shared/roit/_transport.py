"""One HTTP exchange with ROIT, bounded in time and in memory whatever ROIT does.

* **Time.** Every socket operation (connect, TLS, each write, each read) is given at most what
  is left of the current deadline (:mod:`shared.core.deadline`), through a network backend that
  wraps httpcore's own. A ROIT that sends its headers and then drips its body a byte at a
  time, or stalls halfway, is cut off at the deadline, not after a per-read timeout.
* **Memory.** The body is read raw and decoded here (``identity``, ``gzip``, ``deflate``: the
  encodings the request offers) into at most ``max_bytes`` bytes; a larger answer, or one that
  would expand past that, stops being read and raises :class:`ResponseTooLargeError`, and so
  does a 2xx answer holding more than ``max_values`` JSON values (what parsing it would cost).
  Of an answer the caller drops (``discard``) only the head is kept, to be judged
  (:mod:`shared.roit.answers`); the rest is read and dropped up to the cap.

Transport failures become :class:`RoitConnectionError` / :class:`RoitTimeoutError` with
``ambiguous`` saying whether the request may have reached ROIT.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.core import deadline
from shared.core.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    MalformedResponseError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    RequestTimeoutError,
    ResponseTooLargeError,
    RoitConnectionError,
    RoitStatusError,
    RoitTimeoutError,
    ServerError,
    UnexpectedStatusError,
    UnprocessableEntityError,
)
from shared.core.jsonwalk import json_values
from shared.core.logs import sanitize
from shared.roit._decoding import read_capped
from shared.roit._sockets import DeadlineTransport
from shared.roit.answers import check_success, read_head
from shared.roit.retry import parse_retry_after

__all__ = ["Answer", "Transport", "status_error"]

_ACCEPT_ENCODING = "gzip, deflate"
_MAX_DETAIL = 300  # characters of ROIT's own error message relayed anywhere
_MAX_DETAIL_SCANNED = 4 * _MAX_DETAIL  # of which no more than this is ever searched for secrets
_MAX_ERROR_BODY = 64 * 1024  # an error body longer than this is not searched for a message


@dataclass(frozen=True)
class Answer:
    """A whole ROIT answer: status, headers and the decoded body (at most the cap)."""

    status: int
    headers: httpx.Headers
    body: bytes
    endpoint: str
    complete: bool = True  # False: ``body`` is only the head of a longer answer (``discard``)

    def json_or_raise(self) -> Any:
        """The JSON of a 2xx answer.

        Raises:
            RoitStatusError: any other status (with ROIT's own message, sanitised).
            MalformedResponseError: a 2xx that is not JSON, or is an error envelope.
        """
        self.raise_for_status()
        body = self.json()
        check_success(body, self.endpoint)
        return body

    def raise_for_status(self) -> None:
        """Raises: RoitStatusError for any status but 2xx (ROIT's own message, sanitised)."""
        if 200 <= self.status < 300:
            return
        raise status_error(
            self.status,
            self.endpoint,
            detail=self.detail(),
            retry_after_s=parse_retry_after(self.headers),
        )

    def detail(self) -> str | None:
        """ROIT's own error message, when its body is JSON with one: shortened, and sanitised of
        the connector's secrets and tokens. Never the raw body."""
        try:
            body = json.loads(self.body[:_MAX_ERROR_BODY])
        except (ValueError, RecursionError):
            return None
        if not isinstance(body, dict):
            return None
        for key in ("message", "error_description", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                # cut before any pattern runs; sanitised before the final cut (any 12
                # characters of a secret are found, so a secret cut in two is not shown)
                return sanitize(value.strip()[:_MAX_DETAIL_SCANNED])[:_MAX_DETAIL]
        return None

    def json(self) -> Any:
        """The body as JSON.

        Raises:
            MalformedResponseError: not JSON (``NaN`` and ``Infinity`` included: Python reads
                them, but they are not JSON and could not be relayed as JSON), or nested
                deeper than the parser can follow.
        """
        try:
            return json.loads(self.body, parse_constant=_not_json)
        except (ValueError, RecursionError):
            raise MalformedResponseError(
                f"ROIT answered {self.endpoint} with a non-JSON body"
            ) from None


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class Transport:
    """The instance's connection pool to ROIT.

    Args:
        base_url: ROIT's base URL (relative endpoints are joined to it).
        connect_timeout_s: per connection attempt.
        read_timeout_s: longest silence allowed while waiting for or reading an answer.
        max_bytes: the largest decoded answer read.
        max_values: the most JSON values (counted by :func:`json_values`) a 2xx answer may hold.
        transport: an httpx transport for tests; the default opens real, deadline-bound
            connections.
    """

    def __init__(
        self,
        *,
        base_url: str,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_bytes: int,
        max_values: int = 1_000_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self.max_bytes = max_bytes
        self.max_values = max_values
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Accept": "application/json", "Accept-Encoding": _ACCEPT_ENCODING},
            transport=transport or DeadlineTransport(limits),
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self._http.close()

    def post(
        self, url: str, *, content: bytes, headers: Mapping[str, str], discard: bool = False
    ) -> Answer:
        """POST once and read the whole answer, within the current deadline and the size cap.

        With ``discard``, only the head of a 2xx answer is kept (:func:`read_head`: an answer the
        caller does not need is never held in memory); other answers are kept, for their message.

        Raises:
            RoitTimeoutError: the deadline (or a silence longer than the read timeout) came
                first; ``ambiguous`` unless the request never left.
            RoitConnectionError: the connection failed or broke.
            ResponseTooLargeError / MalformedResponseError: an answer over the cap, or one
                whose encoding cannot be decoded.
        """
        left = deadline.remaining()
        if left <= 0:
            raise RoitTimeoutError(f"no time left to call {url}", ambiguous=False)
        timeout = httpx.Timeout(
            self._read_timeout_s,
            connect=self._connect_timeout_s,
            pool=max(0.001, min(self._connect_timeout_s, left)),
        )
        try:
            request = self._http.build_request(
                "POST", url, content=content, headers=headers, timeout=timeout
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise RoitConnectionError(
                f"the URL {url!r} cannot be called ({type(exc).__name__})", ambiguous=False
            ) from None
        endpoint = request.url.path
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _transport_error(exc, endpoint, sent=False) from None
        try:
            # A response a test transport built in memory was read already; a real one streams.
            chunks = (
                iter((response.content,)) if response.is_stream_consumed else response.iter_raw()
            )
            if discard and response.is_success:  # whatever it says it holds: only its head
                encoding = self._encoding(response, endpoint, capped=False)  # it is not held
                head, whole = read_head(chunks, encoding, self.max_bytes)
                return Answer(response.status_code, response.headers, head, endpoint, whole)
            body = read_capped(chunks, self._encoding(response, endpoint), self.max_bytes, endpoint)
        except httpx.TransportError as exc:
            raise _transport_error(exc, endpoint, sent=True) from None
        except zlib.error:
            raise MalformedResponseError(f"ROIT's answer on {endpoint} is corrupt") from None
        finally:
            response.close()
        if response.is_success and json_values(body) > self.max_values:
            raise ResponseTooLargeError(
                f"ROIT's answer on {endpoint} holds more than ROIT_MAX_RESPONSE_VALUES "
                f"({self.max_values}) JSON values"
            )
        return Answer(response.status_code, response.headers, body, endpoint)

    def _encoding(self, response: httpx.Response, endpoint: str, *, capped: bool = True) -> str:
        """The answer's Content-Encoding, once it is one this reader decodes and its stated
        length fits the cap.

        Raises:
            MalformedResponseError / ResponseTooLargeError: an unsupported encoding, or a
                Content-Length over the cap.
        """
        length = response.headers.get("content-length", "")
        encoding: str = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise MalformedResponseError(
                f"ROIT answered {endpoint} with an unsupported Content-Encoding"
            )
        too_long = length.isdigit() and int(length) > self.max_bytes
        if capped and encoding in ("", "identity") and too_long:
            raise ResponseTooLargeError(
                f"ROIT's answer on {endpoint} is {length} bytes, over ROIT_MAX_RESPONSE_BYTES"
            )
        return encoding


def _transport_error(exc: httpx.TransportError, endpoint: str, *, sent: bool) -> Exception:
    """The connector's error for an httpx transport failure; ``sent`` once headers arrived."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.WriteTimeout):
        return RoitTimeoutError(f"could not send the request to {endpoint} in time", ambiguous=sent)
    if isinstance(exc, httpx.TimeoutException):
        what = "stopped answering" if sent else "did not answer"
        return RoitTimeoutError(f"ROIT {what} {endpoint} before the deadline")
    if isinstance(exc, httpx.ConnectError):
        return RoitConnectionError(
            f"could not connect to ROIT for {endpoint} ({name})", ambiguous=False
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return RoitConnectionError(
            f"the request to {endpoint} could not be sent ({name})", ambiguous=False
        )
    return RoitConnectionError(f"the connection to ROIT broke on {endpoint} ({name})")


_BY_STATUS: dict[int, type[RoitStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(
    status: int, endpoint: str, *, detail: str | None = None, retry_after_s: float | None = None
) -> RoitStatusError:
    """The one error that describes a ROIT answer with an unusable status."""
    if 300 <= status < 400:
        cls: type[RoitStatusError] = RedirectError
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, UnexpectedStatusError)
    message = f"ROIT answered {status} on {endpoint}" + (f": {detail}" if detail else "")
    return cls(message, status_code=status, detail=detail, retry_after_s=retry_after_s)
