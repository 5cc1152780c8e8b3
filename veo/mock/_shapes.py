"""The mock's answers, checked against the spec it serves.

The mock builds its task answers itself (``Task.snapshot``), in the shape the vendor's
documents give, and :func:`completed` adds any field the spec requires that it does
not know (a placeholder from the schema: its example, first enum value, or an empty
value of its type), so a new required field flows through without an edit. A field
the mock sends that the spec no longer has (a rename) cannot be guessed:
:func:`answer_problems` builds one answer of every kind and names each field that the
spec lacks, misses or types otherwise. It runs when the mock starts (``MockApp``, so
``veo mock`` and ``--mock`` refuse at once rather than answer every poll with a
response-validation 500) and in ``make gen`` against the new spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema

from veo._spec import response_schema
from veo.mock._state import Fate, Lifecycle, MockState

__all__ = ["AnswerShapes", "MockSpecError", "answer_problems", "completed", "sample_answers"]

SAMPLE_URL = "http://127.0.0.1/cdn/videos/sample.mp4"


class MockSpecError(Exception):
    """The mock's answers do not fit the spec it would serve; the message names the fields."""


def sample_answers() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(operationId, what, body) for every kind of answer the mock builds itself."""
    state = MockState(lifecycle=Lifecycle(pending_steps=1, running_steps=1))
    for fate in Fate:
        task = state.create_task({"prompt": "p"}, fate)
        yield "createVideoGeneration", "created", task.created()
        seen = set()
        for _ in range(4):
            task.polls += 1
            body = task.snapshot(state, SAMPLE_URL)
            if body["state"] not in seen:
                seen.add(body["state"])
                yield "getVideoTask", str(body["state"]), body


_EMPTY: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False}


def placeholder(schema: Any) -> Any:
    """A value that fits ``schema``, for a required field the mock knows nothing of."""
    if not isinstance(schema, dict):
        return None
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return placeholder(schema[key][0])
    kind = schema.get("type")
    if kind == "array":
        return []
    if kind == "object" or "properties" in schema:
        return completed({}, schema)
    return _EMPTY.get(str(kind))


def completed(body: Any, schema: Any, known: frozenset[str] = frozenset(), path: str = "") -> Any:
    """``body`` with every property ``schema`` requires and it lacks filled in, at every
    level, except those at a path in ``known`` (the fields the mock builds itself,
    whose absence is the mock's own fault and must stay visible to response
    validation). The body is changed in place and returned."""
    if not isinstance(schema, dict):
        return body
    if isinstance(body, dict):
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            where = f"{path}.{name}" if path else name
            if name not in body and where not in known:
                body[name] = placeholder(properties.get(name))
        for name, value in body.items():
            if name in properties:
                where = f"{path}.{name}" if path else name
                completed(value, properties[name], known, where)
    elif isinstance(body, list):
        for item in body:
            completed(item, schema.get("items"), known, f"{path}[]")
    return body


def _paths(body: Any, path: str = "") -> Iterator[str]:
    if isinstance(body, dict):
        for key, value in body.items():
            where = f"{path}.{key}" if path else key
            yield where
            yield from _paths(value, where)
    elif isinstance(body, list):
        for item in body:
            yield from _paths(item, f"{path}[]")


def _undeclared(body: Any, schema: Any, path: str = "") -> Iterator[str]:
    """Paths in ``body`` that ``schema`` does not declare."""
    if not isinstance(schema, dict):
        return
    if isinstance(body, dict) and isinstance(schema.get("properties"), dict):
        for key, value in body.items():
            where = f"{path}.{key}" if path else key
            if key not in schema["properties"]:
                yield where
            else:
                yield from _undeclared(value, schema["properties"][key], where)
    elif isinstance(body, list) and isinstance(schema.get("items"), dict):
        for item in body:
            yield from _undeclared(item, schema["items"], f"{path}[]")


class AnswerShapes:
    """The mock's answers fitted to ``spec``: checked once, completed on every answer.

    Attributes:
        problems: how the answers the mock builds depart from ``spec``, one line a
            field (empty when they fit).
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self._schemas: dict[str, Any] = {}
        self._known: dict[str, frozenset[str]] = {}
        problems: dict[str, None] = {}
        for operation, what, body in sample_answers():
            if operation not in self._schemas:
                self._schemas[operation] = response_schema(spec, operation, 200)
            self._known[operation] = self._known.get(operation, frozenset()) | set(_paths(body))
            for problem in self._problems(operation, what, body):
                problems[problem] = None
        self.problems = list(problems)

    def complete(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with the required fields the mock knows nothing of filled in."""
        return completed(body, self._schemas[operation], self._known[operation])  # type: ignore[no-any-return]

    def _problems(self, operation: str, what: str, body: dict[str, Any]) -> Iterator[str]:
        schema = self._schemas[operation]
        if schema is None:
            yield f"{operation}: the spec has no 200 answer"
            return
        self.complete(operation, body)
        for where in _undeclared(body, schema):
            yield f"{operation} answer ({what}) sends {where}, which the spec does not have"
        for error in jsonschema.Draft4Validator(schema).iter_errors(body):
            where = ".".join(str(p) for p in error.absolute_path) or "(body)"
            yield f"{operation} answer ({what}) at {where}: {error.message}"


def answer_problems(spec: dict[str, Any]) -> list[str]:
    """How the mock's own answers depart from ``spec``, one line a field."""
    return AnswerShapes(spec).problems
