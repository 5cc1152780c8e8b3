"""The command's one exit for the key: every byte it writes goes through here.

The command learns the key it runs with (``protect``, from ``Service.options``), and
from then on:

- stdout and stderr are ``RedactingStream`` wrappers for the whole run
  (``redacted_streams``, around the command in ``main``): ``print``, Rich's console and
  progress bars, ``--json`` documents, log lines, Typer's own messages and tracebacks
  all pass through one ``write``;
- the ledger and the batch journal store ``shown_value`` of what they are given.

So a service that echoes the key (in a task id, a video link, a message, a header) has
it replaced by ``***`` in whatever the command shows or stores, while the command still
uses what the service said (the link with the key in it is still downloaded). The key
of the embedded mock (``--mock``) protects nothing and is not registered.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from veo._secret import Secret

__all__ = ["RedactingStream", "protect", "redacted_streams", "shown", "shown_value"]

_KEYS: dict[str, Secret] = {}  # key -> its Secret; for the rest of the process


def protect(key: str) -> None:
    """Redact ``key`` from everything the command writes from now on."""
    if key and key not in _KEYS:
        _KEYS[key] = Secret(key)


def shown(text: str) -> str:
    """``text`` without any key the command runs with."""
    for secret in _KEYS.values():
        text = secret.redact(text)
    return text


def shown_value(value: Any) -> Any:
    """``value`` (a string, a number, JSON-like) without any key the command runs with."""
    for secret in _KEYS.values():
        value = secret.redact_value(value)
    return value


class RedactingStream:
    """A text stream that writes ``shown(text)`` to the stream it wraps; everything else
    (``flush``, ``isatty``, ``encoding``, ``fileno``, ...) is the wrapped stream's."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(shown(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


@contextmanager
def redacted_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` redacting for the block (see the module)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(sys.stdout)
    sys.stderr = RedactingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
