"""The one boundary between HTTP and ``veo``: requests out, typed results or errors in.

Every send and every stream of both clients runs inside :meth:`Exchange.boundary`, the
one place where httpx exceptions, non-2xx statuses, deadlines and oversized bodies
become ``veo`` errors (``raise ... from exc``), and where every error on its way out
is redacted (:func:`redacted`). The rest of this module is pure: requests are built by
the generated operations (``veo_api.api.videos``, their public ``request_args``), so
method, path, path escaping and headers follow the spec; responses are interpreted here
rather than by the generated parsers, which raise ``KeyError`` or ``JSONDecodeError``
on bodies the spec does not describe.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import httpx

from veo import _wire as wire
from veo._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CreateOutcomeUnknownError,
    InternalServerError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    UnexpectedResponseError,
    UnprocessableEntityError,
    VeoError,
    VideoLinkExpiredError,
)
from veo._models import VideoTask
from veo._operations import CREATE, GET_TASK
from veo._retry import parse_retry_after
from veo._secret import Secret
from veo_api.api.videos import create_video_generation, get_video_task
from veo_api.models import VideoGenerationRequest

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "FORWARDED",
    "NO_FREE_CONNECTION",
    "OPERATION_EXTENSION",
    "REQUEST_ID_HEADERS",
    "Deadline",
    "Exchange",
    "ExchangeObserver",
    "ObservedExchange",
    "build_create",
    "build_get",
    "parse_created",
    "parse_task",
    "redacted",
    "request_id_of",
]

logger = logging.getLogger("veo")

EXCERPT_CHARS = 200
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
_STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
EXPIRED_STATUSES = frozenset({403, 404, 410})
# How early a socket timeout set to the time left may fire and still be the deadline's.
DEADLINE_SLACK = 0.01
# Raised before a single byte of the request went out: retrying cannot duplicate.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


REQUEST_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "x-trace-id",
    "trace-id",
    "x-correlation-id",
    "x-amzn-requestid",
)
"""Where an answer may carry the id its server logged it under, first found wins.

Neither vendor document names one and no answer observed so far carried one (see
docs/client.md); these are the names common gateways and API frameworks use."""


def request_id_of(headers: httpx.Headers) -> str | None:
    """The request id an answer carries, or None."""
    for name in REQUEST_ID_HEADERS:
        value: str | None = headers.get(name)
        if value:
            return value
    return None


@attrs.frozen
class Deadline:
    """A moment on a monotonic clock after which a call gives up.

    ``at`` is None for no deadline. :meth:`earliest` combines two (a call inside
    ``wait`` ends at whichever comes first).
    """

    at: float | None
    clock: Callable[[], float] = attrs.field(default=time.monotonic, eq=False)

    @classmethod
    def after(cls, seconds: float | None, clock: Callable[[], float]) -> Deadline:
        """The deadline ``seconds`` from now (None: never)."""
        return cls(None if seconds is None else clock() + seconds, clock)

    def remaining(self) -> float | None:
        """Seconds left (never negative), or None without a deadline."""
        return None if self.at is None else max(0.0, self.at - self.clock())

    def earliest(self, other: Deadline) -> Deadline:
        """Whichever of the two deadlines comes first."""
        if other.at is None:
            return self
        if self.at is None or other.at < self.at:
            return other
        return self


NO_FREE_CONNECTION = (
    "the call's deadline passed while it waited for a free connection (max_connections "
    "requests were in flight); it was not sent"
)


FORWARDED = frozenset({"method", "url", "params", "headers", "json", "content", "data", "files"})
"""What ``veo`` passes on from a generated operation's request arguments to httpx."""


def _forwarded(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` when ``veo`` sends all of it; an error naming what it would drop.

    The generated operations may one day emit arguments ``veo`` does not pass on (a
    cookie parameter, say): they must never be silently left out. ``make gen`` builds
    both requests (``openapi/generate.py``, ``check_facade``), so a spec that needs
    more fails there, before any release.
    """
    dropped = sorted(kwargs.keys() - FORWARDED)
    if dropped:
        raise RuntimeError(
            f"{operation}: the generated request has {', '.join(dropped)}, which veo does "
            f"not send (veo/_http.py FORWARDED); update veo for the new spec"
        )
    return kwargs


@functools.lru_cache(maxsize=64)
def absolute_url(base: str, path: str) -> httpx.URL:
    """``base`` + ``path`` (an operation's path, already escaped), parsed once.

    httpx parses a string URL on every request (about 20 µs, as long as the rest of
    ``build_request``), and an ``httpx.URL`` not at all. The create URL never changes,
    and a loop of ``get(task)`` asks for the same task's URL each time.
    """
    return httpx.URL(base + path)


def build_create(body: VideoGenerationRequest, authorization: str) -> dict[str, Any]:
    """``httpx`` request arguments for ``createVideoGeneration``."""
    kwargs = create_video_generation.request_args(body=body, authorization=authorization)
    return _forwarded(CREATE.id, kwargs)


def build_get(task_id: str, authorization: str) -> dict[str, Any]:
    """``httpx`` request arguments for ``getVideoTask`` (the id is path-escaped)."""
    kwargs = get_video_task.request_args(task_id, authorization=authorization)
    return _forwarded(GET_TASK.id, kwargs)


def redacted(error: BaseException, secret: Secret) -> BaseException:
    """``error`` with the key removed from its message and every text it carries.

    Applied to every error that leaves :meth:`Exchange.boundary`, so that no error
    builder has to remember it: the message (``args``), the attributes (``body``,
    ``headers``, ``message``, ``body_excerpt``, ...) and the error it wraps.
    """
    error.args = tuple(secret.redact_value(arg) for arg in error.args)
    for name, value in vars(error).items():
        if isinstance(value, BaseException):
            redacted(value, secret)
        else:
            setattr(error, name, secret.redact_value(value))
    return error


OPERATION_EXTENSION = "veo.operation"
"""The ``httpx.Request.extensions`` key naming the operation an API request is for."""


@attrs.frozen
class ObservedExchange:
    """One HTTP exchange of a client, as its observers see it, the key redacted.

    Attributes:
        operation: ``"createVideoGeneration"`` or ``"getVideoTask"``; None for the video
            host.
        method: the request's method.
        url: the request's URL.
        request_headers: the request's headers (the key shows as ``***``).
        request_body: the request's body (None: none).
        status: the answer's status; None when no answer came.
        headers: the answer's headers.
        body: the answer's body as the client read it (never more than
            ``max_response_bytes``); None for a video, which went to its file.
        seconds: how long the exchange took.
        attempt: which try at the call this was (1 for the first).
        error: the ``veo`` error the exchange ended in, or None.
    """

    operation: str | None
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    seconds: float
    attempt: int
    error: VeoError | None = None


ExchangeObserver = Callable[[ObservedExchange], object]
"""Called with every exchange a client makes (see ``Veo.observing``)."""


@attrs.define(eq=False)
class Exchange:
    """One request and its response, read under a deadline and a size cap.

    Built afresh for every attempt. The clients call, in order: :meth:`boundary`
    around everything, :meth:`prepare` on the request, :meth:`feed` with each chunk of
    the body (or stream it elsewhere, for a video), then :meth:`result`.

    Args:
        secret: the key, redacted from every error.
        safe_create: this is a create without the unsafe opt-in: a failure after the
            request may have been sent becomes ``CreateOutcomeUnknownError``.
        deadline: when the whole exchange must be over.
        timeouts: the per-phase timeouts (``httpx.Timeout.as_dict()``), each capped by
            the time left.
        max_bytes: the largest body read (None: no cap).
        video_host: the answer comes from the video host, where 403/404/410 mean
            an expired link.
        attempt: which try at the call this is (1 for the first), for the log.
        observers: called with the exchange, redacted, once it is over.
    """

    _secret: Secret
    deadline: Deadline = attrs.field(kw_only=True)
    _timeouts: dict[str, float | None] = attrs.field(kw_only=True)
    _safe_create: bool = attrs.field(default=False, kw_only=True)
    _max_bytes: int | None = attrs.field(default=DEFAULT_MAX_RESPONSE_BYTES, kw_only=True)
    _video_host: bool = attrs.field(default=False, kw_only=True)
    _attempt: int = attrs.field(default=1, kw_only=True)
    _observers: tuple[ExchangeObserver, ...] = attrs.field(default=(), kw_only=True)
    _chunks: list[bytes] = attrs.field(init=False, factory=list)
    _size: int = attrs.field(init=False, default=0)
    _request: httpx.Request | None = attrs.field(init=False, default=None)
    """The request once ``prepare`` let it go (None: nothing was sent)."""
    _response: httpx.Response | None = attrs.field(init=False, default=None)
    _started: float = attrs.field(init=False, default=0.0)

    @contextlib.contextmanager
    def boundary(self) -> Iterator[None]:
        """Convert whatever the block raises into a redacted ``veo`` error; log the
        exchange (``veo`` logger, DEBUG)."""
        outcome: BaseException | None = None
        try:
            yield
        except VeoError as exc:
            outcome = self._unknown_if_create(exc)
            raise redacted(outcome, self._secret) from None
        except httpx.HTTPError as exc:
            outcome = self._from_httpx(exc)
            raise redacted(outcome, self._secret) from exc
        except TimeoutError as exc:  # the async clients' hard deadline
            outcome = self._unknown_if_create(self._late())
            raise redacted(outcome, self._secret) from exc
        except BaseException as exc:  # a cancellation, Ctrl-C
            outcome = exc
            raise
        finally:
            if self._request is not None:
                if logger.isEnabledFor(logging.DEBUG):
                    self._log(outcome)
                if self._observers:
                    self._notify(outcome)

    def _notify(self, outcome: BaseException | None) -> None:
        """Hand the exchange, redacted, to each observer. An observer that fails is
        logged, never raised: it must not turn a paid create into an error."""
        assert self._request is not None
        request, response, redact = self._request, self._response, self._secret.redact
        observed = ObservedExchange(
            operation=request.extensions.get(OPERATION_EXTENSION),
            method=request.method,
            url=redact(str(request.url)),
            request_headers={k: redact(v) for k, v in request.headers.items()},
            request_body=request.content or None,
            status=None if response is None else response.status_code,
            headers=tuple(
                (k, redact(v)) for k, v in (response.headers if response else {}).items()
            ),
            body=None if response is None or self._video_host else self._redacted_body(),
            seconds=time.perf_counter() - self._started,
            attempt=self._attempt,
            error=outcome if isinstance(outcome, VeoError) else None,
        )
        for observer in self._observers:
            try:
                observer(observed)
            except Exception:
                logger.warning("an exchange observer failed", exc_info=True)

    def _log(self, outcome: BaseException | None) -> None:
        """One DEBUG line: method, host and path (never the query, which can hold a
        signed link's token), status or error, attempt, time taken, request id."""
        assert self._request is not None
        url = self._request.url
        took = (time.perf_counter() - self._started) * 1000
        if self._response is not None:
            result = f"{self._response.status_code} {self._response.reason_phrase}".strip()
            request_id = request_id_of(self._response.headers)
        else:
            result, request_id = "no answer", None
        if outcome is not None and not isinstance(outcome, APIStatusError):
            result += f", {type(outcome).__name__}"
        line = (
            f"HTTP {self._request.method} {url.scheme}://{url.netloc.decode('ascii')}{url.path}"
            f" -> {result} (attempt {self._attempt}, {took:.0f} ms"
            f"{f', request id {request_id}' if request_id else ''})"
        )
        logger.debug("%s", self._secret.redact(line))

    def _redacted_body(self) -> bytes:
        """The body read, with the key redacted where it shows (JSON is decoded first,
        so an escaped key is found too)."""
        content = self.content
        text = content.decode("utf-8", errors="replace")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            cleaned = self._secret.redact(text)
            return content if cleaned == text else cleaned.encode("utf-8")
        redacted_value = self._secret.redact_value(value)
        if redacted_value == value:
            return content
        return json.dumps(redacted_value, ensure_ascii=False).encode("utf-8")

    def answered(self, response: httpx.Response) -> httpx.Response:
        """Note the response (its headers are in), for the log and the errors."""
        self._response = response
        return response

    def prepare(self, request: httpx.Request) -> httpx.Request:
        """Set each phase's timeout, capped by the time left; refuse when none is left."""
        remaining = self.deadline.remaining()
        if remaining is None:
            request.extensions["timeout"] = dict(self._timeouts)
        elif remaining <= 0:
            raise APITimeoutError("the call's deadline passed", request_sent=False)
        else:
            request.extensions["timeout"] = {
                phase: remaining if limit is None else min(limit, remaining)
                for phase, limit in self._timeouts.items()
            }
        self._request = request
        self._started = time.perf_counter()
        return request

    def feed(self, chunk: bytes) -> None:
        """Keep one chunk of the body; stop at the size cap or the deadline."""
        self._size += len(chunk)
        if self._max_bytes is not None and self._size > self._max_bytes:
            response = self._response
            raise UnexpectedResponseError(
                f"the response body is larger than the {self._max_bytes} bytes allowed "
                f"(max_response_bytes); it was not read further",
                status_code=0 if response is None else response.status_code,
                body_excerpt=_excerpt(b"".join(self._chunks), self._secret),
                request_id=None if response is None else request_id_of(response.headers),
            )
        self._chunks.append(chunk)
        remaining = self.deadline.remaining()
        if remaining is not None and remaining <= 0:
            raise self._late()

    @property
    def content(self) -> bytes:
        """The body read so far."""
        return b"".join(self._chunks)

    def result(self, response: httpx.Response) -> bytes:
        """The body of a 2xx response; raise the typed error for any other."""
        if not response.is_success:
            raise self.error(response)
        return self.content

    def error(self, response: httpx.Response) -> APIStatusError:
        """The typed error for a non-2xx response whose body has been fed."""
        return status_error(response, self.content, self._secret, video_host=self._video_host)

    def _late(self) -> APITimeoutError:
        if self._request is None:  # the async clients wait for a free connection under the deadline
            return APITimeoutError(NO_FREE_CONNECTION, request_sent=False)
        return APITimeoutError(
            "the call did not finish before its deadline (the deadline= option)",
            request_sent=True,
        )

    def _from_httpx(self, exc: httpx.HTTPError) -> APIError:
        sent = self._request is not None and not isinstance(exc, _NOT_SENT)
        message = f"{type(exc).__name__}: {exc}"
        error: APIError
        if isinstance(exc, httpx.TimeoutException):
            remaining = self.deadline.remaining()
            if remaining is not None and remaining <= DEADLINE_SLACK:  # a read cut to it
                message = (
                    f"the call did not finish before its deadline (the deadline= option; {message})"
                )
            else:
                message = f"timed out ({message})"
            error = APITimeoutError(message, request_sent=sent)
        else:
            error = APIConnectionError(f"connection failed ({message})", request_sent=sent)
        return self._unknown_if_create(error)

    @typing.overload
    def _unknown_if_create(self, error: APIError) -> APIError: ...
    @typing.overload
    def _unknown_if_create(self, error: VeoError) -> VeoError: ...
    def _unknown_if_create(self, error: VeoError) -> VeoError:
        """With ``safe_create``, what may have created a task says so."""
        if not self._safe_create or not isinstance(error, APIError):
            return error
        if isinstance(error, APIConnectionError) and error.request_sent:
            return CreateOutcomeUnknownError(error)
        if isinstance(error, APIStatusError) and error.status_code >= 500:
            return CreateOutcomeUnknownError(error)
        if isinstance(error, UnexpectedResponseError):
            return CreateOutcomeUnknownError(error)
        return error


def _excerpt(content: bytes, secret: Secret) -> str:
    """The start of a body as text: decoded, then redacted, and only then cut."""
    return secret.redact(content.decode("utf-8", errors="replace"))[:EXCERPT_CHARS]


def _message(body: Any) -> tuple[str | None, Any]:
    """The message and code of an error body, under whichever name it uses."""
    if not isinstance(body, Mapping):
        return None, None
    error = wire.ERROR_ERROR.get(body)
    candidates = [wire.ERROR_MESSAGE.get(body), wire.ERROR_MSG.get(body)]
    # The spec's "error" is an object; a plain string there is a message too.
    candidates.append(error if isinstance(error, str) else wire.ERROR_ERROR_MESSAGE.get(body))
    candidates += [wire.ERROR_DETAIL.get(body), wire.ERROR_TITLE.get(body)]
    message = next((c for c in candidates if isinstance(c, str) and c.strip()), None)
    code = wire.ERROR_CODE.get(body)
    if code is wire.MISSING:
        code = wire.ERROR_ERROR_CODE.get(body)
    return message, None if code is wire.MISSING else code


def status_error(
    response: httpx.Response, content: bytes, secret: Secret, *, video_host: bool = False
) -> APIStatusError:
    """The typed error for a non-2xx response: the one map from statuses to errors.

    Unknown codes give ``APIStatusError``; the video host's 403/404/410 give
    ``VideoLinkExpiredError``. The body is decoded before anything is cut from it, so
    redaction (at the boundary) sees the text as the server meant it.
    """
    text = content.decode("utf-8", errors="replace")
    body: Any
    try:
        # Decoded first, so that a key the server escaped (\/, \uXXXX) is plain text
        # when it is redacted.
        body = secret.redact_value(json.loads(text))
    except (ValueError, RecursionError):
        body = secret.redact(text)
    message, code = _message(body)
    if message is None:
        message = response.reason_phrase or "unexpected status"
        if isinstance(body, str) and body.strip():
            message = f"{message}: {body.strip()[:EXCERPT_CHARS]}"
    status = response.status_code
    arguments: dict[str, Any] = {
        "status_code": status,
        "body": body,
        "headers": dict(response.headers.items()),
        "code": code,
        "retry_after": parse_retry_after(response.headers.get("Retry-After")),
        "request_id": request_id_of(response.headers),
    }
    if video_host and status in EXPIRED_STATUSES:
        return VideoLinkExpiredError(
            f"the video host refused the result link ({message}). Result links "
            f"expire (often after about 24 hours): call get(task_id) for a fresh link, "
            f"or generate the video again",
            **arguments,
        )
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    return cls(message, **arguments)


def _parse(
    response: httpx.Response,
    content: bytes,
    secret: Secret,
    build: Callable[[Any], VideoTask],
    what: str,
) -> VideoTask:
    """Decode the JSON body and build the task; any failure is UnexpectedResponseError."""

    def unexpected(problem: str) -> UnexpectedResponseError:
        return UnexpectedResponseError(
            problem,
            status_code=response.status_code,
            body_excerpt=_excerpt(content, secret),
            request_id=request_id_of(response.headers),
        )

    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        raise unexpected("the response body is not JSON") from None
    try:
        task = build(data)
    except ValueError as exc:
        raise unexpected(f"the {what} response has the wrong shape: {exc}") from None
    return _without_key(task, content, secret)


def _without_key(task: VideoTask, content: bytes, secret: Secret) -> VideoTask:
    """``task`` with the key redacted from its message and, where it shows, its body.

    A task's message reaches errors, terminals and the batch journal, so it is always
    redacted (it is short, and usually empty). The whole body (``raw``) is redacted
    when the message held the key or the body holds it verbatim: redacting every
    answer's every field would cost more than the rest of the parse.
    """
    message = secret.redact(task.message) if task.message else task.message
    if message == task.message and secret.reveal().encode() not in content:
        return task
    return attrs.evolve(task, message=message, raw=secret.redact_value(task.raw))


def parse_task(response: httpx.Response, content: bytes, secret: Secret) -> VideoTask:
    """The task in a 2xx ``getVideoTask`` response."""
    return _parse(response, content, secret, VideoTask.from_json, "task")


def parse_created(response: httpx.Response, content: bytes, secret: Secret) -> VideoTask:
    """The task in a 2xx ``createVideoGeneration`` response.

    A 2xx whose body has no task id means the task probably exists but cannot be
    tracked, so it is ``CreateOutcomeUnknownError``, never something to retry.
    """
    try:
        return _parse(response, content, secret, VideoTask.from_created, "create")
    except UnexpectedResponseError as exc:
        raise CreateOutcomeUnknownError(exc) from exc
