"""The API key: checked once when a client is built, and redacted from every text.

A key reaches the outside world only in the ``Authorization`` header. Everything else
that leaves ``veo`` is passed through :meth:`Secret.redact` first, which finds the key
not only verbatim but in the forms a server may echo it in (JSON-escaped,
``\\uXXXX``-escaped, percent-encoded, upper- or lower-case, hex, inside base64) and in
pieces: any run of ``Secret.MIN_RUN`` or more of its characters.

Log records of the ``veo``, ``httpx`` and ``httpcore`` loggers (``RedactingFilter``,
on those loggers from the first key on, whoever's handler shows them) and the names of
saved files do not know which client's text they carry: they use the key of the client
call in progress (``calling_with``: each public method of the clients sets it, per
thread and per asyncio task).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import json
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from veo._errors import ConfigurationError

__all__ = [
    "LOGGERS",
    "REDACTED",
    "RedactingFilter",
    "Secret",
    "calling_with",
    "check_key",
    "redact_current",
]

REDACTED = "***"
MIN_BASE64_FRAGMENT = 4
"""The shortest run of base64 text, standing for part of the key, that is redacted."""
_STRIP = " \t\r\n\ufeff"


def _describe(char: str) -> str:
    if char in "\r\n":
        return "a line break"
    if unicodedata.category(char).startswith("C"):
        return f"a control character (U+{ord(char):04X})"
    if char.isspace():
        return f"white space (U+{ord(char):04X})"
    return f"a non-ASCII character (U+{ord(char):04X})"


def check_key(key: str, source: str = "api_key") -> str:
    """The key as it will be sent: surrounding white space and a leading BOM removed.

    Raises:
        ConfigurationError: the key is empty, spans several lines, or holds a character
            that cannot go into an HTTP header verbatim. The message names the position
            and the kind of character, never the key.
    """
    cleaned = key.strip(_STRIP)
    if not cleaned:
        raise ConfigurationError(f"{source}: the API key is empty")
    lines = [line for line in cleaned.splitlines() if line.strip(_STRIP)]
    if len(lines) > 1:
        raise ConfigurationError(
            f"{source}: the API key spans {len(lines)} non-empty lines; it must be one line "
            f"(is this a file holding several keys?)"
        )
    for position, char in enumerate(cleaned, start=1):
        if not (" " <= char < "\x7f"):
            raise ConfigurationError(
                f"{source}: the API key has {_describe(char)} at position {position}; an "
                f"HTTP header can only carry printable ASCII"
            )
    return cleaned


class Secret:
    """A string that never shows itself in ``repr`` or ``str``, and redacts itself."""

    MIN_RUN = 8
    """The shortest run of the key's characters that is redacted on its own."""

    __slots__ = ("_pattern", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        self._pattern = _pattern(value, self.MIN_RUN) if value else None
        if value:
            _filter_logs()

    def reveal(self) -> str:
        """The secret itself, for the one header that needs it."""
        return self._value

    def redact(self, text: str) -> str:
        """``text`` with the key, in any known encoding or in pieces, replaced."""
        if self._pattern is None or not text:
            return text
        # Search again one character after each match's start: overlapping runs, whose
        # union covers the whole key wherever a run of MIN_RUN characters of it starts.
        spans: list[list[int]] = []
        match = self._pattern.search(text)
        while match is not None:
            start, end = match.span()
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
            match = self._pattern.search(text, start + 1)
        if not spans:
            return text
        pieces, last = [], 0
        for start, end in spans:
            pieces += [text[last:start], REDACTED]
            last = end
        pieces.append(text[last:])
        return "".join(pieces)

    def redact_value(self, value: Any) -> Any:
        """``value`` (a decoded JSON body, headers, ...) with every string redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(k)): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_value(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.redact_value(item) for item in value)
        return value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    __str__ = __repr__


def _forms(key: str) -> set[str]:
    """The key as a server may echo it: verbatim, escaped or encoded, upper- or lower-cased,
    as hex, or inside base64 (as in a ``Basic`` credential or an encoded token)."""
    escaped = json.dumps(key)[1:-1]
    forms = {
        key,
        escaped,
        escaped.replace("/", "\\/"),
        "".join(f"\\u{ord(char):04x}" for char in key),
        "".join(f"\\u{ord(char):04X}" for char in key),
        quote(key, safe=""),
        quote(key),
        quote_plus(key),
        key.encode("utf-8").hex(),
    }
    forms |= {form.upper() for form in forms} | {form.lower() for form in forms}
    return forms | _in_base64(key)


def _in_base64(key: str) -> set[str]:
    """What base64 text holds wherever the key sits in what was encoded: for each of the
    three alignments, the characters that depend on the key's bytes alone."""
    data = key.encode("utf-8")
    found: set[str] = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * offset + data).decode("ascii")
            # The first characters mix in the padding bytes, the last ones what follows.
            start = (offset * 4 + 2) // 3
            found.add(text[start : len(text) - 4])
    # A short key leaves a fragment of a character or three, which would match ordinary
    # text ("401" read as "4***1"); so few characters identify nothing.
    return {form for form in found if len(form) >= MIN_BASE64_FRAGMENT}


def _pattern(key: str, run: int) -> re.Pattern[str]:
    pieces: set[str] = set()
    for form in _forms(key):
        width = min(run, len(form))
        pieces.update(form[i : i + width] for i in range(len(form) - width + 1))
    # Longest first, so that an alternative that is a prefix of another loses.
    alternatives = "|".join(re.escape(piece) for piece in sorted(pieces, key=len, reverse=True))
    return re.compile(alternatives)


LOGGERS = (
    "veo",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""The loggers that see this project's requests: its own, and its HTTP stack's (a
filter on a logger applies to its own records only, so each is named)."""


def _filter_logs() -> None:
    """Put ``RedactingFilter`` on ``LOGGERS`` (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


_CALLING: contextvars.ContextVar[Secret | None] = contextvars.ContextVar(
    "veo_calling_with", default=None
)


@contextlib.contextmanager
def calling_with(secret: Secret) -> Iterator[None]:
    """Within the block, ``redact_current`` and the log filter remove ``secret``."""
    token = _CALLING.set(secret)
    try:
        yield
    finally:
        _CALLING.reset(token)


def redact_current(text: str) -> str:
    """``text`` with the key of the client call in progress (if any) redacted."""
    secret = _CALLING.get()
    return text if secret is None else secret.redact(text)


class RedactingFilter(logging.Filter):
    """Removes the key of the client call in progress from a log record: its message
    (rendered), a traceback's text and stack. Records logged outside a call pass as
    they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _CALLING.get() is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record: logging reports it as it would have
            return True
        cleaned = redact_current(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_current(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_current(record.stack_info)
        return True
