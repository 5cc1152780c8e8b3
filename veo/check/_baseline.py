"""The drift monitor: a run's answer shapes, saved as a baseline and compared with it.

A shape is taken per operation and status (``getVideoTask 200``): every field path of
the JSON bodies with the types its values had (``data.videos[].url: string``), the
task states seen, and the headers kept. ``veo check --write-baseline FILE`` saves one;
``veo check --baseline FILE`` compares this run with it:

- a field path, a state word the spec does not list, a header, or an operation and
  status the baseline does not have: **added** (a new kind of answer counts; a state the
  spec lists, seen for the first time, is a task's progress);
- a path or a header the baseline has and this run's answers of the same operation and
  status lack: **removed**;
- a path whose values came with a type the baseline never saw (``integer`` became
  ``string``, or ``integer|string``): **changed**. A type the baseline saw and this run
  did not (``null``, in a state the run did not reach) is not a change.

An operation and status this run did not see at all is not compared (a free run sees
no task answers): compare like with like, a baseline per kind of run. States the run
did not reach are not removals either (a run may not see every state).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from veo import _wire as wire
from veo._files import DocumentError, read_json_document, validate, write_whole
from veo._operations import GET_TASK
from veo._recording import RecordedExchange
from veo.check._schema import _closed, _json_type, response_schema

__all__ = ["BASELINE_FORMAT", "Change", "compare", "load_baseline", "shapes", "write_baseline"]

BASELINE_FORMAT = "duomi-veo-baseline"
BASELINE_VERSION = 1
Shapes = dict[str, dict[str, Any]]


@attrs.frozen
class Change:
    """One difference from the baseline."""

    kind: str  # added, removed, changed
    where: str  # "getVideoTask 200"
    what: str  # "progress: integer -> string", "field data.width (integer)"

    def __str__(self) -> str:
        return f"{self.kind}: {self.where} {self.what}"


def _paths(value: Any, prefix: str = "") -> Iterable[tuple[str, str]]:
    """(path, JSON type) for the value and everything inside it."""
    if prefix:
        yield prefix, _json_type(value)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item, f"{prefix}[]")


def shapes(exchanges: Iterable[RecordedExchange]) -> Shapes:
    """The shape of each operation and status the exchanges answered."""
    found: dict[str, dict[str, set[str]]] = {}
    for exchange in exchanges:
        if exchange.status is None or exchange.operation == "video":
            continue
        shape = found.setdefault(
            f"{exchange.operation} {exchange.status}", {"states": set(), "headers": set()}
        )
        shape["headers"].update(exchange.headers)
        if not isinstance(exchange.body, dict | list):
            shape.setdefault("(body)", set()).add(_json_type(exchange.body))
            continue
        for path, kind in _paths(exchange.body):
            shape.setdefault(f"field {path}", set()).add(kind)
        state = wire.TASK_STATE.get(exchange.body)
        if exchange.operation == GET_TASK.id and isinstance(state, str):
            shape["states"].add(state)
    return {
        where: {name: sorted(values) for name, values in sorted(shape.items())}
        for where, shape in sorted(found.items())
    }


def documented_states() -> frozenset[str]:
    """The task states the effective spec lists (its open enum's values)."""
    schema = response_schema(GET_TASK.id, 200) or {}
    state = _closed(schema.get("properties", {}).get("state", {}))
    return frozenset(str(value) for value in state.get("enum", ()))


MAX_BYTES = 4 * 1024 * 1024
"""The largest baseline read (one is a few KiB: a field path per line)."""
MAX_DEPTH = 8
"""A baseline nests 4 deep: document, shapes, operation and status, types."""
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "version", "shapes"],
    "properties": {
        "format": {"const": BASELINE_FORMAT},
        "version": {"const": BASELINE_VERSION},
        "shapes": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
"""The layout of a baseline file (``write_baseline``), as JSON Schema."""


def write_baseline(path: str | Path, found: Shapes) -> None:
    """Save a run's shapes as the baseline: written whole, a link at ``path`` replaced
    rather than written through."""
    document = {"format": BASELINE_FORMAT, "version": BASELINE_VERSION, "shapes": found}
    write_whole(Path(path), (json.dumps(document, indent=2) + "\n").encode("utf-8"))


def load_baseline(path: str | Path) -> Shapes:
    """Read a baseline (a regular file, within ``MAX_BYTES`` and ``MAX_DEPTH``, of the
    layout ``SCHEMA`` says).

    Raises:
        ValueError: not a baseline this ``veo`` reads, naming the file and the field.
    """
    file = Path(path)
    try:
        document = read_json_document(file, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH)
        if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
            raise DocumentError(f"{file}: not a {BASELINE_FORMAT} file")
        if document.get("version") != BASELINE_VERSION:
            raise DocumentError(f"{file}: version {document.get('version')!r}")
        validate(file, document, SCHEMA)
    except DocumentError as exc:
        raise ValueError(f"--baseline: {exc}") from None
    found: Shapes = document["shapes"]
    return found


def compare(baseline: Mapping[str, Any], found: Mapping[str, Any]) -> list[Change]:
    """Every difference of this run's shapes from the baseline's, sorted."""
    changes: list[Change] = []
    for where in sorted(found):
        now = found[where]
        if where not in baseline:
            changes.append(Change("added", where, "(an answer the baseline never had)"))
            continue
        before = baseline[where]
        for name in sorted(set(before) | set(now)):
            old, new = set(before.get(name, ())), set(now.get(name, ()))
            if name == "states":
                # A state the spec lists, seen for the first time (a baseline written
                # while its task was pending, a run that sees it running), is the task's
                # progress, not a change of the service.
                documented = documented_states()
                unseen = sorted(state for state in new - old if state not in documented)
                changes += [Change("added", where, f"state {state!r}") for state in unseen]
            elif name == "headers":
                changes += [Change("added", where, f"header {h}") for h in sorted(new - old)]
                changes += [Change("removed", where, f"header {h}") for h in sorted(old - new)]
            elif not old:
                changes.append(Change("added", where, f"{name} ({'|'.join(sorted(new))})"))
            elif not new:
                changes.append(Change("removed", where, f"{name} ({'|'.join(sorted(old))})"))
            elif new - old and old - new:
                was, became = "|".join(sorted(old)), "|".join(sorted(new))
                changes.append(Change("changed", where, f"{name}: {was} -> {became}"))
            elif new - old:  # some answers now carry another type
                was, became = "|".join(sorted(old)), "|".join(sorted(old | new))
                changes.append(Change("changed", where, f"{name}: {was} -> {became}"))
    return changes
