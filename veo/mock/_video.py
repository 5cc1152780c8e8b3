"""The mock's stand-in for the CDN: serves the sample video under ``VIDEO_PREFIX``.

Supports ``Range`` (single ranges) and ``HEAD``; applies the task's video fault
(expired link, truncated body). Whether an ``Authorization`` header arrived is
recorded by the request log (``MockState.video_requests_with_authorization``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from veo.mock._asgi import Receive, Scope, Send, headers_of, send_json
from veo.mock._faults import Fault
from veo.mock._routes import VIDEO_PREFIX
from veo.mock._state import MockState

__all__ = ["sample_video", "serve_video"]

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@cache
def sample_video(aspect_ratio: str = "16:9") -> bytes:
    """The small, playable 8-second MP4 shipped for ``aspect_ratio`` (16:9 or 9:16).

    Made by ``tools/sample_videos.py``; a ratio other than 9:16 gets the 16:9 video.
    """
    name = "sample-9x16.mp4" if aspect_ratio == "9:16" else "sample-16x9.mp4"
    return resources.files("veo.mock").joinpath(name).read_bytes()


def _byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The inclusive range asked for, None for the whole file, "bad" if unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None  # RFC 9110: an unparseable Range is ignored
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return "bad"
    return start, end


async def serve_video(state: MockState, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request under ``VIDEO_PREFIX``."""
    method = scope["method"]
    if method not in ("GET", "HEAD"):
        await send_json(send, 405, {"message": "method not allowed"}, {"Allow": "GET, HEAD"})
        return
    name = scope["path"][len(VIDEO_PREFIX) :]
    task = state.tasks.get(name.removesuffix(".mp4"))
    if task is None or not name.endswith(".mp4"):
        await send_json(send, 404, {"message": "no such video"})
        return
    if task.video_fault == Fault.EXPIRED_LINK.value:
        status = task.video_status or 410
        await send_json(send, status, {"message": "AccessDenied: the link has expired"})
        return
    data = sample_video(str(task.body.get("aspect_ratio", "16:9")))
    wanted = _byte_range(headers_of(scope).get("range"), len(data))
    if wanted == "bad":
        await send_json(
            send,
            416,
            {"message": "range not satisfiable"},
            {"Content-Range": f"bytes */{len(data)}"},
        )
        return
    status, body = 200, data
    extra = []
    if isinstance(wanted, tuple):
        start, end = wanted
        status, body = 206, data[start : end + 1]
        extra = [(b"content-range", f"bytes {start}-{end}/{len(data)}".encode())]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"video/mp4"),
                (b"content-length", str(len(body)).encode()),
                (b"accept-ranges", b"bytes"),
                *extra,
            ],
        }
    )
    if method == "HEAD":
        await send({"type": "http.response.body", "body": b""})
    elif task.video_fault == Fault.TRUNCATED_VIDEO.value:
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        # Returning short of Content-Length makes the server close the connection.
        return
    else:
        await send({"type": "http.response.body", "body": body})
