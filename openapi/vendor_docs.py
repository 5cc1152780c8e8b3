"""The vendor's published documents: each one's OpenAPI block, merged into one document.

Every file in ``openapi/vendor/`` is a document exactly as the vendor exports it from
its API portal: a Markdown page holding one operation's OpenAPI description in a
fenced ``yaml`` block (a bare YAML or JSON OpenAPI file works too). ``make gen``:

1. checks nothing in the folder was edited since the last ``make gen``
   (``lock_problems``; the SHA-256 of each file is recorded in ``openapi/vendor.sha256``);
2. extracts the OpenAPI block of each document (``extract``);
3. merges them in file-name order (``merge``): paths and components are unioned, and
   anything defined twice must be identical; a conflict fails naming both documents.

A new document (another endpoint the vendor publishes) is picked up by dropping it
into the folder and running ``make gen``; nothing else changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "LOCK_NAME",
    "VendorError",
    "extract",
    "lock_problems",
    "merge",
    "vendor_documents",
    "vendor_spec",
    "write_lock",
]

LOCK_NAME = "vendor.sha256"
_FENCE = re.compile(r"^```ya?ml[ \t]*\r?\n(.*?)^```", re.MULTILINE | re.DOTALL)


class VendorError(Exception):
    """A vendor document cannot be used, or two of them disagree; the message names them."""


def vendor_documents(folder: Path) -> list[Path]:
    """The vendor's documents, in the order they are merged (by file name)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def extract(path: Path) -> dict[str, Any]:
    """The OpenAPI document a vendor export holds.

    Raises:
        VendorError: naming the file, when it is not UTF-8 or holds no OpenAPI document.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise VendorError(f"{path.name}: not UTF-8 text (byte {exc.start + 1})") from None
    for block in _FENCE.findall(text) or [text]:
        try:
            document = yaml.safe_load(block)
        except yaml.YAMLError as exc:
            raise VendorError(f"{path.name}: its OpenAPI block is not YAML: {exc}") from None
        if isinstance(document, dict) and "openapi" in document:
            return document
    raise VendorError(
        f"{path.name}: no OpenAPI document (a ```yaml block with an 'openapi' key) found"
    )


def _entries(document: dict[str, Any]) -> Iterable[tuple[tuple[str, ...], Any]]:
    """Each separately mergeable part: an operation, a component, a top-level key."""
    for key, value in document.items():
        if key == "paths":
            for path, item in (value or {}).items():
                for field, operation in (item or {}).items():
                    yield ("paths", path, field), operation
        elif key == "components":
            for kind, named in (value or {}).items():
                yield ("components", kind), {}
                for name, component in (named or {}).items():
                    yield ("components", kind, name), component
        else:
            yield (key,), value


def merge(documents: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One document holding every operation and component of ``documents``.

    ``documents`` are ``(name, document)`` pairs. Top-level keys other than ``paths``
    and ``components`` (``openapi``, ``info``, ``servers``, ``security``) must agree too.

    Raises:
        VendorError: a part is defined differently by two documents (both are named).
    """
    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for name, document in documents:
        for where, value in _entries(document):
            node = merged
            for key in where[:-1]:
                node = node.setdefault(key, {})
            if where not in origin:
                node[where[-1]] = value
                origin[where] = name
            elif node[where[-1]] != value and value != {}:
                shown = " ".join(where)
                raise VendorError(
                    f"{shown}: defined differently in {origin[where]} and {name}; "
                    "the vendor's documents must agree on what they share"
                )
    return merged


def vendor_spec(folder: Path) -> dict[str, Any]:
    """Extract and merge every document in ``folder``."""
    documents = vendor_documents(folder)
    if not documents:
        raise VendorError(f"{folder}: no vendor documents")
    return merge([(path.name, extract(path)) for path in documents])


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in vendor_documents(folder)}


def write_lock(folder: Path, lock: Path) -> None:
    """Record the SHA-256 of every vendor document (``sha256sum`` format)."""
    lines = [f"{digest}  {name}\n" for name, digest in _digests(folder).items()]
    lock.write_text("".join(lines), encoding="utf-8")


def lock_problems(folder: Path, lock: Path) -> list[str]:
    """How the vendor documents differ from what the last ``make gen`` recorded."""
    shown = f"{folder.parent.name}/{folder.name}"
    if not lock.exists():
        return [f"{lock.name} is missing: the vendor documents were never recorded"]
    recorded: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        recorded[name] = digest
    current = _digests(folder)
    problems = [
        f"{shown}/{name} was edited since the last `make gen` "
        f"(its SHA-256 is not the one in {lock.parent.name}/{lock.name})"
        for name in sorted(current.keys() & recorded.keys())
        if current[name] != recorded[name]
    ]
    problems += [
        f"{shown}/{name} was added since the last `make gen`"
        for name in sorted(current.keys() - recorded.keys())
    ]
    problems += [
        f"{shown}/{name} was removed since the last `make gen`"
        for name in sorted(recorded.keys() - current.keys())
    ]
    return problems
