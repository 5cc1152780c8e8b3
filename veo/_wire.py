"""Every field ``veo`` reads from the service's answers, each named once with its spec path.

The facade reads answers through these :class:`Field` objects and nothing else, so
this table is the whole of what it depends on in a response. It is checked against the
spec on both sides of a vendor update:

- ``make gen`` (``openapi/generate.py``) fails when a vendor document no longer
  defines a field read here, or gives it another type, naming the field and the
  document (this module is loaded there by path: it imports nothing from ``veo``);
- ``tests/pipeline/test_wire.py`` finds every field in the committed effective spec
  and proves, by parsing through a recording mapping, that the facade reads no key
  that is not listed here.

The reading itself stays tolerant where the service is known to be loose: values
are converted leniently by the callers (``veo._models``), extra fields are kept, and
only a missing ``id`` or ``state`` (a task that cannot be tracked, or a wait that
could never end) is an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs

__all__ = [
    "CREATED_FIELDS",
    "ERROR_FIELDS",
    "FIELDS",
    "MISSING",
    "TASK_FIELDS",
    "Field",
]


class _Missing:
    """The value of a field the answer does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

EVERY_OPERATION = "*"
"""``Field.operation`` of the error fields: every operation's error answers."""


@attrs.frozen
class Field:
    """One field of an answer that ``veo`` reads.

    Attributes:
        operation: the ``operationId`` whose answer holds it (``*``: every operation).
        path: dotted, with ``[]`` for the items of an array (``data.videos[].url``).
        type: the JSON Schema type ``veo`` expects there, or None for any.
        status: the answer: ``"200"``, or ``"default"`` for the error answers.
        source: ``"vendor"`` when the vendor's own document defines it (``make gen``
            then names that document when it goes), ``"observed"`` when our overlay
            adds it.
    """

    operation: str
    path: str
    type: str | None
    status: str = "200"
    source: str = attrs.field(
        default="vendor", validator=attrs.validators.in_(("vendor", "observed"))
    )
    parts: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)
    """The path as keys, ``[]`` standing for "each item of the array"."""

    @parts.default
    def _split(self) -> tuple[str, ...]:
        parts: list[str] = []
        for name in self.path.split("."):
            if name.endswith("[]"):
                parts += [name[:-2], "[]"]
            else:
                parts.append(name)
        return tuple(parts)

    def __str__(self) -> str:
        answer = "error answer" if self.status == "default" else "response"
        operation = "every operation's" if self.operation == EVERY_OPERATION else self.operation
        return f"{operation} {answer} field {self.path}"

    def values(self, body: object) -> Iterator[Any]:
        """Every value at this path in ``body`` (none where the path is absent or
        something on the way is not an object or array)."""
        yield from _walk(body, self.parts)

    def get(self, body: object) -> Any:
        """The value at this path, or :data:`MISSING`."""
        if len(self.parts) == 1:  # the usual case: a top-level field
            return body.get(self.parts[0], MISSING) if isinstance(body, Mapping) else MISSING
        return next(self.values(body), MISSING)


def _walk(node: object, parts: tuple[str, ...]) -> Iterator[Any]:
    if not parts:
        yield node
        return
    head, rest = parts[0], parts[1:]
    if head == "[]":
        if isinstance(node, list):
            for item in node:
                yield from _walk(item, rest)
    elif isinstance(node, Mapping):
        value = node.get(head, MISSING)
        if value is not MISSING:
            yield from _walk(value, rest)


# getVideoTask: the vendor document "查询任务状态" (veo-task-status.apifox.md).
TASK_ID = Field("getVideoTask", "id", "string")
TASK_STATE = Field("getVideoTask", "state", "string")
TASK_PROGRESS = Field("getVideoTask", "progress", "integer")
TASK_VIDEOS = Field("getVideoTask", "data.videos", "array")
TASK_VIDEO_URL = Field("getVideoTask", "data.videos[].url", "string")
TASK_MESSAGE = Field("getVideoTask", "message", "string")
TASK_CREATE_TIME = Field("getVideoTask", "create_time", "integer")
TASK_UPDATE_TIME = Field("getVideoTask", "update_time", "integer")
TASK_ACTION = Field("getVideoTask", "action", "string")
TASK_FIELDS = (
    TASK_ID,
    TASK_STATE,
    TASK_PROGRESS,
    TASK_VIDEOS,
    TASK_VIDEO_URL,
    TASK_MESSAGE,
    TASK_CREATE_TIME,
    TASK_UPDATE_TIME,
    TASK_ACTION,
)

# createVideoGeneration: the vendor's 200 is an object without properties; the task id
# is observed (the overlay's CreatedTask), "id" first, "task_id" in some clients.
CREATED_ID = Field("createVideoGeneration", "id", "string", source="observed")
CREATED_TASK_ID = Field("createVideoGeneration", "task_id", "string", source="observed")
CREATED_FIELDS = (CREATED_ID, CREATED_TASK_ID)

# Error answers (the overlay's ErrorBody, observed): the message under one of several
# names, and a code. "error" is an object in the spec; a plain string there is read too.
ERROR_MESSAGE = Field(EVERY_OPERATION, "message", "string", "default", "observed")
ERROR_MSG = Field(EVERY_OPERATION, "msg", "string", "default", "observed")
ERROR_ERROR = Field(EVERY_OPERATION, "error", "object", "default", "observed")
ERROR_ERROR_MESSAGE = Field(EVERY_OPERATION, "error.message", "string", "default", "observed")
ERROR_ERROR_CODE = Field(EVERY_OPERATION, "error.code", None, "default", "observed")
ERROR_DETAIL = Field(EVERY_OPERATION, "detail", "string", "default", "observed")
ERROR_TITLE = Field(EVERY_OPERATION, "title", "string", "default", "observed")
ERROR_CODE = Field(EVERY_OPERATION, "code", None, "default", "observed")
ERROR_FIELDS = (
    ERROR_MESSAGE,
    ERROR_MSG,
    ERROR_ERROR,
    ERROR_ERROR_MESSAGE,
    ERROR_ERROR_CODE,
    ERROR_DETAIL,
    ERROR_TITLE,
    ERROR_CODE,
)

FIELDS: tuple[Field, ...] = TASK_FIELDS + CREATED_FIELDS + ERROR_FIELDS
"""Every field ``veo`` reads from an answer."""
