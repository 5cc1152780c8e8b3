"""The one boundary between HTTP and ``veo``: requests out, typed results or errors in.

Requests are built by the generated operations (``veo_api.api.videos``), so method,
path, path escaping and headers follow the spec. Responses are interpreted here rather
than by the generated parsers, which raise ``KeyError`` or ``JSONDecodeError`` on
bodies the spec does not describe; here every such case is a typed error carrying the
first bytes of the body. No exception of httpx escapes this module unconverted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx

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
)
from veo._models import VideoTask
from veo._retry import parse_retry_after
from veo_api.api.videos import create_video_generation, get_video_task
from veo_api.models import VideoGenerationRequest

__all__ = [
    "Secret",
    "build_create",
    "build_get",
    "check_response",
    "convert_http_error",
    "parse_created",
    "parse_task",
]

EXCERPT_BYTES = 200
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
# Raised before a single byte of the request went out: retrying cannot duplicate.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class Secret:
    """A string that never shows itself in ``repr`` or ``str``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one header that needs it."""
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the secret replaced."""
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def build_create(body: VideoGenerationRequest, authorization: str) -> dict[str, Any]:
    """``httpx`` request arguments for ``createVideoGeneration``."""
    return create_video_generation._get_kwargs(body=body, authorization=authorization)


def build_get(task_id: str, authorization: str) -> dict[str, Any]:
    """``httpx`` request arguments for ``getVideoTask`` (the id is path-escaped)."""
    return get_video_task._get_kwargs(task_id, authorization=authorization)


def _excerpt(content: bytes, secret: Secret) -> str:
    return secret.redact(content[:EXCERPT_BYTES].decode("utf-8", errors="replace"))


def _message(body: Any) -> tuple[str | None, Any]:
    if not isinstance(body, Mapping):
        return None, None
    error = body.get("error")
    candidates = [body.get("message"), body.get("msg")]
    if isinstance(error, Mapping):
        candidates.append(error.get("message"))
    elif isinstance(error, str):
        candidates.append(error)
    candidates += [body.get("detail"), body.get("title")]
    message = next((c for c in candidates if isinstance(c, str) and c.strip()), None)
    code = body.get("code", error.get("code") if isinstance(error, Mapping) else None)
    return message, code


def status_error(response: httpx.Response, secret: Secret) -> APIStatusError:
    """The typed error for a non-2xx response (unknown codes give ``APIStatusError``)."""
    text = secret.redact(response.content.decode("utf-8", errors="replace"))
    body: Any
    try:
        body = json.loads(text)
    except ValueError:
        body = text[:EXCERPT_BYTES]
    message, code = _message(body)
    if message is None:
        message = response.reason_phrase or "unexpected status"
        if isinstance(body, str) and body.strip():
            message = f"{message}: {body.strip()[:EXCERPT_BYTES]}"
    status = response.status_code
    cls = _STATUS_ERRORS.get(status, InternalServerError if status >= 500 else APIStatusError)
    return cls(
        message,
        status_code=status,
        body=body,
        headers={k: secret.redact(v) for k, v in response.headers.items()},
        code=code,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def convert_http_error(exc: httpx.HTTPError, secret: Secret, *, safe_create: bool) -> APIError:
    """The ``veo`` error for an httpx exception.

    With ``safe_create``, a failure after the request may have been sent becomes
    ``CreateOutcomeUnknownError``.
    """
    sent = not isinstance(exc, _NOT_SENT)
    message = secret.redact(f"{type(exc).__name__}: {exc}")
    error: APIError
    if isinstance(exc, httpx.TimeoutException):
        error = APITimeoutError(f"timed out ({message})", request_sent=sent)
    else:
        error = APIConnectionError(f"connection failed ({message})", request_sent=sent)
    if safe_create and sent:
        return CreateOutcomeUnknownError(error)
    return error


def check_response(response: httpx.Response, secret: Secret, *, safe_create: bool) -> None:
    """Raise the typed error for a non-2xx response.

    With ``safe_create``, a 5xx becomes ``CreateOutcomeUnknownError``: the service may
    have created the task before failing.
    """
    if response.is_success:
        return
    error = status_error(response, secret)
    if safe_create and response.status_code >= 500:
        raise CreateOutcomeUnknownError(error)
    raise error


def _unexpected(response: httpx.Response, secret: Secret, problem: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        problem, status_code=response.status_code, body_excerpt=_excerpt(response.content, secret)
    )


def _parse(
    response: httpx.Response, secret: Secret, build: Callable[[Any], VideoTask], what: str
) -> VideoTask:
    """Decode the JSON body and build the task; any failure is UnexpectedResponseError."""
    try:
        data = json.loads(response.content)
    except ValueError:
        raise _unexpected(response, secret, "the response body is not JSON") from None
    try:
        return build(data)
    except ValueError as exc:
        raise _unexpected(
            response, secret, f"the {what} response has the wrong shape: {exc}"
        ) from None


def parse_task(response: httpx.Response, secret: Secret) -> VideoTask:
    """The task in a 2xx ``getVideoTask`` response."""
    return _parse(response, secret, VideoTask.from_json, "task")


def parse_created(response: httpx.Response, secret: Secret) -> VideoTask:
    """The task in a 2xx ``createVideoGeneration`` response.

    A 2xx whose body has no task id means the task probably exists but cannot be
    tracked, so it is ``CreateOutcomeUnknownError``, never something to retry.
    """
    try:
        return _parse(response, secret, VideoTask.from_created, "create")
    except UnexpectedResponseError as exc:
        raise CreateOutcomeUnknownError(exc) from exc
