"""The facade's own value types: what users build, and what the clients return."""

from __future__ import annotations

import datetime
import enum
import types
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from veo import _wire as wire
from veo._errors import InvalidRequestError
from veo._rules import Problem, known_fields, resolve_body, task_id_problem
from veo_api.models import VideoGenerationRequest
from veo_api.request_fields import FIELDS, RequestModel
from veo_api.types import Unset

__all__ = ["GenerationResult", "TaskState", "VideoRequest", "VideoTask"]


def _to_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(value or {}))


def _rebuilt(cls: type[Any], fields: dict[str, Any]) -> Any:
    return cls(**fields)


def _reduced(value: Any) -> tuple[Any, ...]:
    """How pickle (and ``copy``) rebuilds an attrs class with read-only mappings: from
    its fields, each mapping as a plain dict (a ``mappingproxy`` cannot be pickled)."""
    fields = {
        field.alias: dict(item) if isinstance(item, types.MappingProxyType) else item
        for field in attrs.fields(type(value))
        for item in [getattr(value, field.name)]
    }
    return _rebuilt, (type(value), fields)


def _sent(value: Any) -> Any:
    """A field's value as JSON: an enum's value, a tuple as a list (empty: not given)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value) if value else None
    return value


@attrs.frozen
class VideoRequest(RequestModel):
    """A video generation request, checked before anything is sent.

    Its fields are the spec's request fields (``veo_api.request_fields``, written by
    ``make gen``; docs/request-fields.md lists them): ``prompt`` (positional, the only
    one required), then keyword-only ``model``, ``aspect_ratio``, ``duration``,
    ``image_urls``, ``generation_type`` and whatever the spec adds. Enum fields take the
    generated enum or its value. Leave ``generation_type`` out to have it inferred from
    the number of images (0: TEXT, 1-2: FIRST&LAST, 3: REFERENCE); a REFERENCE request
    without ``aspect_ratio`` gets 16:9, its only supported ratio. ``model`` defaults to
    the vendor's first model and ``duration`` to 8 (:meth:`resolve` fills them in).

    Args:
        extra_body: extra JSON fields sent verbatim, for fields newer than the
            installed spec. May not repeat the spec's fields.
    """

    extra_body: Mapping[str, Any] = attrs.field(
        factory=dict,
        converter=_to_mapping,
        hash=False,
        repr=lambda m: repr(dict(m)),
        kw_only=True,
    )

    def __reduce__(self) -> tuple[Any, ...]:
        return _reduced(self)

    def _check(self, stacklevel: int) -> VideoGenerationRequest:
        """Validate, warn about doubtful combinations, return the spec's body model."""
        problems = [
            Problem(f"extra_body.{key}", f"duplicates a VideoRequest field; pass {key}= instead")
            for key in self.extra_body
            if key in _OWN_FIELDS
        ]
        sent = {field.name: _sent(getattr(self, field.name)) for field in FIELDS}
        texts = [(f"extra_body.{key}", value) for key, value in self.extra_body.items()]
        for name, value in sent.items():
            items = enumerate(value) if isinstance(value, list) else ()
            texts += [(name, value), *((f"{name}[{i}]", item) for i, item in items)]
        problems += [problem for field, text in texts if (problem := _unencodable(field, text))]
        resolution = resolve_body({**self.extra_body, **sent})
        problems += resolution.problems
        model = None
        if not problems:
            try:
                # The generated model is the spec's word on shape and enum values.
                model = VideoGenerationRequest.from_dict(resolution.body)
            except (ValueError, TypeError, KeyError) as exc:
                problems.append(Problem("body", f"does not fit the spec's request model: {exc}"))
        if problems or model is None:
            raise InvalidRequestError(problems)
        for note in resolution.warnings:
            warnings.warn(note, UserWarning, stacklevel=stacklevel + 1)
        return model

    def resolve(self) -> VideoRequest:
        """Return the request with the inferred mode and defaults filled in.

        Raises:
            InvalidRequestError: listing every broken rule.

        Warns:
            UserWarning: for allowed but doubtful combinations (images in TEXT mode).
        """
        model = self._check(stacklevel=2)
        filled = {
            field.name: value
            for field in FIELDS
            if not isinstance(value := getattr(model, field.name), Unset)
        }
        return attrs.evolve(self, **filled)

    def to_body(self) -> dict[str, Any]:
        """Return the exact JSON body that is sent, after :meth:`resolve`'s checks.

        Raises:
            InvalidRequestError: listing every broken rule.

        Warns:
            UserWarning: for allowed but doubtful combinations (images in TEXT mode).
        """
        body = self._check(stacklevel=2).to_dict()
        order = {name: index for index, name in enumerate(known_fields())}
        return dict(sorted(body.items(), key=lambda item: order.get(item[0], len(order))))

    def to_model(self) -> VideoGenerationRequest:
        """The checked request as the generated client's body model (for ``veo`` itself).

        Warnings point at the code that called ``Veo.create`` (four frames up).

        Raises:
            InvalidRequestError: listing every broken rule.
        """
        return self._check(stacklevel=4)


def _unencodable(field: str, value: object) -> Problem | None:
    """A problem when ``value`` is text that cannot be sent as UTF-8 (a lone surrogate)."""
    if not isinstance(value, str):
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return Problem(
            field,
            f"cannot be encoded as UTF-8: a lone surrogate (U+{ord(value[exc.start]):04X}) at "
            f"position {exc.start + 1}, half of a character such as an emoji",
        )
    return None


REQUEST_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(VideoRequest))
"""``VideoRequest``'s fields: the spec's (``prompt`` first), then ``extra_body``."""
_OWN_FIELDS = frozenset(REQUEST_FIELDS) - {"extra_body"}


class TaskState(enum.StrEnum):
    """The task's state, mapped tolerantly from what the service reports."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @classmethod
    def from_wire(cls, value: object) -> TaskState:
        """Map a reported state; anything unrecognised is ``UNKNOWN``, never an error."""
        return _STATE_ALIASES.get(str(value).strip().lower(), cls.UNKNOWN)

    @property
    def finished(self) -> bool:
        """True for the final states, SUCCEEDED and FAILED."""
        return self in (TaskState.SUCCEEDED, TaskState.FAILED)


_STATE_ALIASES = {
    "pending": TaskState.PENDING,
    "queued": TaskState.PENDING,
    "submitted": TaskState.PENDING,
    "running": TaskState.RUNNING,
    "processing": TaskState.RUNNING,
    "in_progress": TaskState.RUNNING,
    "succeeded": TaskState.SUCCEEDED,
    "completed": TaskState.SUCCEEDED,
    "success": TaskState.SUCCEEDED,
    "error": TaskState.FAILED,
    "failed": TaskState.FAILED,
    "failure": TaskState.FAILED,
    "cancelled": TaskState.FAILED,
    "canceled": TaskState.FAILED,
    "expired": TaskState.FAILED,
}


def _progress(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        return None
    if number != number:  # NaN
        return None
    return max(0, min(100, int(number)))


def _time(value: object) -> datetime.datetime | None:
    """Unix seconds as an aware UTC datetime; None when absent or not a usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _video_urls(data: Mapping[str, Any]) -> tuple[str, ...]:
    urls = wire.TASK_VIDEO_URL.values(data)
    return tuple(url for url in urls if isinstance(url, str) and url)


@attrs.frozen
class VideoTask:
    """A video generation task as the service last reported it.

    Attributes:
        id: the task id.
        state: the mapped state; ``raw_state`` keeps the service's own word.
        progress: percent complete (0-100), when reported.
        video_urls: result links, once the task succeeded. They point at a CDN and
            expire (sibling services say after about 24 hours).
        message: the service's status or failure text, when reported.
        created_at: when the task was created (UTC), when reported.
        updated_at: when the task last changed (UTC), when reported.
        action: what the task does (``"generate"``, ``"remix"``), when reported.
        raw: the whole JSON object, including fields this version does not model.
    """

    id: str
    state: TaskState
    progress: int | None = None
    video_urls: tuple[str, ...] = ()
    message: str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    action: str | None = None
    raw_state: str = ""
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_to_mapping, hash=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return _reduced(self)

    @classmethod
    def from_json(cls, data: object) -> VideoTask:
        """Build from a task status body (a ``getVideoTask`` answer).

        Reads the fields listed in ``veo._wire`` (checked against the spec by
        ``make gen`` and the tests), leniently: an unknown state, a progress of
        ``"45%"``, a missing time or action, and extra fields all parse.

        Raises:
            ValueError: the body is not an object with a non-empty ``id`` and a
                ``state``, naming the missing field.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        task_id = _id_in(data, (wire.TASK_ID,))
        raw_state = wire.TASK_STATE.get(data)
        if raw_state is wire.MISSING or raw_state is None:
            # Polling a task whose state cannot be read would never end.
            raise ValueError(f"no {wire.TASK_STATE.path!r} ({wire.TASK_STATE} in the spec)")
        return cls(
            id=task_id,
            state=TaskState.from_wire(raw_state),
            progress=_progress(wire.TASK_PROGRESS.get(data)),
            video_urls=_video_urls(data),
            message=_text(wire.TASK_MESSAGE.get(data)),
            created_at=_time(wire.TASK_CREATE_TIME.get(data)),
            updated_at=_time(wire.TASK_UPDATE_TIME.get(data)),
            action=_text(wire.TASK_ACTION.get(data)),
            raw_state=str(raw_state),
            raw=data,
        )

    @classmethod
    def from_created(cls, data: object) -> VideoTask:
        """Build from a create response: its ``id`` (or ``task_id``), state pending.

        Raises:
            ValueError: the body is not an object with a task id.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        task_id = _id_in(data, wire.CREATED_FIELDS)
        return cls(id=task_id, state=TaskState.PENDING, raw_state="", raw=data)

    @property
    def videos_listed(self) -> bool:
        """Whether the answer has the spec's list of videos at all (it may be empty)."""
        return wire.TASK_VIDEOS.get(self.raw) is not wire.MISSING

    @property
    def video_url(self) -> str | None:
        """The first result link, or None."""
        return self.video_urls[0] if self.video_urls else None


def _id_in(data: Mapping[str, Any], fields: tuple[wire.Field, ...]) -> str:
    for field in fields:
        value = field.get(data)
        if isinstance(value, str) and value.strip():
            problem = task_id_problem(value)
            if problem is not None:  # the task exists, but no URL can reach it
                raise ValueError(f"the task id in {field.path!r} cannot be polled: {problem}")
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    names = " nor ".join(repr(field.path) for field in fields)
    raise ValueError(f"no task id ({'neither ' if len(fields) > 1 else ''}{names}) in the response")


@attrs.frozen
class GenerationResult:
    """What ``generate`` returns: the finished task and the saved file."""

    task: VideoTask
    path: Path
