"""Apply an OpenAPI Overlay 1.0 document to an OpenAPI description.

Usage: ``python openapi/apply_overlay.py SPEC OVERLAY [-o OUT]``

Semantics (Overlay Specification 1.0.0, section "Action Object"):

* actions run in document order; each sees the result of the previous ones;
* ``target`` is an RFC 9535 JSONPath (python-jsonpath in strict mode);
* ``remove: true`` deletes every matched node from its parent; ``remove`` must be a
  real boolean (the string ``"false"`` is an error, not a truthy value);
* ``update`` merges into every matched node: objects merge recursively, arrays are
  appended to, primitives are replaced; merging an object into a non-object (or an
  array into a non-array) is an error;
* an action whose target matches nothing is an error naming the action, because it
  means the vendor renamed or removed what the action was written for.

Why not an existing tool: see the README's design notes.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jsonpath
import yaml

_JSONPATH = jsonpath.JSONPathEnvironment(strict=True)


class OverlayError(Exception):
    """The overlay is malformed or does not fit the document it is applied to."""


def describe(index: int, action: Mapping[str, Any]) -> str:
    """Name an action the way error messages and the README refer to it."""
    label = action.get("description")
    first_line = str(label).strip().splitlines()[0] if label else ""
    target = action.get("target", "<no target>")
    return f"action #{index} ({first_line or 'no description'}) target {target}"


def _merge(node: Any, update: Any, where: str) -> Any:
    if isinstance(node, MutableMapping) and isinstance(update, Mapping):
        for key, value in update.items():
            if key in node and isinstance(value, (Mapping, list)):
                node[key] = _merge(node[key], value, f"{where}.{key}")
            else:
                node[key] = copy.deepcopy(value)
        return node
    if isinstance(node, list) and isinstance(update, list):
        node.extend(copy.deepcopy(update))
        return node
    if isinstance(node, list) and isinstance(update, Mapping):
        node.append(copy.deepcopy(update))
        return node
    raise OverlayError(
        f"cannot merge {type(update).__name__} into {type(node).__name__} at {where}"
    )


def _sort_key(match: jsonpath.JSONPathMatch) -> tuple[tuple[int, Any], ...]:
    # Array indices and object keys can sit at the same depth in different
    # matches; tag them so the tuples always compare.
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in match.parts)


def _validate_overlay(overlay: Any) -> list[Mapping[str, Any]]:
    if not isinstance(overlay, Mapping):
        raise OverlayError("overlay document must be a mapping")
    version = str(overlay.get("overlay", ""))
    if not version.startswith("1.0"):
        raise OverlayError(f"unsupported overlay version {version!r} (expected 1.0.x)")
    actions = overlay.get("actions")
    if not isinstance(actions, list) or not actions:
        raise OverlayError("overlay has no actions")
    for index, action in enumerate(actions):
        if not isinstance(action, Mapping) or not isinstance(action.get("target"), str):
            raise OverlayError(f"action #{index} has no string target")
        name = describe(index, action)
        remove = action.get("remove", False)
        if not isinstance(remove, bool):
            raise OverlayError(f"{name}: remove must be a boolean, got {remove!r}")
        if not remove and "update" not in action:
            raise OverlayError(f"{name}: needs either update or remove: true")
    return actions


def apply_overlay(document: Any, overlay: Any) -> Any:
    """Return a new document with every action of ``overlay`` applied in order.

    Raises:
        OverlayError: the overlay is malformed, an action's target matches nothing,
            or an update cannot be merged into what its target selects.
    """
    result = copy.deepcopy(document)
    for index, action in enumerate(_validate_overlay(overlay)):
        name = describe(index, action)
        try:
            matches = list(_JSONPATH.finditer(action["target"], result))
        except jsonpath.JSONPathError as exc:
            raise OverlayError(f"{name}: invalid JSONPath: {exc}") from exc
        if not matches:
            raise OverlayError(f"{name}: target matched nothing")
        if action.get("remove", False):
            # Delete deepest-last-index first so earlier deletions cannot shift
            # the positions of later ones inside the same array.
            for match in sorted(matches, key=_sort_key, reverse=True):
                if match.parent is None:
                    raise OverlayError(f"{name}: cannot remove the document root")
                del match.parent.obj[match.parts[-1]]
            continue
        for match in matches:
            if match.parent is None:
                result = _merge(result, action["update"], "$")
            else:
                key = match.parts[-1]
                match.parent.obj[key] = _merge(match.obj, action["update"], match.path)
    return result


def load_yaml(path: Path) -> Any:
    """Load a YAML file as UTF-8."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def dump_yaml(document: Any) -> str:
    """Serialise deterministically: key order kept, Unicode kept, no line folding."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("overlay", type=Path)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    try:
        result = apply_overlay(load_yaml(args.spec), load_yaml(args.overlay))
    except OverlayError as exc:
        print(f"overlay {args.overlay}: {exc}", file=sys.stderr)
        return 1
    text = dump_yaml(result)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
