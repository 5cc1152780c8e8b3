"""What the mock refuses before anything else sees a request: it never answers 500.

A real service answers a malformed request with a 4xx; connexion answers some of them
with a 500 (a decoding error or a missing ``Content-Type`` escapes its validators), and
would read any body whole. The guard runs first, in front of the fault plan and the
request log, so a refused request never creates a task:

=====================================================  ======
the request                                            answer
=====================================================  ======
headers over ``MAX_HEADER_BYTES`` (16 KiB) in all      431
a body over ``MAX_BODY_BYTES`` (1 MiB), announced or   413
streamed (it is not read further)
a body without a JSON ``Content-Type``                 415
a body that is not UTF-8 JSON, or nested deeper than   400
``MAX_DEPTH``
=====================================================  ======

Every refusal is an ``application/problem+json`` document naming the rule.
"""

from __future__ import annotations

import json
from typing import Any

from veo.mock._asgi import ASGIApp, Message, Receive, Scope, Send, send_json

__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "MAX_HEADER_BYTES", "RequestGuard"]

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _Refused(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _check_headers(scope: Scope) -> None:
    size = sum(len(name) + len(value) for name, value in scope.get("headers", []))
    if size > MAX_HEADER_BYTES:
        raise _Refused(
            431,
            "Request Header Fields Too Large",
            f"the request headers hold {size} bytes; at most {MAX_HEADER_BYTES} are accepted",
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    announced = _header(scope, b"content-length")
    if announced is not None and announced.strip().isdigit() and int(announced) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _too_large() -> _Refused:
    return _Refused(
        413, "Content Too Large", f"the request body is larger than {MAX_BODY_BYTES} bytes"
    )


def _check_body(scope: Scope, body: bytes) -> None:
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if not (content_type == "application/json" or content_type.endswith("+json")):
        shown = content_type or "none"
        raise _Refused(
            415,
            "Unsupported Media Type",
            f"the request body must be application/json (Content-Type: {shown})",
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Refused(
            400, "Bad Request", f"the request body is not UTF-8 JSON: {type(exc).__name__}"
        ) from None
    if _depth(data) > MAX_DEPTH:
        raise _Refused(400, "Bad Request", f"the request body nests deeper than {MAX_DEPTH} levels")


class RequestGuard:
    """ASGI middleware: refuse what the table in this module's docstring lists."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_headers(scope)
            if scope["method"] in _BODY_METHODS:
                body = await _read_body(scope, receive)
                if body:
                    _check_body(scope, body)
                receive = _replay(body, receive)
        except _Refused as refused:
            problem = {
                "type": "about:blank",
                "title": refused.title,
                "status": refused.status,
                "detail": refused.detail,
            }
            headers = {"Content-Type": "application/problem+json", "Connection": "close"}
            await send_json(send, refused.status, problem, headers)
            return
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
