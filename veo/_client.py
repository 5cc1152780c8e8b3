"""``Veo`` and ``AsyncVeo``: thin I/O shells around logic written once.

Configuration, request building, response interpretation, retry decisions, the wait
loop and file handling live in ``_BaseClient`` and the private modules it calls; the
two clients only send, await, stream and sleep. ``tests/unit/test_client_surface.py``
keeps their public signatures identical.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
import tenacity

from veo._download import ByteProgress, DownloadTarget, check_download_status, video_source
from veo._errors import APIError, ConfigurationError, InvalidRequestError
from veo._models import GenerationResult, VideoRequest, VideoTask
from veo._polling import PollSchedule, ProgressCallback, WaitLoop
from veo._retry import RetryPolicy, retry_delay, should_retry, tenacity_arguments
from veo._rules import Problem, check_http_url, is_loopback_host
from veo._transport import (
    Secret,
    build_create,
    build_get,
    check_response,
    convert_http_error,
    parse_created,
    parse_task,
)

__all__ = ["AsyncVeo", "Veo"]

logger = logging.getLogger("veo")

DEFAULT_BASE_URL = "https://duomiapi.com"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_WAIT_TIMEOUT = 900.0


def _request_from(request: VideoRequest | str | None, fields: Mapping[str, Any]) -> VideoRequest:
    given = {name: value for name, value in fields.items() if value is not None}
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
    return VideoRequest(**{"prompt": "", **given})


def _task_id(task: VideoTask | str) -> str:
    task_id = task.id if isinstance(task, VideoTask) else task
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError([Problem("task_id", "must be a non-empty string")])
    return task_id


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
SleepT = TypeVar("SleepT", Callable[[float], None], Callable[[float], Awaitable[None]])


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
        retry: RetryPolicy | None = None,
        poll_schedule: PollSchedule | None = None,
        unsafe_create_retries: bool = False,
        allow_insecure_http: bool = False,
        http_client: HttpT | None = None,
        sleep: SleepT | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("DUOMI_API_KEY")
        if not key or not key.strip():
            raise ConfigurationError(
                "api_key: no API key; pass api_key= or set the DUOMI_API_KEY environment variable"
            )
        self._secret = Secret(key.strip())
        url = base_url or os.environ.get("DUOMI_BASE_URL") or DEFAULT_BASE_URL
        problem = check_http_url(url, "base_url")
        if problem:
            raise ConfigurationError(str(problem))
        self.base_url = httpx.URL(url)
        if (
            self.base_url.scheme == "http"
            and not is_loopback_host(self.base_url.host)
            and not allow_insecure_http
        ):
            raise ConfigurationError(
                f"base_url: plain http:// to {self.base_url.host} would send the API key "
                f"unencrypted; use https://, or pass allow_insecure_http=True"
            )
        self._base = str(self.base_url).rstrip("/")
        self._bearer = bearer
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry or RetryPolicy()
        self.poll_schedule = poll_schedule or PollSchedule()
        self.unsafe_create_retries = unsafe_create_retries
        self._clock = clock or time.monotonic
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._new_http()
        self._sleep: SleepT = sleep if sleep is not None else self._default_sleep()

    def _new_http(self) -> HttpT:
        raise NotImplementedError

    def _default_sleep(self) -> SleepT:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key='***', "
            f"bearer={self._bearer!r})"
        )

    def _authorization(self) -> str:
        key = self._secret.reveal()
        return f"Bearer {key}" if self._bearer and not key.startswith("Bearer ") else key

    def _url(self, path: str) -> str:
        # A string: build_request parses it once (an httpx.URL here would mean twice).
        return self._base + path

    def _api_request(
        self, http: httpx.Client | httpx.AsyncClient, kwargs: dict[str, Any]
    ) -> httpx.Request:
        return http.build_request(
            kwargs["method"],
            self._url(kwargs["url"]),
            headers=kwargs.get("headers"),
            json=kwargs.get("json"),
            timeout=self._timeout,
        )

    def _create_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        request: VideoRequest | str | None,
        fields: Mapping[str, Any],
    ) -> httpx.Request:
        model = _request_from(request, fields).to_model()
        built = self._api_request(http, build_create(model, self._authorization()))
        logger.debug("creating a task: POST %s", built.url)
        return built

    def _get_request(self, http: httpx.Client | httpx.AsyncClient, task_id: str) -> httpx.Request:
        return self._api_request(http, build_get(task_id, self._authorization()))

    def _download_request(self, http: httpx.Client | httpx.AsyncClient, url: str) -> httpx.Request:
        request = http.build_request("GET", url, timeout=self._timeout)
        # The video lives on another host (a CDN): it never gets the key, even when an
        # injected client carries one in its default headers.
        request.headers.pop("Authorization", None)
        return request

    def _retry_arguments(
        self, *, safe_create: bool, sleep: Callable[[float], Any], attempts_done: int = 0
    ) -> dict[str, Any]:
        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            attempt = state.attempt_number + attempts_done
            logger.info("attempt %d failed (%s); retrying in %.2fs", attempt, error, delay)

        return tenacity_arguments(
            self.retry,
            safe_create=safe_create,
            sleep=sleep,
            attempts_done=attempts_done,
            before_sleep=log_retry,
        )

    def _first_retry_delay(self, error: APIError, *, safe_create: bool) -> float | None:
        """After a failed first attempt: seconds to wait before retrying, or None."""
        if self.retry.max_retries == 0 or not should_retry(
            error, policy=self.retry, safe_create=safe_create
        ):
            return None
        delay = retry_delay(error, 1, self.retry)
        logger.info("attempt 1 failed (%s); retrying in %.2fs", error, delay)
        return delay

    def _safe_create(self) -> bool:
        return not self.unsafe_create_retries

    def _wait_loop(
        self, task: VideoTask | str, timeout: float, on_progress: ProgressCallback | None
    ) -> WaitLoop:
        return WaitLoop(_task_id(task), timeout, on_progress, self.poll_schedule, self._clock)


class Veo(_BaseClient[httpx.Client, Callable[[float], None]]):
    """The synchronous client.

    Args:
        api_key: the key; defaults to the ``DUOMI_API_KEY`` environment variable. It
            is sent verbatim in ``Authorization`` and never shown in ``repr``, errors
            or logs.
        base_url: defaults to ``DUOMI_BASE_URL``, then ``https://duomiapi.com``. Plain
            ``http://`` is refused except to loopback hosts.
        bearer: send ``Bearer <key>`` instead of the raw key.
        timeout: per-request timeout in seconds, or an ``httpx.Timeout``.
        retry: how reads (and the safe cases of create) are retried.
        poll_schedule: how ``wait`` spaces its polls.
        unsafe_create_retries: also retry a create after failures that may have
            created the task (timeouts after sending, resets, 5xx). Can buy duplicates.
        allow_insecure_http: allow a plain ``http://`` base URL to a remote host.
        http_client: an ``httpx.Client`` to use; you keep ownership (it is not closed).
        sleep: the function used for every pause (retries, polling); tests pass a fake.
        clock: the monotonic clock for ``wait`` deadlines; tests pass a fake.

    Raises:
        ConfigurationError: no key, or an unsafe base URL.
    """

    def _new_http(self) -> httpx.Client:
        return httpx.Client()

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

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

    def _send_once(self, request: httpx.Request, safe_create: bool) -> httpx.Response:
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise convert_http_error(exc, self._secret, safe_create=safe_create) from exc
        check_response(response, self._secret, safe_create=safe_create)
        return response

    def _send(self, request: httpx.Request, *, safe_create: bool = False) -> httpx.Response:
        # The first attempt goes out directly; tenacity takes over only to retry.
        try:
            return self._send_once(request, safe_create)
        except APIError as exc:
            delay = self._first_retry_delay(exc, safe_create=safe_create)
            if delay is None:
                raise
        self._sleep(delay)
        for attempt in tenacity.Retrying(
            **self._retry_arguments(safe_create=safe_create, sleep=self._sleep, attempts_done=1)
        ):
            with attempt:
                return self._send_once(request, safe_create)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def create(
        self,
        request: VideoRequest | str | None = None,
        *,
        prompt: str | None = None,
        image_urls: str | Iterable[str] | None = None,
        generation_type: str | None = None,
        aspect_ratio: str | None = None,
        model: str | None = None,
        duration: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> VideoTask:
        """Create a task (one paid video) and return it, pending.

        Pass a ``VideoRequest``, or a prompt and fields (see ``VideoRequest``).

        Raises:
            InvalidRequestError: the request breaks a rule; nothing was sent.
            CreateOutcomeUnknownError: the task may exist; it was not retried.
            APIStatusError: the service refused the request (401, 402, 429, ...).
            APIConnectionError: the service could not be reached.
        """
        fields = {
            "prompt": prompt,
            "image_urls": image_urls,
            "generation_type": generation_type,
            "aspect_ratio": aspect_ratio,
            "model": model,
            "duration": duration,
            "extra_body": extra_body,
        }
        built = self._create_request(self._http, request, fields)
        response = self._send(built, safe_create=self._safe_create())
        task = parse_created(response, self._secret)
        logger.info("created task %s", task.id)
        return task

    def get(self, task: VideoTask | str) -> VideoTask:
        """Fetch the task's current state.

        Raises:
            NotFoundError: no such task.
            APIError: the service could not be reached or answered oddly.
        """
        response = self._send(self._get_request(self._http, _task_id(task)))
        return parse_task(response, self._secret)

    def wait(
        self,
        task: VideoTask | str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> VideoTask:
        """Poll until the task succeeds, fails, or ``timeout`` seconds pass.

        Polls back off (see ``PollSchedule``); transient poll failures are retried
        within the deadline. ``on_progress`` gets the task on each change of state or
        progress.

        Raises:
            TaskFailedError: the task failed (``.task.message`` says why).
            WaitTimeoutError: the deadline passed; ``.task_id`` lets you wait again.
        """
        loop = self._wait_loop(task, timeout, on_progress)
        while True:
            outcome: VideoTask | APIError
            try:
                outcome = self.get(loop.task_id)
            except APIError as exc:
                outcome = exc
            step = loop.step(outcome)
            if isinstance(step, VideoTask):
                return step
            self._sleep(step)

    def download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> Path:
        """Save the video; return its path. The file is whole or absent.

        ``dest`` is a file path or an existing directory (the name is then derived
        safely from the task id). The video host never receives the API key.

        Raises:
            FileExistsError: the file exists and ``overwrite`` is False (no request made).
            VideoLinkExpiredError: the video host refused the link (403/404/410).
            DownloadError: the body was shorter or longer than announced.
        """
        url, stem = video_source(task_or_url)
        target = DownloadTarget(dest, stem, overwrite=overwrite)
        for attempt in tenacity.Retrying(
            **self._retry_arguments(safe_create=False, sleep=self._sleep)
        ):
            with attempt, target.attempt() as sink:
                response = None
                try:
                    response = self._http.send(
                        self._download_request(self._http, url),
                        stream=True,
                        auth=None,
                        follow_redirects=True,
                    )
                    if not response.is_success:
                        response.read()  # the error's body, for its message
                    check_download_status(response, self._secret)
                    sink.begin(response, on_progress)
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
                except httpx.HTTPError as exc:
                    raise convert_http_error(exc, self._secret, safe_create=False) from exc
                finally:
                    if response is not None:
                        response.close()
                return sink.finish()
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def generate(
        self,
        request: VideoRequest | str | None = None,
        *,
        prompt: str | None = None,
        image_urls: str | Iterable[str] | None = None,
        generation_type: str | None = None,
        aspect_ratio: str | None = None,
        model: str | None = None,
        duration: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        dest: str | os.PathLike[str] = ".",
        overwrite: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> GenerationResult:
        """Create a task, wait for it, and download the video: the whole job.

        The destination is checked before the task is created, so an existing file
        fails before any money is spent.

        Raises:
            Everything ``create``, ``wait`` and ``download`` raise.
        """
        DownloadTarget.precheck(dest, overwrite=overwrite)
        task = self.create(
            request,
            prompt=prompt,
            image_urls=image_urls,
            generation_type=generation_type,
            aspect_ratio=aspect_ratio,
            model=model,
            duration=duration,
            extra_body=extra_body,
        )
        finished = self.wait(task, timeout=timeout, on_progress=on_progress)
        path = self.download(finished, dest, overwrite=overwrite)
        return GenerationResult(task=finished, path=path)


class AsyncVeo(_BaseClient[httpx.AsyncClient, Callable[[float], Awaitable[None]]]):
    """The asynchronous client. Same as ``Veo``, but async.

    ``http_client`` is an ``httpx.AsyncClient``; ``sleep`` is a coroutine function.
    """

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient()

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return asyncio.sleep

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

    async def _send_once(self, request: httpx.Request, safe_create: bool) -> httpx.Response:
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise convert_http_error(exc, self._secret, safe_create=safe_create) from exc
        check_response(response, self._secret, safe_create=safe_create)
        return response

    async def _send(self, request: httpx.Request, *, safe_create: bool = False) -> httpx.Response:
        # Same as Veo._send, but async.
        try:
            return await self._send_once(request, safe_create)
        except APIError as exc:
            delay = self._first_retry_delay(exc, safe_create=safe_create)
            if delay is None:
                raise
        await self._sleep(delay)
        async for attempt in tenacity.AsyncRetrying(
            **self._retry_arguments(safe_create=safe_create, sleep=self._sleep, attempts_done=1)
        ):
            with attempt:
                return await self._send_once(request, safe_create)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def create(
        self,
        request: VideoRequest | str | None = None,
        *,
        prompt: str | None = None,
        image_urls: str | Iterable[str] | None = None,
        generation_type: str | None = None,
        aspect_ratio: str | None = None,
        model: str | None = None,
        duration: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> VideoTask:
        """Same as ``Veo.create``, but async."""
        fields = {
            "prompt": prompt,
            "image_urls": image_urls,
            "generation_type": generation_type,
            "aspect_ratio": aspect_ratio,
            "model": model,
            "duration": duration,
            "extra_body": extra_body,
        }
        built = self._create_request(self._http, request, fields)
        response = await self._send(built, safe_create=self._safe_create())
        task = parse_created(response, self._secret)
        logger.info("created task %s", task.id)
        return task

    async def get(self, task: VideoTask | str) -> VideoTask:
        """Same as ``Veo.get``, but async."""
        response = await self._send(self._get_request(self._http, _task_id(task)))
        return parse_task(response, self._secret)

    async def wait(
        self,
        task: VideoTask | str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> VideoTask:
        """Same as ``Veo.wait``, but async."""
        loop = self._wait_loop(task, timeout, on_progress)
        while True:
            outcome: VideoTask | APIError
            try:
                outcome = await self.get(loop.task_id)
            except APIError as exc:
                outcome = exc
            step = loop.step(outcome)
            if isinstance(step, VideoTask):
                return step
            await self._sleep(step)

    async def download(
        self,
        task_or_url: VideoTask | str,
        dest: str | os.PathLike[str] = ".",
        *,
        overwrite: bool = False,
        on_progress: ByteProgress | None = None,
    ) -> Path:
        """Same as ``Veo.download``, but async."""
        url, stem = video_source(task_or_url)
        target = DownloadTarget(dest, stem, overwrite=overwrite)
        async for attempt in tenacity.AsyncRetrying(
            **self._retry_arguments(safe_create=False, sleep=self._sleep)
        ):
            with attempt, target.attempt() as sink:
                response = None
                try:
                    response = await self._http.send(
                        self._download_request(self._http, url),
                        stream=True,
                        auth=None,
                        follow_redirects=True,
                    )
                    if not response.is_success:
                        await response.aread()  # the error's body, for its message
                    check_download_status(response, self._secret)
                    sink.begin(response, on_progress)
                    async for chunk in response.aiter_bytes():
                        sink.write(chunk)
                except httpx.HTTPError as exc:
                    raise convert_http_error(exc, self._secret, safe_create=False) from exc
                finally:
                    if response is not None:
                        await response.aclose()
                return sink.finish()
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def generate(
        self,
        request: VideoRequest | str | None = None,
        *,
        prompt: str | None = None,
        image_urls: str | Iterable[str] | None = None,
        generation_type: str | None = None,
        aspect_ratio: str | None = None,
        model: str | None = None,
        duration: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        dest: str | os.PathLike[str] = ".",
        overwrite: bool = False,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_progress: ProgressCallback | None = None,
    ) -> GenerationResult:
        """Same as ``Veo.generate``, but async."""
        DownloadTarget.precheck(dest, overwrite=overwrite)
        task = await self.create(
            request,
            prompt=prompt,
            image_urls=image_urls,
            generation_type=generation_type,
            aspect_ratio=aspect_ratio,
            model=model,
            duration=duration,
            extra_body=extra_body,
        )
        finished = await self.wait(task, timeout=timeout, on_progress=on_progress)
        path = await self.download(finished, dest, overwrite=overwrite)
        return GenerationResult(task=finished, path=path)
