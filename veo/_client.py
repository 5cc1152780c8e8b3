"""``Veo`` and ``AsyncVeo``: thin I/O shells around logic written once.

Configuration, request building, response interpretation, retry decisions, the wait
loop and file handling live in ``_BaseClient`` and the private modules it calls; the
two clients only send, await, stream and sleep. ``tests/unit/test_surface.py`` keeps
their public signatures identical.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import logging
import os
import queue
import sys
import time
import urllib.request
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Self,
    TypeVar,
    Unpack,
    overload,
)

import attrs
import httpx

from veo._download import ByteProgress, DownloadTarget, safe_filename, video_source
from veo._errors import (
    APIError,
    APITimeoutError,
    ConfigurationError,
    InvalidRequestError,
    UploadError,
    VeoError,
)
from veo._http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    NO_FREE_CONNECTION,
    OPERATION_EXTENSION,
    Deadline,
    Exchange,
    ExchangeObserver,
    absolute_url,
    build_create,
    build_get,
    parse_created,
    parse_task,
    redacted,
)
from veo._images import AsyncUploader, LocalImage, Uploader, held, local_images, read_images
from veo._logs import logging_from_env
from veo._models import REQUEST_FIELDS, GenerationResult, VideoRequest, VideoTask
from veo._operations import CREATE, GET_TASK
from veo._polling import PollSchedule, ProgressCallback, WaitLoop
from veo._retry import Retries, RetryPolicy
from veo._rules import Problem, check_http_url, is_loopback_host, task_id_problem
from veo._s3 import ObjectTarget, S3Destination
from veo._secret import Secret, calling_with, check_key
from veo._transport import (
    CALL_REMAINING,
    DEFAULT_MAX_CONNECTIONS,
    DefaultHttpxClient,
    pool_limits,
    proxy_problem,
)
from veo._version import __version__
from veo_api.request_fields import RequestFields

if TYPE_CHECKING:
    import asyncio

__all__ = ["AsyncVeo", "Veo"]

logger = logging.getLogger("veo")

DEFAULT_BASE_URL = "https://duomiapi.com"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_DEADLINE = 180.0
DEFAULT_WAIT_TIMEOUT = 900.0
USER_AGENT = (
    f"duomi-veo/{__version__} (Python {'.'.join(map(str, sys.version_info[:3]))}; "
    f"httpx {httpx.__version__})"
)
"""Sent with every request, so the vendor can tell this client's traffic apart (an
injected ``http_client`` with a ``User-Agent`` of its own keeps it)."""

T = TypeVar("T")
Parser = Callable[[httpx.Response, bytes, Secret], VideoTask]
CreatedCallback = Callable[[VideoTask], object]
"""Called with a task right after its create was accepted (``AsyncVeo``: may be async)."""


def _request_from(
    request: VideoRequest | str | None,
    fields: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
) -> VideoRequest:
    """The request a ``create``/``generate`` call describes: a ``VideoRequest``, or a
    prompt and the spec's fields as keyword arguments (those given as None skipped)."""
    given = {name: value for name, value in fields.items() if value is not None}
    if extra_body is not None:
        given["extra_body"] = extra_body
    if isinstance(request, VideoRequest):
        if given:
            names = ", ".join(sorted(given))
            raise InvalidRequestError(
                [Problem("request", f"pass either a VideoRequest or fields, not both ({names})")]
            )
        return request
    if isinstance(request, str):
        if "prompt" in given:
            raise InvalidRequestError([Problem("prompt", "given twice")])
        given["prompt"] = request
    unknown = sorted(given.keys() - set(REQUEST_FIELDS))
    if unknown:
        known = ", ".join(REQUEST_FIELDS)
        raise InvalidRequestError(
            [Problem(name, f"is not a request field (the spec's: {known})") for name in unknown]
        )
    return VideoRequest(**{"prompt": "", **given})


def base_url_of(given: str | None) -> str:
    """The API's base URL a client uses: ``given``, else ``DUOMI_BASE_URL``, else the
    vendor's."""
    return given or os.environ.get("DUOMI_BASE_URL") or DEFAULT_BASE_URL


def base_url_problem(
    url: str, field: str, *, allow_insecure_http: bool = False, insecure_fix: str
) -> str | None:
    """What makes ``url`` unusable as the API's base URL (named ``field``), or None:
    not an absolute http(s) URL, or plain ``http://`` to a host that is not loopback
    (the key would travel unencrypted) unless allowed; ``insecure_fix`` says what to do
    about that, in the caller's words (the library's, the command's)."""
    problem = check_http_url(url, field)
    if problem:
        return str(problem)
    parsed = httpx.URL(url)
    if parsed.scheme == "http" and not is_loopback_host(parsed.host) and not allow_insecure_http:
        return (
            f"{field}: plain http:// to {parsed.host} would send the API key unencrypted; "
            f"{insecure_fix}"
        )
    return None


def task_id_of(task: VideoTask | str) -> str:
    """The id of ``task``, checked to stay one path segment of the task URL.

    Raises:
        InvalidRequestError: empty, ``.`` or ``..`` (a URL would resolve them as
            path steps), or not encodable as UTF-8.
    """
    task_id = task.id if isinstance(task, VideoTask) else task
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError([Problem("task_id", "must be a non-empty string")])
    problem = task_id_problem(task_id)
    if problem is not None:
        raise InvalidRequestError([Problem("task_id", problem)])
    return task_id


@contextlib.contextmanager
def paid_task(task: VideoTask | str) -> Iterator[None]:
    """Make whatever ends a call after a paid create name the task and how to recover it.

    Errors, and interruptions too (``KeyboardInterrupt``, ``asyncio.CancelledError``,
    ``SystemExit``): each leaves with ``.task_id`` and a note, its type unchanged (a
    cancellation stays a cancellation).
    """
    task_id = task.id if isinstance(task, VideoTask) else task
    try:
        yield
    except GeneratorExit:
        raise
    except BaseException as exc:
        if getattr(exc, "task_id", None) is None:
            with contextlib.suppress(AttributeError):  # a few built-in errors take none
                exc.task_id = task_id  # type: ignore[attr-defined]
        exc.add_note(f"task {task_id} was created (paid); recover it with: veo download {task_id}")
        raise


_C = TypeVar("_C", bound="_BaseClient[Any, Any]")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _shown_redacted(method: Callable[Concatenate[_C, _P], _R]) -> Callable[Concatenate[_C, _P], _R]:
    """The one exit of a public method: whatever error leaves it (one raised past the
    HTTP boundary too, as ``WaitTimeoutError``, or an interruption carrying the paid
    task's id) has the client's key removed from its message, attributes and notes; and
    while it runs, log records of the ``veo``, ``httpx`` and ``httpcore`` loggers and
    the names of saved files lose the key too (``calling_with``). Works for coroutine
    functions as for plain ones."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def awaited(self: _C, /, *args: _P.args, **kwargs: _P.kwargs) -> Any:
            try:
                with calling_with(self._secret):
                    return await method(self, *args, **kwargs)
            except BaseException as exc:
                redacted(exc, self._secret)
                raise

        return awaited  # type: ignore[return-value]

    @functools.wraps(method)
    def called(self: _C, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            with calling_with(self._secret):
                return method(self, *args, **kwargs)
        except BaseException as exc:
            redacted(exc, self._secret)
            raise

    return called


def _preflight_file(dest: object, overwrite: bool) -> None:
    """``generate``'s check, before paying, that its file could be saved.

    Raises:
        InvalidRequestError: ``dest`` is not a path (a bucket is ``download``'s).
        DestinationExistsError, DownloadError: see ``DownloadTarget.preflight``.
    """
    if not isinstance(dest, str | os.PathLike):
        rule = (
            "generate saves a file (a path); to save into a bucket, download the finished "
            "task there: download(wait(create(...)), veo.S3Destination('s3://...'))"
        )
        raise InvalidRequestError([Problem("dest", rule)])
    DownloadTarget.preflight(dest, overwrite=overwrite)


class _OwnKey:
    """The client's own key (the default ``Authorization`` of a request)."""


OWN_KEY = _OwnKey()

HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
SleepT = TypeVar("SleepT", Callable[[float], None], Callable[[float], Awaitable[None]])


async def _in_thread(work: Callable[[], T], undo: Callable[[T], object] | None = None) -> T:
    """``work()`` in a worker thread, for the disk's sake.

    A thread cannot be stopped: when the caller is cancelled meanwhile, this waits for
    ``work`` to end (and passes what it made to ``undo``) before the cancellation goes
    on, so nothing ``work`` touches is closed or removed under it, and nothing it made
    is left behind.
    """
    import asyncio  # imported by whoever runs the event loop: a dictionary lookup

    # What asyncio.to_thread does, but a future (no task) that can be shielded.
    running = asyncio.get_running_loop().run_in_executor(None, contextvars.copy_context().run, work)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        while not running.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({running})
        if undo is not None and not running.cancelled() and running.exception() is None:
            undo(running.result())
        raise


class _BaseClient(Generic[HttpT, SleepT]):
    """Configuration and every step that does no I/O, shared by both clients.

    The one ``__init__`` serves both (so their constructors cannot drift apart); each
    client names its HTTP client class and its default sleep function.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        bearer: bool = False,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry: RetryPolicy | None = None,
        poll_schedule: PollSchedule | None = None,
        unsafe_create_retries: bool = False,
        allow_insecure_http: bool = False,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        http_client: HttpT | None = None,
        sleep: SleepT | None = None,
        clock: Callable[[], float] | None = None,
        uploader: Uploader | AsyncUploader | None = None,
    ) -> None:
        logging_from_env()
        self.uploader = uploader
        key = api_key if api_key is not None else os.environ.get("DUOMI_API_KEY")
        if key is None or not key.strip():
            raise ConfigurationError(
                "api_key: no API key; pass api_key= or set the DUOMI_API_KEY environment variable"
            )
        self._secret = Secret(check_key(key, "api_key" if api_key is not None else "DUOMI_API_KEY"))
        url = base_url_of(base_url)
        problem = base_url_problem(
            url,
            "base_url",
            allow_insecure_http=allow_insecure_http,
            insecure_fix="use https://, or pass allow_insecure_http=True",
        )
        if problem:
            raise ConfigurationError(problem)
        self.base_url = httpx.URL(url)
        if deadline is not None and deadline <= 0:
            raise ConfigurationError(f"deadline: must be positive or None, got {deadline!r}")
        if max_response_bytes <= 0:
            raise ConfigurationError(
                f"max_response_bytes: must be positive, got {max_response_bytes!r}"
            )
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ConfigurationError(
                f"max_connections: must be a whole number, got {max_connections!r}"
            )
        if max_connections < 1:
            raise ConfigurationError(f"max_connections: must be at least 1, got {max_connections}")
        self.max_connections = max_connections
        self._base = str(self.base_url).rstrip("/")
        self._bearer = bearer
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._timeouts = self._timeout.as_dict()
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.retry = retry or RetryPolicy()
        self.poll_schedule = poll_schedule or PollSchedule()
        self.unsafe_create_retries = unsafe_create_retries
        self._clock = clock or time.monotonic
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._made_http()
        # Ours carry the User-Agent as a default header; an injected client keeps its
        # own, or gets ours on each request when it has only httpx's.
        self._headers: dict[str, str] = {}
        if self._owns_http:
            self._http.headers["User-Agent"] = USER_AGENT
        elif self._http.headers.get("User-Agent", "").startswith("python-httpx/"):
            self._headers = {"User-Agent": USER_AGENT}
        # At most max_connections requests in flight, waited for within the deadline:
        # none queues inside the pool the client makes (that size), and a create that
        # never got a slot was never sent. An injected httpx client past its own pool
        # size would queue requests in httpcore, which rescans the whole queue against
        # every connection at each step.
        self._slots = self._new_slots()
        self._sleep: SleepT = sleep if sleep is not None else self._default_sleep()
        self._observers: tuple[ExchangeObserver, ...] = ()

    def _new_http(self) -> HttpT:
        raise NotImplementedError

    def _made_http(self) -> HttpT:
        """The client's own httpx client; a proxy from the environment it cannot use is
        a configuration error naming the variable."""
        try:
            return self._new_http()
        except (ValueError, ImportError) as exc:
            problem = proxy_problem(exc)
            if problem is None:
                raise
            raise ConfigurationError(problem) from None

    def _direct(self) -> dict[str, None]:
        """httpx ``mounts`` that keep a plain-http loopback base URL off any proxy.

        Plain ``http://`` is allowed to loopback because the key never leaves the
        machine; a proxy named in the environment would carry it elsewhere, unencrypted.
        """
        if self.base_url.scheme != "http" or not is_loopback_host(self.base_url.host):
            return {}
        if not urllib.request.getproxies():  # what httpx reads; a mount costs every request
            return {}
        return {f"http://{self.base_url.netloc.decode('ascii')}": None}

    def _default_sleep(self) -> SleepT:
        raise NotImplementedError

    def _new_slots(self) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key='***', "
            f"bearer={self._bearer!r})"
        )

    def _authorization(self) -> str:
        key = self._secret.reveal()
        return f"Bearer {key}" if self._bearer and not key.startswith("Bearer ") else key

    def _api_request(self, kwargs: dict[str, Any]) -> httpx.Request:
        # Everything the generated operation built (build_create and build_get refuse
        # what is not forwarded). No timeout here: Exchange.prepare sets it, capped by
        # the call's deadline.
        method, path = kwargs.pop("method"), kwargs.pop("url")
        if self._headers:
            kwargs["headers"] = {**kwargs.get("headers", {}), **self._headers}
        return self._http.build_request(method, absolute_url(self._base, path), **kwargs)

    def _local_images(self, request: VideoRequest) -> list[tuple[int, Any]]:
        """The request's local images with their places, the rest of the request
        checked first, so that nothing is uploaded for a request that would be refused
        (none: nothing to upload; without an uploader, the request's own check says
        what to do).

        Raises:
            InvalidRequestError: a broken rule; nothing was uploaded or sent.
        """
        found = local_images(request.image_urls)
        if not found or self.uploader is None:
            return []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the real request warns when it is built
            attrs.evolve(request, image_urls=held(request.image_urls)).to_model()
        return found

    @staticmethod
    def _uploaded(request: VideoRequest, urls: Mapping[int, str]) -> VideoRequest:
        images = [urls.get(index, url) for index, url in enumerate(request.image_urls)]
        return attrs.evolve(request, image_urls=images)

    @staticmethod
    def _upload_failed(index: int, image: LocalImage, exc: Exception) -> UploadError:
        where = f"image_urls[{index}]"
        if isinstance(exc, UploadError):
            return UploadError(f"{where}: {exc}", field=where, name=exc.name or image.name)
        return UploadError(
            f"{where} ({image.name}): the upload failed ({type(exc).__name__}: {exc}); "
            f"nothing was created",
            field=where,
            name=image.name,
        )

    @staticmethod
    def _upload_url(index: int, image: LocalImage, url: object) -> str:
        problem = check_http_url(url, f"image_urls[{index}]")
        if problem is not None:
            raise UploadError(
                f"image_urls[{index}] ({image.name}): the uploader returned no usable URL "
                f"({problem.rule}); nothing was created",
                field=f"image_urls[{index}]",
                name=image.name,
            )
        return str(url)

    def _create_request(self, request: VideoRequest) -> httpx.Request:
        model = request.to_model()
        built = self._api_request(build_create(model, self._authorization()))
        built.extensions[OPERATION_EXTENSION] = CREATE.id
        logger.debug("creating a task: %s %s", built.method, built.url)
        return built

    def _get_request(
        self, task: VideoTask | str, authorization: str | _OwnKey | None = OWN_KEY
    ) -> httpx.Request:
        """The ``getVideoTask`` request, with the client's key, another ``Authorization``
        value, or none (None; ``veo check``'s probes)."""
        value = self._authorization() if isinstance(authorization, _OwnKey) else authorization
        built = self._api_request(build_get(task_id_of(task), value or ""))
        if value is None:
            del built.headers["Authorization"]
        built.extensions[OPERATION_EXTENSION] = GET_TASK.id
        return built

    @contextlib.contextmanager
    def observing(self, observer: ExchangeObserver) -> Iterator[None]:
        """Call ``observer`` with every HTTP exchange this client makes while the block
        runs: each ``ObservedExchange`` (request, status, headers, the body as the
        client read it, time taken, the error it ended in), the key redacted. ``veo
        generate --record`` records through it. An observer that raises is logged
        (``veo`` logger, WARNING), never raised into the call.
        """
        self._observers = (*self._observers, observer)
        try:
            yield
        finally:
            self._observers = tuple(o for o in self._observers if o is not observer)

    def _download_request(self, url: str) -> httpx.Request:
        request = self._http.build_request("GET", url, headers=self._headers)
        # The video lives on another host (a CDN): it never gets the key, even when an
        # injected client carries one in its default headers.
        request.headers.pop("Authorization", None)
        return request

    def _call_deadline(self) -> Deadline:
        """The deadline of one create or get call, retries included."""
        return Deadline.after(self.deadline, self._clock)

    def _retries(self, deadline: Deadline, *, safe_create: bool = False) -> Retries:
        return Retries(self.retry, safe_create=safe_create, remaining=deadline.remaining)

    def _exchange(
        self,
        deadline: Deadline,
        *,
        safe_create: bool = False,
        video: bool = False,
        attempt: int = 1,
    ) -> Exchange:
        return Exchange(
            self._secret,
            attempt=attempt,
            safe_create=safe_create,
            deadline=deadline,
            timeouts=self._timeouts,
            max_bytes=None if video else self.max_response_bytes,
            video_host=video,
            observers=self._observers,
        )

    def _safe_create(self) -> bool:
        return not self.unsafe_create_retries

    def _wait_loop(
        self, task: VideoTask | str, timeout: float, on_progress: ProgressCallback | None
    ) -> WaitLoop:
        return WaitLoop(
            task_id_of(task), timeout, on_progress, self.poll_schedule, self.retry, self._clock
        )

    def _download_target(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] | S3Destination,
        overwrite: bool,
    ) -> tuple[httpx.Request, DownloadTarget | ObjectTarget]:
        url, stem, task_id = video_source(task_or_url)
        target: DownloadTarget | ObjectTarget
        if isinstance(dest, S3Destination):
            target = dest.target(safe_filename(stem), overwrite=overwrite, task_id=task_id)
        else:
            target = DownloadTarget(dest, stem, overwrite=overwrite, task_id=task_id)
        return self._download_request(url), target


class Veo(_BaseClient[httpx.Client, Callable[[float], None]]):
    """The synchronous client.

    Args:
        api_key: the key; defaults to the ``DUOMI_API_KEY`` environment variable. It
            is sent verbatim in ``Authorization`` and never shown in ``repr``, errors
            or logs. Surrounding white space (and a BOM) is removed; a key with line
            breaks, control or non-ASCII characters is refused.
        base_url: defaults to ``DUOMI_BASE_URL``, then ``https://duomiapi.com``. Plain
            ``http://`` is refused except to loopback hosts.
        bearer: send ``Bearer <key>`` instead of the raw key.
        timeout: per-phase timeouts (connect, each read, each write) in seconds, or an
            ``httpx.Timeout``.
        deadline: the most seconds one ``create`` or ``get`` call may take in all,
            retries and their pauses included (None: no limit). A server that trickles
            its answer, headers included, cannot stretch a call past it: the client's
            own connections end every read by it. (An injected ``http_client`` other
            than ``veo.DefaultHttpxClient``: by at most one read timeout more.)
        max_response_bytes: the largest API response read (videos are not capped);
            a larger one is an ``UnexpectedResponseError``.
        retry: how reads (and the safe cases of create) are retried.
        poll_schedule: how ``wait`` spaces its polls.
        unsafe_create_retries: also retry a create after failures that may have
            created the task (timeouts after sending, resets, 5xx). Can buy duplicates.
        allow_insecure_http: allow a plain ``http://`` base URL to a remote host.
        max_connections: the most requests in flight at once (and connections open
            at once, in the pool the client makes). More wait for a free one, within
            their ``deadline``; a create that never got one was never sent.
        http_client: an ``httpx.Client`` to use as it is; you keep ownership (it is not
            closed). For your own TLS or proxy set-up, build a ``veo.DefaultHttpxClient``
            (``AsyncVeo``: ``veo.DefaultAioHttpClient``) with httpx's arguments.
        sleep: the function used for every pause (retries, polling); tests pass a fake.
        clock: the monotonic clock for deadlines; tests pass a fake.
        uploader: turns local images in ``image_urls`` (a ``Path``, a path string, bytes)
            into URLs before a create (``veo.S3Uploader``, or any ``veo.Uploader``);
            without one a local image is refused.

    Raises:
        ConfigurationError: no key, a key that cannot be sent, or an unsafe base URL.
    """

    def _new_http(self) -> httpx.Client:
        return DefaultHttpxClient(limits=pool_limits(self.max_connections), mounts=self._direct())

    def _take_slot(self, deadline: Deadline) -> None:
        """One of the ``max_connections`` request slots, waited for within ``deadline``;
        the caller puts it back (``_slots.put(None)``)."""
        try:
            self._slots.get_nowait()  # the usual case: no wait, no clock
        except queue.Empty:
            remaining = deadline.remaining()
            try:
                self._slots.get(timeout=None if remaining is None else max(remaining, 0))
            except queue.Empty:
                raise APITimeoutError(NO_FREE_CONNECTION, request_sent=False) from None

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def _new_slots(self) -> queue.SimpleQueue[None]:
        # A queue of tokens: a semaphore whose fast path is C (threading's is Python).
        slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(self.max_connections):
            slots.put(None)
        return slots

    def close(self) -> None:
        """Close the connection pool (unless the ``httpx.Client`` was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _retrying(self, attempt: Callable[[int], T], retries: Retries) -> T:
        # The one retry loop: every decision is Retries.delay_after's. ``attempt`` gets
        # the try's number (1 for the first).
        while True:
            try:
                return attempt(retries.attempts + 1)
            except VeoError as exc:
                delay = retries.delay_after(exc)
                if delay is None:
                    raise
            self._sleep(delay)

    def _call(self, request: httpx.Request, exchange: Exchange, parse: Parser) -> VideoTask:
        with exchange.boundary():
            self._take_slot(exchange.deadline)
            # Every read of the client's own connections ends by the deadline (headers
            # included), whatever the per-read timeout: veo/_transport.py.
            until = CALL_REMAINING.set(exchange.deadline.remaining)
            try:
                response = exchange.answered(
                    self._http.send(exchange.prepare(request), stream=True)
                )
                try:
                    for chunk in response.iter_bytes():
                        exchange.feed(chunk)
                finally:
                    response.close()
            finally:
                CALL_REMAINING.reset(until)
                self._slots.put(None)
            return parse(response, exchange.result(response), self._secret)

    def _save(
        self,
        request: httpx.Request,
        target: DownloadTarget | ObjectTarget,
        on_progress: ByteProgress | None,
        attempt: int,
    ) -> Path | str:
        exchange = self._exchange(Deadline(None), video=True, attempt=attempt)
        with exchange.boundary(), target.attempt() as sink:
            self._take_slot(exchange.deadline)
            try:
                response = exchange.answered(
                    self._http.send(
                        exchange.prepare(request), stream=True, auth=None, follow_redirects=True
                    )
                )
                try:
                    if not response.is_success:
                        for chunk in response.iter_bytes():
                            exchange.feed(chunk)
                        raise exchange.error(response)
                    sink.begin(response, on_progress)
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
                finally:
                    response.close()
            finally:
                self._slots.put(None)
            return sink.finish()

    def _upload(self, index: int, image: LocalImage) -> str:
        uploader = self.uploader
        assert uploader is not None  # _local_images found none without one
        try:
            url = uploader.upload(image)
        except Exception as exc:
            raise self._upload_failed(index, image, exc) from exc
        return self._upload_url(index, image, url)

    @_shown_redacted
    def create(
        self,
        request: VideoRequest | str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
        on_created: CreatedCallback | None = None,
        **fields: Unpack[RequestFields],
    ) -> VideoTask:
        """Create a task (one paid video) and return it, pending.

        Pass a ``VideoRequest``, or a prompt and fields (see ``VideoRequest``).
        ``on_created`` is called with the task as soon as the service accepted it,
        before anything else: store its id there (a database, a log) so that nothing
        that happens next can lose it. An exception it raises leaves this method with
        the task's ``task_id``.

        Raises:
            InvalidRequestError: the request breaks a rule; nothing was sent.
            CreateOutcomeUnknownError: the task may exist; it was not retried.
            APIStatusError: the service refused the request (401, 402, 429, ...).
            APIConnectionError: the service could not be reached.
            UploadError: a local image could not be uploaded; nothing was created.
        """
        wanted = _request_from(request, fields, extra_body)
        if found := self._local_images(wanted):
            images = read_images(found)
            wanted = self._uploaded(wanted, {i: self._upload(i, image) for i, image in images})
        built = self._create_request(wanted)
        deadline, safe = self._call_deadline(), self._safe_create()
        task = self._retrying(
            lambda n: self._call(
                built, self._exchange(deadline, safe_create=safe, attempt=n), parse_created
            ),
            self._retries(deadline, safe_create=safe),
        )
        logger.info("created task %s", task.id)
        if on_created is not None:
            with paid_task(task):
                on_created(task)
        return task

    @_shown_redacted
    def get(self, task: VideoTask | str) -> VideoTask:
        """Fetch the task's current state.

        Raises:
            InvalidRequestError: the task id is empty, ``.`` or ``..``; nothing was sent.
            NotFoundError: no such task.
            APIError: the service could not be reached or answered oddly.
        """
        built, deadline = self._get_request(task), self._call_deadline()
        return self._retrying(
            lambda n: self._call(built, self._exchange(deadline, attempt=n), parse_task),
            self._retries(deadline),
        )

    def _probe(self, task: VideoTask | str, authorization: str | None) -> VideoTask:
        """``get`` sent once, with another ``Authorization`` value or none: the probes
        of ``veo check``, on the client's own exchange."""
        built, deadline = self._get_request(task, authorization), self._call_deadline()
        return self._call(built, self._exchange(deadline), parse_task)

    @_shown_redacted
    def wait(
        self,
        task: VideoTask | str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> VideoTask:
        """Poll until the task succeeds, fails, or ``timeout`` seconds pass.

        Polls back off (see ``PollSchedule``); a poll that fails transiently is
        simply followed by the next one, within the deadline. A poll in flight when
        the deadline comes is cut short. ``on_progress`` gets the task on each change
        of state or progress.

        Raises:
            TaskFailedError: the task failed (``.task.message`` says why).
            WaitTimeoutError: the deadline passed; ``.task_id`` lets you wait again.
        """
        loop = self._wait_loop(task, timeout, on_progress)
        built = self._get_request(loop.task_id)
        while True:
            exchange = self._exchange(self._call_deadline().earliest(loop.deadline))
            outcome: VideoTask | APIError
            try:
                outcome = self._call(built, exchange, parse_task)
            except APIError as exc:
                outcome = exc
            step = loop.step(outcome)
            if isinstance(step, VideoTask):
                return step
            self._sleep(step)

    @overload
    def download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> Path: ...

    @overload
    def download(
        self,
        task_or_url: VideoTask | str,
        dest: S3Destination,
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> str: ...

    def download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] | S3Destination = ".",
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> Path | str:
        """Save the video; return its path. The file is whole or absent.

        ``dest`` is a file path or an existing directory (the name is then derived
        safely from the task id), or a ``veo.S3Destination`` (an object in a bucket,
        whole or absent too; its ``s3://`` URL is returned). The video host never
        receives the API key. An MP4 that ends inside a box (a connection cut with no
        length to tell) is refused.

        Raises:
            DestinationExistsError: the file exists and ``overwrite`` is False (no
                request made; also a ``FileExistsError``).
            NoVideoError: the task succeeded but names no video.
            VideoLinkExpiredError: the video host refused the link (403/404/410).
            APIConnectionError: the video host could not be reached, or hung up before
                the end (after the retries).
            DownloadError: the body was short, long or cut, or the disk refused it
                (``.errno``); no temporary file is left behind.
        """
        return self._download(task_or_url, dest, overwrite, on_progress)

    @_shown_redacted
    def _download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] | S3Destination,
        overwrite: bool,
        on_progress: ByteProgress | None,
    ) -> Path | str:
        built, target = self._download_target(task_or_url, dest, overwrite)
        try:
            return self._retrying(
                lambda n: self._save(built, target, on_progress, n), self._retries(Deadline(None))
            )
        finally:
            target.discard()

    @_shown_redacted
    def generate(
        self,
        request: VideoRequest | str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
        dest: str | os.PathLike[str] = ".",
        overwrite: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        on_created: CreatedCallback | None = None,
        **fields: Unpack[RequestFields],
    ) -> GenerationResult:
        """Create a task, wait for it, and download the video: the whole job.

        The destination is checked before the task is created (the directory can be
        made and written, the file does not exist unless ``overwrite``), so a
        destination that cannot work fails before any money is spent. Every error
        after the create carries the paid task's ``task_id``; ``on_created`` is called
        with the task before the wait begins (see ``create``).

        Raises:
            DestinationExistsError: the file exists and ``overwrite`` is False
                (checked before the task is created).
            DownloadError: the destination's directory cannot be made or written
                (checked before the task is created), or the video could not be saved.
            And everything ``create``, ``wait`` and ``download`` raise.
        """
        _preflight_file(dest, overwrite)
        task = self.create(_request_from(request, fields, extra_body), on_created=on_created)
        with paid_task(task):
            finished = self.wait(task, timeout=timeout, on_progress=on_progress)
            path = self.download(finished, dest, overwrite=overwrite)
        return GenerationResult(task=finished, path=path)


class AsyncVeo(_BaseClient[httpx.AsyncClient, Callable[[float], Awaitable[None]]]):
    """The asynchronous client. Same as ``Veo``, but async.

    ``http_client`` is an ``httpx.AsyncClient``; ``sleep`` is a coroutine function.
    The call ``deadline`` is enforced exactly: a call still running at it is cancelled.
    """

    def _new_http(self) -> httpx.AsyncClient:
        from veo._aiohttp import DefaultAioHttpClient  # aiohttp: imported when first used

        return DefaultAioHttpClient(limits=pool_limits(self.max_connections), mounts=self._direct())

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        import asyncio  # not at the top: `import veo` stays cheap for sync users

        return asyncio.sleep

    def _new_slots(self) -> asyncio.Semaphore:
        import asyncio

        return asyncio.Semaphore(self.max_connections)

    async def close(self) -> None:
        """Same as ``Veo.close``, but async."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _retrying(self, attempt: Callable[[int], Awaitable[T]], retries: Retries) -> T:
        # Same as Veo._retrying, but async.
        while True:
            try:
                return await attempt(retries.attempts + 1)
            except VeoError as exc:
                delay = retries.delay_after(exc)
                if delay is None:
                    raise
            await self._sleep(delay)

    async def _call(self, request: httpx.Request, exchange: Exchange, parse: Parser) -> VideoTask:
        import asyncio

        with exchange.boundary():
            async with asyncio.timeout(exchange.deadline.remaining()), self._slots:
                response = exchange.answered(
                    await self._http.send(exchange.prepare(request), stream=True)
                )
                try:
                    async for chunk in response.aiter_bytes():
                        exchange.feed(chunk)
                finally:
                    await response.aclose()
            return parse(response, exchange.result(response), self._secret)

    async def _save(
        self,
        request: httpx.Request,
        target: DownloadTarget | ObjectTarget,
        on_progress: ByteProgress | None,
        attempt: int,
    ) -> Path | str:
        exchange = self._exchange(Deadline(None), video=True, attempt=attempt)
        with (
            exchange.boundary(),
            await _in_thread(target.attempt, lambda sink: sink.discard()) as sink,
        ):
            async with self._slots:
                response = exchange.answered(
                    await self._http.send(
                        exchange.prepare(request), stream=True, auth=None, follow_redirects=True
                    )
                )
                try:
                    if not response.is_success:
                        async for chunk in response.aiter_bytes():
                            exchange.feed(chunk)
                        raise exchange.error(response)
                    sink.begin(response, on_progress)
                    async for chunk in response.aiter_bytes():
                        if sink.keep(chunk):  # the disk waits for a worker thread
                            await _in_thread(sink.write_kept)
                finally:
                    await response.aclose()
            return await _in_thread(sink.finish)

    async def _upload(self, index: int, image: LocalImage) -> str:
        uploader = self.uploader
        assert uploader is not None  # _local_images found none without one
        try:
            if inspect.iscoroutinefunction(uploader.upload):
                url = await uploader.upload(image)
            else:
                url = await _in_thread(lambda: uploader.upload(image))
        except Exception as exc:
            raise self._upload_failed(index, image, exc) from exc
        return self._upload_url(index, image, url)

    @_shown_redacted
    async def create(
        self,
        request: VideoRequest | str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
        on_created: CreatedCallback | None = None,
        **fields: Unpack[RequestFields],
    ) -> VideoTask:
        """Same as ``Veo.create``, but async; ``on_created`` may be a coroutine function,
        and the uploader an ``AsyncUploader`` (a plain one runs in a worker thread)."""
        wanted = _request_from(request, fields, extra_body)
        if found := self._local_images(wanted):
            images = await _in_thread(lambda: read_images(found))
            urls = {index: await self._upload(index, image) for index, image in images}
            wanted = self._uploaded(wanted, urls)
        built = self._create_request(wanted)
        deadline, safe = self._call_deadline(), self._safe_create()
        task = await self._retrying(
            lambda n: self._call(
                built, self._exchange(deadline, safe_create=safe, attempt=n), parse_created
            ),
            self._retries(deadline, safe_create=safe),
        )
        logger.info("created task %s", task.id)
        if on_created is not None:
            with paid_task(task):
                outcome = on_created(task)
                if inspect.isawaitable(outcome):
                    await outcome
        return task

    @_shown_redacted
    async def get(self, task: VideoTask | str) -> VideoTask:
        """Same as ``Veo.get``, but async."""
        built, deadline = self._get_request(task), self._call_deadline()
        return await self._retrying(
            lambda n: self._call(built, self._exchange(deadline, attempt=n), parse_task),
            self._retries(deadline),
        )

    @_shown_redacted
    async def wait(
        self,
        task: VideoTask | str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> VideoTask:
        """Same as ``Veo.wait``, but async."""
        loop = self._wait_loop(task, timeout, on_progress)
        built = self._get_request(loop.task_id)
        while True:
            exchange = self._exchange(self._call_deadline().earliest(loop.deadline))
            outcome: VideoTask | APIError
            try:
                outcome = await self._call(built, exchange, parse_task)
            except APIError as exc:
                outcome = exc
            step = loop.step(outcome)
            if isinstance(step, VideoTask):
                return step
            await self._sleep(step)

    @overload
    async def download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> Path: ...

    @overload
    async def download(
        self,
        task_or_url: VideoTask | str,
        dest: S3Destination,
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> str: ...

    async def download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] | S3Destination = ".",
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> Path | str:
        """Same as ``Veo.download``, but async."""
        return await self._download(task_or_url, dest, overwrite, on_progress)

    @_shown_redacted
    async def _download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] | S3Destination,
        overwrite: bool,
        on_progress: ByteProgress | None,
    ) -> Path | str:
        built, target = self._download_target(task_or_url, dest, overwrite)
        try:
            return await self._retrying(
                lambda n: self._save(built, target, on_progress, n), self._retries(Deadline(None))
            )
        finally:
            target.discard()

    @_shown_redacted
    async def generate(
        self,
        request: VideoRequest | str | None = None,
        *,
        extra_body: Mapping[str, Any] | None = None,
        dest: str | os.PathLike[str] = ".",
        overwrite: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
        on_created: CreatedCallback | None = None,
        **fields: Unpack[RequestFields],
    ) -> GenerationResult:
        """Same as ``Veo.generate``, but async."""
        _preflight_file(dest, overwrite)
        task = await self.create(_request_from(request, fields, extra_body), on_created=on_created)
        with paid_task(task):
            finished = await self.wait(task, timeout=timeout, on_progress=on_progress)
            path = await self.download(finished, dest, overwrite=overwrite)
        return GenerationResult(task=finished, path=path)


def _check_field_names() -> None:
    """A request field the spec adds must not share a name with a parameter of the
    clients' methods (it could never be passed): ``make gen`` imports ``veo`` and fails
    here, naming it."""
    own = {
        name
        for method in (Veo.create, Veo.generate)
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }
    clashes = sorted(own & set(REQUEST_FIELDS) - {"extra_body"})
    if clashes:
        raise ImportError(
            f"the spec's request field(s) {', '.join(clashes)} have the name of a parameter "
            f"of Veo.create/generate; rename the parameter in veo/_client.py for the new spec"
        )


_check_field_names()
