"""The API's operations: each one's method and path, from the spec through ``make gen``.

The generated operation modules (``veo_api.api.videos``) carry the spec's ``METHOD`` and
``PATH`` and build requests with ``request_args``. This module names the operations
``veo`` uses and answers the questions every part of the project asks about a request
line — the client, the mock's routes and faults, recordings, replay and ``veo check``:
which operation is this, and with which path parameters. No API path is written
anywhere else in ``veo``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import attrs

from veo_api.api.videos import create_video_generation, get_video_task

__all__ = ["CREATE", "GET_TASK", "OPERATIONS", "Operation", "operation_of"]

_PARAMETER = re.compile(r"\{([^{}/]+)\}")


@attrs.frozen
class Operation:
    """One operation of the API.

    Attributes:
        id: its ``operationId`` (the name recordings and reports use).
        method: the HTTP method, upper case.
        path: the path as the spec writes it, ``{name}`` for each path parameter.
    """

    id: str
    method: str
    path: str
    _pattern: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    @_pattern.default
    def _compile(self) -> re.Pattern[str]:
        parts = _PARAMETER.split(self.path)
        # split alternates literal text and parameter names
        regex = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
            for index, part in enumerate(parts)
        )
        return re.compile(f"{regex}\\Z")

    @property
    def parameters(self) -> tuple[str, ...]:
        """The names of its path parameters, in order."""
        return tuple(_PARAMETER.findall(self.path))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters (unescaped) when a request line is this operation's."""
        if method.upper() != self.method:
            return None
        found = self._pattern.match(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}

    def url_path(self, **parameters: str) -> str:
        """The path with each parameter escaped as one segment (``/``, ``.`` kept out)."""
        return _PARAMETER.sub(lambda found: quote(parameters[found[1]], safe=""), self.path)


CREATE = Operation(
    "createVideoGeneration", create_video_generation.METHOD, create_video_generation.PATH
)
"""Create a task (one paid video)."""
GET_TASK = Operation("getVideoTask", get_video_task.METHOD, get_video_task.PATH)
"""Read a task's state."""
OPERATIONS: tuple[Operation, ...] = (CREATE, GET_TASK)


def operation_of(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation a request line is for, with its path parameters; None: not the API's."""
    for operation in OPERATIONS:
        parameters = operation.match(method, path)
        if parameters is not None:
            return operation, parameters
    return None
