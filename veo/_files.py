"""Files the project reads but may not have written, and files it writes whole.

A recording (``veo mock --replay``) or a baseline (``veo check --baseline``) is a file
someone hands us: it may be a FIFO, a link to ``/dev/zero``, gigabytes, nested a
hundred thousand levels, or JSON of the wrong shape. ``read_json_document`` is the one
way such a file is read: a regular file only (a FIFO is refused, never waited on),
within a size, within a nesting depth, and checked against its format's JSON Schema;
whatever is wrong is one ``DocumentError`` naming the file and the field.

``write_whole`` is the one way those files are written: a temporary file in the same
directory, flushed, then renamed over the name. A reader never sees half a file, and a
symbolic link at the name is replaced, not followed (its target is left alone).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DocumentError", "read_json_document", "read_regular", "validate", "write_whole"]

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


class DocumentError(ValueError):
    """A file that cannot be used: unreadable, not a regular file, too large, nested too
    deeply, not JSON, or not of its format. The message names the file and the field."""


def read_json_document(path: Path, *, max_bytes: int, max_depth: int) -> Any:
    """The JSON document in ``path``, read as a regular file within the limits (then
    check it with ``validate``).

    Raises:
        DocumentError: naming ``path`` and what is wrong.
    """
    data = read_regular(path, max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text (byte {exc.start + 1})") from None
    depth = _depth(text)
    if depth > max_depth:
        raise DocumentError(f"{path}: nested {depth} levels deep; at most {max_depth} are read")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DocumentError(f"{path}: not JSON ({exc})") from None


def validate(path: Path, document: Any, schema: Mapping[str, Any]) -> None:
    """Check ``document`` against its format's ``schema`` (JSON Schema 2020-12, with
    ``jsonschema``, which the extras that read these files install).

    Raises:
        DocumentError: naming ``path``, the field (as ``exchanges[2].status``) and the rule.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = _field(error.absolute_path) or "the document"
        raise DocumentError(f"{path}: {where}: {_rule(error)}")


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path``, a regular file of at most ``max_bytes`` (a FIFO is refused,
    never waited on; a file that grows past the limit while read is refused too).

    Raises:
        DocumentError: naming ``path`` and what is wrong.
    """
    # O_NONBLOCK: opening a FIFO for reading would wait for a writer, forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read it ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise DocumentError(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise DocumentError(
                f"{path}: {info.st_size} bytes; files of at most {max_bytes} bytes are read"
            )
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise DocumentError(f"{path}: cannot read it ({exc.strerror})") from None
    if len(data) > max_bytes:  # it grew while we looked
        raise DocumentError(f"{path}: over {max_bytes} bytes; files of at most that are read")
    return data


def _depth(text: str) -> int:
    """How deeply the JSON in ``text`` nests (its brackets outside strings), counted
    without recursion: ``json.loads`` and everything after it recurse."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    steps = (1 if bracket in "[{" else -1 for bracket in brackets)
    return max(itertools.accumulate(steps, initial=0))


def _field(path: Any) -> str:
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else f".{part}" if shown else str(part)
    return shown


def _rule(error: Any) -> str:
    """A schema error's message, its instance cut short (it may be huge, or hostile)."""
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"must be {wanted}, got {_json_type(error.instance)}"
    if error.validator == "required":
        return str(error.message).split(" is a required property")[0] + " is required"
    return str(error.message)[:200]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` as the file ``path``: all of it or, on any failure, nothing new.

    A temporary file beside it, flushed to disk, renamed over ``path``: a link at
    ``path`` is replaced by the file, never written through.

    Raises:
        OSError: the directory cannot be written; no temporary file is left.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
