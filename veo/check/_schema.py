"""The effective spec's response schemas, and a body checked against one field by field.

Validation is ``jsonschema`` (Draft 4, the dialect OpenAPI 3.0 schemas extend), on the
schemas of the spec the installed ``veo_api`` was generated from, with ``$ref``
resolved and ``nullable`` honoured. A body is checked twice: as the spec allows it, and
with the spec's open enums closed, so a value the vendor never documented (a new task
state) is reported as drift although it still parses.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import jsonschema

from veo import _spec

__all__ = ["Drift", "drifts", "load_spec", "response_schema"]


@attrs.frozen
class Drift:
    """One way a body departs from the spec.

    Attributes:
        path: where, as a dotted field path (``data.videos[0].url``), or what
            (``Authorization``, ``status``).
        problem: what the spec says and what came instead.
        observed: the JSON type of the value that came (``missing`` when absent).
    """

    path: str
    problem: str
    observed: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} (observed: {self.observed})"


@functools.cache
def load_spec() -> dict[str, Any]:
    """The effective spec shipped in the ``veo_api`` package (read once)."""
    return _spec.load_spec()


def response_schema(operation_id: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of ``operation_id``'s answer with ``status`` (or ``default``)."""
    return _spec.response_schema(load_spec(), operation_id, status)


def _closed(schema: Any) -> Any:
    """``schema`` with each open enum (``anyOf: [{enum}, {type}]``) closed to its values."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    branches = schema.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and "enum" in branches[0]:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**rest, **branches[0]}
    return {key: _closed(value) for key, value in schema.items()}


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _describe(error: jsonschema.ValidationError) -> Drift:
    path = _path(error.absolute_path)
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        return Drift(f"{path}.{missing}".lstrip("."), "required by the spec", "missing")
    where = path or "(body)"
    if error.validator == "enum":
        values: Any = error.validator_value
        listed = ", ".join(str(v) for v in values)
        problem = f"{error.instance!r} is not a documented value ({listed})"
    elif error.validator == "type":
        problem = f"the spec says {error.validator_value}"
    else:
        problem = f"breaks {error.validator}: {error.message}"
    return Drift(where, problem, _json_type(error.instance))


@functools.cache
def _validator(operation_id: str, status: int) -> jsonschema.Draft4Validator | None:
    """The validator of one answer, built once: the schema with its open enums closed."""
    schema = response_schema(operation_id, status)
    return None if schema is None else jsonschema.Draft4Validator(_closed(schema))


def drifts(body: Any, operation_id: str, status: int) -> list[Drift]:
    """Every way ``body`` departs from the spec's answer of ``operation_id`` with
    ``status`` (documented values included), sorted."""
    validator = _validator(operation_id, status)
    if validator is None:
        return []
    found = {str(d): d for d in map(_describe, validator.iter_errors(body))}
    return [found[key] for key in sorted(found)]
