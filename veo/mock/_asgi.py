"""ASGI plumbing shared by the mock's middlewares and routes.

The type aliases of the ASGI 3 interface, and the few ways the mock answers below the
framework: a complete response, a JSON response, a connection dropped mid-answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "ASGIApp",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "captured",
    "drain",
    "drop_connection",
    "headers_of",
    "send_bytes",
    "send_json",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def headers_of(scope: Scope) -> dict[str, str]:
    """The request headers, names lower-cased (the last of a repeated header wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def send_bytes(
    send: Send, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    """Send a complete response; ``Content-Length`` is set from ``body``."""
    merged = {k.lower(): v for k, v in (headers or {}).items()}
    merged["content-length"] = str(len(body))
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    """Send a complete JSON response; ``headers`` may replace the Content-Type."""
    merged = {"content-type": "application/json"}
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    await send_bytes(send, status, json.dumps(body).encode(), merged)


async def drop_connection(send: Send) -> None:
    """Start a response and send part of it; the caller then returns.

    The server sees the application return short of ``Content-Length`` and closes the
    connection (uvicorn logs "ASGI callable returned without completing response"):
    the client sees the connection drop mid-answer, after its request was sent.
    """
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"id": "', "more_body": True})


async def drain(receive: Receive) -> None:
    """Read the request body to its end, discarding it."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def captured(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run ``app`` and keep its whole answer instead of sending it: the start message
    (status, headers) and the body."""
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start, b"".join(chunks)
