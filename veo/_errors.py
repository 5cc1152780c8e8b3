"""Every error the ``veo`` package raises, in one tree.

::

    VeoError
    ├── ConfigurationError (also ValueError)   missing key, refused http:// base URL
    ├── InvalidRequestError (also ValueError)  .problems: every rule the request breaks
    ├── APIError                               something went wrong talking to the service
    │   ├── APIConnectionError                 no usable response (.request_sent)
    │   │   └── APITimeoutError
    │   ├── APIStatusError                     non-2xx (.status_code .message .body .headers)
    │   │   ├── BadRequestError                400
    │   │   ├── AuthenticationError            401
    │   │   ├── PaymentRequiredError           402 (insufficient balance)
    │   │   ├── PermissionDeniedError          403
    │   │   ├── NotFoundError                  404
    │   │   ├── RequestTimeoutError            408
    │   │   ├── ConflictError                  409
    │   │   ├── UnprocessableEntityError       422
    │   │   ├── RateLimitError                 429 (.retry_after)
    │   │   ├── InternalServerError            5xx
    │   │   └── VideoLinkExpiredError          403/404/410 from the video host
    │   ├── UnexpectedResponseError            a body that is not what the API sends
    │   ├── NoVideoError                       the task succeeded but names no video (.task)
    │   │   └── UnusableVideoLinkError         ...or one that is no http(s) URL to fetch
    │   └── CreateOutcomeUnknownError          the task may or may not exist (.cause)
    ├── TaskFailedError                        the task ended in failure (.task)
    ├── WaitTimeoutError                       the deadline passed (.task_id .last_state)
    ├── UploadError                            a local image could not be uploaded; nothing paid
    ├── DownloadError                          the video could not be saved whole
    │                                          (.path .errno for disk errors)
    └── DestinationExistsError (also FileExistsError)  the file is there already (.path)

Every error has ``task_id``: once a task has been paid for, an error raised while
waiting for it or saving it names the task (``veo download TASK_ID`` recovers it).
Every error has ``request_id`` too: the id the service's answer carried (an
``X-Request-Id``-style header), for its support, when the error came from an answer
that had one; the message ends with it.

Lower-layer exceptions (httpx, the generated client) are converted at one boundary,
``veo._http.Exchange.boundary``, with ``raise ... from exc``; none escapes the public
API. No message contains the API key: every error leaving the boundary is redacted.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from veo._wire import TASK_VIDEOS

if TYPE_CHECKING:
    from veo._models import TaskState, VideoTask
    from veo._rules import Problem

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "CreateOutcomeUnknownError",
    "DestinationExistsError",
    "DownloadError",
    "InternalServerError",
    "InvalidRequestError",
    "NoVideoError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "TaskFailedError",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "UnusableVideoLinkError",
    "UploadError",
    "VeoError",
    "VideoLinkExpiredError",
    "WaitTimeoutError",
]


class VeoError(Exception):
    """Base class of every error raised by ``veo``.

    Attributes:
        task_id: the paid task this error concerns, when there is one (None before a
            task exists).
        request_id: the request id of the answer this error came from, when it carried
            one (``veo._http.REQUEST_ID_HEADERS``).
    """

    task_id: str | None = None
    request_id: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own would call __init__ with the message alone, which most of
        # these do not take: an error raised in a worker process would not reach
        # the parent (concurrent.futures, multiprocessing pickle it).
        args = self.args
        if isinstance(self, OSError):  # it keeps its file name apart from args
            args = (self.errno, self.strerror, self.filename)
        return _restored, (type(self), args), self.__dict__


def _restored(cls: type[VeoError], args: tuple[Any, ...]) -> VeoError:
    """An error as pickled: its arguments and attributes, without its ``__init__``."""
    error = cls.__new__(cls, *args)
    if isinstance(error, OSError):  # a subclass with its own __init__ sets errno there
        OSError.__init__(error, *args)
    return error


def _quoted(request_id: str | None) -> str:
    return f" (request id {request_id})" if request_id else ""


class ConfigurationError(VeoError, ValueError):
    """The client is configured in a way that cannot work or is unsafe."""


class InvalidRequestError(VeoError, ValueError):
    """The request breaks one or more rules; nothing was sent.

    Attributes:
        problems: every broken rule, each printable as ``field: rule``.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid video request ({len(self.problems)} problem(s)):\n{lines}")


class APIError(VeoError):
    """Talking to the service failed."""


class APIConnectionError(APIError):
    """No usable response arrived (connection refused, reset, protocol error).

    Attributes:
        request_sent: False only when the request provably never left this machine
            (the connection was never established), which makes retrying a create safe.
    """

    def __init__(self, message: str, *, request_sent: bool) -> None:
        super().__init__(message)
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError):
    """The connection or the response timed out."""


class APIStatusError(APIError):
    """The service (or the video host) answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status.
        message: the message parsed from the body (``message``, ``msg`` or
            ``error.message``), or a short description of the status.
        body: the decoded JSON body, or the first bytes of a non-JSON body as text.
        headers: the response headers.
        code: the ``code`` field of the body, when there is one.
        retry_after: seconds from a ``Retry-After`` header, when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        code: Any = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{status_code}: {message}{_quoted(request_id)}")
        self.request_id = request_id
        self.status_code = status_code
        self.message = message
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        self.code = code
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    """400: the service rejected the request."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid."""


class PaymentRequiredError(APIStatusError):
    """402: the account's balance is insufficient."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this, or the balance is insufficient."""


class NotFoundError(APIStatusError):
    """404: no such task."""


class RequestTimeoutError(APIStatusError):
    """408: the server timed out waiting for the request."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the task's state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well-formed but cannot be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests or quota exhausted; see ``retry_after``."""


class InternalServerError(APIStatusError):
    """5xx: the service failed."""


class VideoLinkExpiredError(APIStatusError):
    """The video host refused the result link (403, 404 or 410).

    Result links expire (sibling services document about 24 hours): fetch the task
    again with ``get`` for a fresh link, or generate the video again.
    """


class UnexpectedResponseError(APIError):
    """A 2xx response whose body is not what the API sends.

    Attributes:
        status_code: the HTTP status.
        body_excerpt: the first bytes of the body, as text.
    """

    def __init__(
        self, message: str, *, status_code: int, body_excerpt: str, request_id: str | None = None
    ) -> None:
        super().__init__(
            f"{message} (HTTP {status_code}, body starts: {body_excerpt!r}){_quoted(request_id)}"
        )
        self.request_id = request_id
        self.status_code = status_code
        self.body_excerpt = body_excerpt


class NoVideoError(APIError):
    """The task reports success but names no video to download.

    The task was paid for; its result may still appear: fetch it again later with
    ``get(task_id)`` (the CLI: ``veo download TASK_ID``).

    Attributes:
        task: the task as last reported.
    """

    def __init__(self, task: VideoTask) -> None:
        said = task.raw_state or task.state.value
        if task.videos_listed:
            reason = f"task {task.id} reports {said!s} but no video URL"
        else:
            # Not an empty list: the field itself is gone, so the API's shape changed.
            reason = (
                f"task {task.id} reports {said!s} but its answer has no {TASK_VIDEOS.path}, "
                f"where the spec puts the video (the service may have changed; `veo check` tells)"
            )
        super().__init__(f"{reason}; fetch it again later: veo download {task.id}")
        self.task = task
        self.task_id = task.id


class CreateOutcomeUnknownError(APIError):
    """The create request may have reached the service, but no answer says so.

    A paid task may exist. The request was not retried, because a retry could buy a
    second video. Check your tasks (the vendor's console) before creating again, or
    opt in to retries with ``Veo(unsafe_create_retries=True)``.

    Attributes:
        cause: the error that made the outcome unknown.
    """

    def __init__(self, cause: APIError) -> None:
        super().__init__(
            f"the create request may have created a task, but no task id came back "
            f"({cause}). It was not retried, to avoid paying for a duplicate video: "
            f"check your tasks before creating it again, or pass "
            f"unsafe_create_retries=True to retry such failures automatically."
        )
        self.cause = cause
        self.request_id = cause.request_id


class UnusableVideoLinkError(NoVideoError):
    """The task names a video link this client does not fetch: not an absolute
    http(s) URL, or one with credentials in it.

    The task was paid for and its video may well be there: the link is in
    ``task.video_urls``, to fetch some other way (the CLI: ``veo status TASK_ID``
    shows it).

    Attributes:
        task: the task as last reported.
        problem: what is wrong with the link.
    """

    def __init__(self, task: VideoTask, problem: str) -> None:
        APIError.__init__(
            self,
            f"task {task.id}'s video link {problem}; the task was paid for: fetch the "
            f"link some other way (veo status {task.id} shows it)",
        )
        self.task = task
        self.task_id = task.id
        self.problem = problem


class TaskFailedError(VeoError):
    """The task ended in failure.

    Attributes:
        task: the final state of the task, including the service's ``message``.
    """

    def __init__(self, task: VideoTask) -> None:
        reason = task.message or f"state {task.raw_state!r}"
        super().__init__(f"task {task.id} failed: {reason}")
        self.task = task
        self.task_id = task.id


class WaitTimeoutError(VeoError):
    """The task did not finish before the deadline. It may still finish.

    Attributes:
        task_id: the task to resume waiting on (``wait(task_id)``).
        last_state: the last state seen, or None when no poll succeeded.
        task: the last task seen, or None.
    """

    def __init__(self, task_id: str, timeout: float, task: VideoTask | None) -> None:
        self.task_id = task_id
        self.task = task
        self.last_state: TaskState | None = task.state if task else None
        state = f"last state {task.state.value}" if task else "no successful poll"
        super().__init__(
            f"task {task_id} did not finish within {timeout:g}s ({state}); "
            f"it may still finish: wait on it again with its id"
        )


class UploadError(VeoError):
    """A local image could not be uploaded; nothing was created (nothing was paid).

    Attributes:
        field: the image's place in the request (``image_urls[1]``).
        name: the image's file name (``bytes`` for bytes given directly).
    """

    def __init__(self, message: str, *, field: str = "", name: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.name = name


class DownloadError(VeoError):
    """The video could not be saved whole; nothing was left under the final name.

    Attributes:
        path: the file that was being written, when known.
        errno: the operating system's error number for a disk error (``ENOSPC``,
            ``EACCES``, ...), or None when the bytes themselves were wrong (short,
            long, a truncated MP4). Only the latter are retried.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        errno: int | None = None,
        task_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.errno = errno
        self.task_id = task_id


class DestinationExistsError(VeoError, FileExistsError):
    """The video's destination file exists and ``overwrite`` is False; nothing was
    replaced. Also a ``FileExistsError``.

    Raised before any request when the file is there already (``generate`` checks
    before creating the task), and at the final rename if the file appeared meanwhile.

    Attributes:
        path: the existing file.
    """

    def __init__(self, path: str, *, task_id: str | None = None) -> None:
        super().__init__(errno.EEXIST, f"{path} exists; pass overwrite=True to replace it", path)
        self.path = path
        self.task_id = task_id

    def __str__(self) -> str:
        return str(self.strerror)
