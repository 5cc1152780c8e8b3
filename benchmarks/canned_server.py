"""A minimal HTTP/1.1 server with canned answers, so the server is never the bottleneck.

Run: ``python benchmarks/canned_server.py`` → prints its port. Routes:
``POST /v1/videos/generations`` → a new task id each time, as the service gives;
``GET /v1/videos/tasks/<id>`` → that task, succeeded, its link ``/video``;
``GET /video?bytes=N`` → N bytes;
``GET /stats`` → connections accepted so far and the most open at once;
``POST /reset`` zeroes both.
"""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlsplit

CHUNK = b"\0" * (1 << 20)
created = 0  # task ids handed out
connections = 0  # accepted since the last reset
open_now = 0  # open at this moment
open_peak = 0  # the most open at once since the last reset


def answer(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global created, connections, open_now, open_peak
    connections += 1
    open_now += 1
    open_peak = max(open_peak, open_now)
    port = writer.get_extra_info("sockname")[1]
    # The task's body, its id left out: spliced in per request, as cheaply as canned.
    before_id, after_id = (
        json.dumps(
            {
                "id": "",
                "state": "succeeded",
                "progress": 100,
                "data": {"videos": [{"url": f"http://127.0.0.1:{port}/video"}]},
            }
        )
        .encode()
        .split(b'""', 1)
    )
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            path = urlsplit(target).path
            if method == "POST" and path == "/v1/videos/generations":
                created += 1
                writer.write(answer("200 OK", b'{"id": "t%d"}' % created))
            elif method == "GET" and path.startswith("/v1/videos/tasks/"):
                task_id = path.removeprefix("/v1/videos/tasks/").encode()
                writer.write(answer("200 OK", before_id + b'"' + task_id + b'"' + after_id))
            elif path == "/video":
                size = int(parse_qs(urlsplit(target).query).get("bytes", ["1048576"])[0])
                head = f"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: {size}\r\n"
                writer.write((head + "\r\n").encode())
                sent = 0
                while sent < size:
                    piece = CHUNK[: min(len(CHUNK), size - sent)]
                    writer.write(piece)
                    sent += len(piece)
                    await writer.drain()
            elif path == "/stats":
                stats = {"connections": connections, "open_peak": open_peak}
                writer.write(answer("200 OK", json.dumps(stats).encode()))
            elif path == "/reset":
                connections = 0
                open_peak = open_now
                writer.write(answer("200 OK", b"{}"))
            else:
                writer.write(answer("404 Not Found", b"{}"))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        open_now -= 1
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
