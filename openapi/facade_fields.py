"""The fields ``veo`` reads from answers, checked against a spec by ``make gen``.

``veo/_wire.py`` lists every field of an answer the facade reads, with its path and
type. A vendor update that renames, removes or retypes one of them must stop
``make gen`` with a message naming the field and the vendor document, not surface
later as a wait that never ends or a paid task with "no video". Two passes:

1. :func:`vendor_problems`, on the vendor's merged documents before the overlay: the
   fields the vendor's own documents define (``source == "vendor"``). It runs first
   because an overlay action aimed at a renamed field would otherwise fail with only
   its JSONPath to go on.
2. :func:`spec_problems`, on the effective spec: every field, types included, the
   observed ones (which the overlay adds) too.

``veo/_wire.py`` is loaded by path (:func:`load_fields`): it imports nothing from
``veo``, so the check works whatever state the generated package is in.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from vendor_docs import extract, vendor_documents

__all__ = [
    "load_fields",
    "moved_operations",
    "operation_sources",
    "operations",
    "resolve",
    "spec_problems",
    "vendor_problems",
]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
Operation = tuple[str, str]  # (path, method)


def load_fields(root: Path) -> tuple[Any, ...]:
    """The ``FIELDS`` of ``veo/_wire.py`` under ``root``, loaded without importing ``veo``."""
    path = root / "veo" / "_wire.py"
    spec = importlib.util.spec_from_file_location("_veo_wire_fields", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # attrs resolves the classes' module by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return tuple(module.FIELDS)


def operation_sources(folder: Path) -> dict[Operation, str]:
    """Which vendor document defines each operation, as (path, method) → file name."""
    sources: dict[Operation, str] = {}
    for document in vendor_documents(folder):
        for path, item in (extract(document).get("paths") or {}).items():
            for method in item or {}:
                if method in METHODS:
                    sources.setdefault((path, method), document.name)
    return sources


def operations(spec: Mapping[str, Any]) -> dict[str, Operation]:
    """operationId → (path, method) in ``spec``."""
    found: dict[str, Operation] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if method in METHODS and isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (path, method)
    return found


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """What ``node`` stands for in ``spec``: its ``$ref`` followed (chains too)."""
    for _ in range(32):
        if not (isinstance(node, dict) and "$ref" in node):
            return node
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node = target
    return node


def _types(spec: Mapping[str, Any], schema: Any) -> set[str]:
    """The JSON types ``schema`` allows (the union of its ``anyOf``/``oneOf`` branches)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return set()
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key) or []:
            found |= _types(spec, branch)
    return found


def _response_schemas(spec: Mapping[str, Any], operation: Any, status: str) -> Iterator[Any]:
    responses = (operation or {}).get("responses") or {}
    response = resolve(spec, responses.get(status))
    for media in ((response or {}).get("content") or {}).values():
        yield (media or {}).get("schema")


def _problem_at(spec: Mapping[str, Any], schema: Any, field: Any) -> str | None:
    """What is wrong with ``field`` in ``schema``, or None."""
    where = ""
    for part in field.parts:
        schema = resolve(spec, schema)
        if part == "[]":
            if "array" not in _types(spec, schema):
                return f"{where} is not an array"
            schema = schema.get("items")
            where += "[]"
            continue
        properties = (schema or {}).get("properties") if isinstance(schema, dict) else None
        where = f"{where}.{part}" if where else part
        if not isinstance(properties, dict) or part not in properties:
            return f"{where} is not there"
        schema = properties[part]
    if field.type is not None:
        types = _types(spec, schema)
        if types != {field.type}:
            shown = " or ".join(sorted(types)) if types else "no type"
            return f"the spec gives it {shown}"
    return None


def _describe(field: Any) -> str:
    expected = f"{field.type}" if field.type else "any type"
    return f"{field} ({expected})"


def _located(
    spec: Mapping[str, Any], field: Any, places: Mapping[str, Operation]
) -> Iterator[tuple[Operation, Any]]:
    """(operation, answer schema) pairs that should hold ``field``."""
    if field.operation == "*":
        for place in places.values():
            path, method = place
            for schema in _response_schemas(spec, spec["paths"][path][method], field.status):
                yield place, schema
        return
    place = places.get(field.operation)
    if place is None:
        yield ("", ""), None
        return
    path, method = place
    operation = ((spec.get("paths") or {}).get(path) or {}).get(method)
    schemas = list(_response_schemas(spec, operation, field.status))
    for schema in schemas or [None]:
        yield place, schema


def vendor_problems(
    vendor: Mapping[str, Any],
    fields: tuple[Any, ...],
    sources: Mapping[Operation, str],
    places: Mapping[str, Operation],
) -> list[str]:
    """The vendor-defined fields ``veo`` reads that the vendor's documents lost.

    ``places`` locates each operation (from the last effective spec: the vendor's
    documents carry no operationIds); an operation it does not know is skipped here
    and checked by :func:`spec_problems`.
    """
    problems = []
    for field in fields:
        if field.source != "vendor" or field.operation not in places:
            continue
        for place, schema in _located(vendor, field, places):
            document = sources.get(place, "(no vendor document defines the operation)")
            problem = "the operation is gone" if schema is None else None
            problem = problem or _problem_at(vendor, schema, field)
            if problem:
                problems.append(
                    f"{_describe(field)}: veo reads it, and vendor document {document} no "
                    f"longer defines it as veo expects ({problem})"
                )
    return problems


def spec_problems(
    spec: Mapping[str, Any], fields: tuple[Any, ...], sources: Mapping[Operation, str]
) -> list[str]:
    """Every field ``veo`` reads that the effective ``spec`` lacks or types otherwise."""
    places = operations(spec)
    problems = []
    for field in fields:
        for place, schema in _located(spec, field, places):
            problem = "the operation is gone" if schema is None else None
            problem = problem or _problem_at(spec, schema, field)
            if problem:
                document = sources.get(place)
                origin = (f"vendor document {document}" if document else "no vendor document") + (
                    "" if field.source == "vendor" else ", observed in openapi/overlay.yaml"
                )
                problems.append(
                    f"{_describe(field)}: veo reads it, and the effective spec does not "
                    f"have it as veo expects ({problem}; {origin})"
                )
    return problems


def moved_operations(
    places: Mapping[str, Operation],
    sources: Mapping[Operation, str],
    overlay: Mapping[str, Any],
) -> list[str]:
    """One message per operation of the last effective spec the vendor's documents lost.

    Names the operation, its old path and method, what the vendor's documents define
    now that the last spec did not have (where it may have moved: same method), and
    the overlay actions whose target names the old path, which must be retargeted.
    ``places`` is the last effective spec's (operationId → (path, method)).
    """
    from apply_overlay import describe

    known = set(places.values())
    actions = [a for a in overlay.get("actions") or [] if isinstance(a, Mapping)]
    messages = []
    for operation_id, (path, method) in places.items():
        if (path, method) in sources:
            continue
        new = sorted(
            f"{m.upper()} {p} ({document})"
            for (p, m), document in sources.items()
            if m == method and (p, m) not in known
        )
        targets = [
            describe(index, action)
            for index, action in enumerate(actions)
            if path in str(action.get("target", ""))
        ]
        now = f"; the vendor's documents now have {', '.join(new)}" if new else ""
        message = (
            f"operation {operation_id} ({method.upper()} {path}) is gone from the vendor's "
            f"documents{now}. If it moved, retarget these actions of openapi/overlay.yaml "
            f"to the new path: " + ("; ".join(targets) or "(none names the old path)")
        )
        messages.append(message)
    return messages
