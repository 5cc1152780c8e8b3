"""Helpers shared by the test suites."""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import ssl
import struct
import threading
from pathlib import Path
from typing import Any, Self

import veo
from vendor_docs import vendor_spec


class SyncView:
    """Calls an ``AsyncVeo`` as if it were a ``Veo``, on one event loop per test."""

    def __init__(self, client: veo.AsyncVeo, runner: asyncio.Runner) -> None:
        self._client = client
        self._runner = runner

    def __repr__(self) -> str:
        return repr(self._client)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(attribute(*args, **kwargs))

        return call


def mp4_boxes(data: bytes) -> list[bytes]:
    """The top-level box types of an MP4 file (raises on a malformed box table)."""
    boxes, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        if size < 8 or offset + size > len(data):
            raise ValueError(f"malformed box {kind!r} at {offset}")
        boxes.append(kind)
        offset += size
    return boxes


def is_playable_mp4(data: bytes) -> bool:
    """An ftyp box first, a moov with a video track ('vide' handler), and media data."""
    boxes = mp4_boxes(data)
    return boxes[:1] == [b"ftyp"] and b"moov" in boxes and b"mdat" in boxes and b"vide" in data


def mp4_movie(data: bytes) -> tuple[float, float, float]:
    """(duration in seconds from ``mvhd``, width and height from the video ``tkhd``).

    Reads the box tree itself (no ffprobe): moov → mvhd, and moov → trak → tkhd of the
    track whose handler is ``vide``.
    """

    def children(start: int, end: int) -> dict[bytes, list[tuple[int, int]]]:
        found: dict[bytes, list[tuple[int, int]]] = {}
        while start < end:
            size, kind = struct.unpack(">I4s", data[start : start + 8])
            found.setdefault(kind, []).append((start + 8, start + size))
            start += size
        return found

    (moov,) = children(0, len(data))[b"moov"]
    inside = children(*moov)
    mvhd, _ = inside[b"mvhd"][0]
    version = data[mvhd]
    if version == 1:
        timescale, duration = struct.unpack(">IQ", data[mvhd + 20 : mvhd + 32])
    else:
        timescale, duration = struct.unpack(">II", data[mvhd + 12 : mvhd + 20])
    for trak in inside[b"trak"]:
        parts = children(*trak)
        mdia = children(*parts[b"mdia"][0])
        hdlr, _ = mdia[b"hdlr"][0]
        if data[hdlr + 8 : hdlr + 12] == b"vide":
            _, tkhd_end = parts[b"tkhd"][0]
            width, height = struct.unpack(">II", data[tkhd_end - 8 : tkhd_end])
            return duration / timescale, width / 65536, height / 65536
    raise ValueError("no video track")


def vendor_example() -> dict[str, Any]:
    """The request example in the vendor's create document (openapi/vendor/)."""
    spec = vendor_spec(Path(__file__).resolve().parents[1] / "openapi" / "vendor")
    content = spec["paths"]["/v1/videos/generations"]["post"]["requestBody"]["content"]
    example: dict[str, Any] = content["application/json"]["example"]
    return example


class LoopbackServer:
    """A threaded TCP server on 127.0.0.1 for HTTP edge cases httpx's mocks cannot make.

    Each connection is answered by ``_answer`` on its own thread; ``close`` stops it.
    With ``tls`` (a server-side ``ssl.SSLContext``) it speaks HTTPS.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        import socket
        import threading

        self._tls = tls
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.2)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: Any) -> None:
        if self._tls is not None:
            try:
                connection.settimeout(5)
                connection = self._tls.wrap_socket(connection, server_side=True)
            except OSError:  # a client that does not trust the certificate hangs up
                connection.close()
                return
        self._answer(connection)

    def _answer(self, connection: Any) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TrickleServer(LoopbackServer):
    """An HTTP server on 127.0.0.1 that answers every request one byte at a time.

    It sends a 200 with ``Content-Length`` and then the body, one byte every
    ``interval`` seconds: each read arrives well within any read timeout, so only a
    deadline over the whole call can stop the client. Bounded: it stops on ``close``
    and after ``body_size`` bytes.
    """

    def __init__(self, interval: float = 0.5, body_size: int = 200, head: bool = False) -> None:
        self.interval = interval
        self.body_size = body_size
        self.head = head  # trickle the status line and headers too
        self.connections = 0
        self.closed = 0  # connections the client closed
        super().__init__()

    def _answer(self, connection: Any) -> None:
        self.connections += 1
        with connection:
            connection.settimeout(5)
            try:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {self.body_size}\r\n\r\n".encode()
                if not self.head:
                    connection.sendall(head)
                for byte in [head[i : i + 1] for i in range(len(head))] if self.head else []:
                    if self._stop.wait(self.interval):
                        return
                    connection.sendall(byte)
                for _ in range(self.body_size):
                    if self._stop.wait(self.interval):
                        return
                    connection.sendall(b" ")
            except OSError:
                self.closed += 1
                return


class HoldingServer(LoopbackServer):
    """An HTTP/1.1 keep-alive server on 127.0.0.1 that holds each answer ``hold`` seconds.

    Every request gets a succeeded task, with ``set_cookie`` as a ``Set-Cookie`` header
    if given (``{n}`` in it: the request's number). It counts the requests and the
    connections accepted, keeps the most connections open at once in ``peak``, and each
    request's ``Cookie`` header in ``cookies``.
    """

    def __init__(
        self, hold: float = 0.05, set_cookie: str | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        import threading

        self.hold = hold
        self.set_cookie = set_cookie
        self.cookies: list[str | None] = []
        self.requests = 0
        self.connections = 0
        self.open = 0
        self.peak = 0
        self._lock = threading.Lock()
        super().__init__(tls)

    def _answer(self, connection: Any) -> None:
        body = json.dumps({"id": "t1", "state": "succeeded", "progress": 100}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        with self._lock:
            self.connections += 1
            self.open += 1
            self.peak = max(self.peak, self.open)
        try:
            with connection:
                connection.settimeout(5)
                pending = b""
                while not self._stop.is_set():
                    while b"\r\n\r\n" not in pending:
                        data = connection.recv(65536)
                        if not data:
                            return
                        pending += data
                    head_end = pending.index(b"\r\n\r\n") + 4
                    length, cookie = 0, None
                    for line in pending[:head_end].decode("latin-1").split("\r\n"):
                        name, _, value = line.partition(":")
                        if name.lower() == "content-length":
                            length = int(value)
                        elif name.lower() == "cookie":
                            cookie = value.strip()
                    while len(pending) < head_end + length:
                        pending += connection.recv(65536)
                    pending = pending[head_end + length :]
                    with self._lock:
                        self.requests += 1
                        self.cookies.append(cookie)
                        number = self.requests
                    answer = head
                    if self.set_cookie is not None:
                        answer += f"\r\nSet-Cookie: {self.set_cookie.format(n=number)}"
                    if self._stop.wait(self.hold):
                        return
                    connection.sendall(f"{answer}\r\n\r\n".encode() + body)
        except OSError:
            return
        finally:
            with self._lock:
                self.open -= 1


def read_request(connection: Any) -> bytes:
    """One HTTP/1.1 request from ``connection``: its head and its ``Content-Length`` body."""
    received = b""
    while b"\r\n\r\n" not in received:
        data = connection.recv(65536)
        if not data:
            return received
        received += data
    head, _, body = received.partition(b"\r\n\r\n")
    length = 0
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    while len(body) < length:
        body += connection.recv(65536)
    return head


class HangUpServer(LoopbackServer):
    """Reads each request whole, sends ``answer`` (by default nothing), and hangs up
    (``reset``: with an RST).

    Without an answer, what a service that crashed after taking a create looks like to
    a client: the request was sent, and not even a status line comes back.
    """

    def __init__(self, reset: bool = False, answer: bytes = b"") -> None:
        self.reset = reset
        self.answer = answer
        self.requests = 0
        super().__init__()

    def _answer(self, connection: Any) -> None:
        with connection:
            connection.settimeout(5)
            try:
                if read_request(connection):
                    self.requests += 1
                connection.sendall(self.answer)
                if self.reset:  # close with SO_LINGER 0: an RST, not a FIN
                    connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
            except OSError:
                return


def garbage_server() -> HangUpServer:
    """A server that answers bytes that are not HTTP, and hangs up."""
    return HangUpServer(answer=b"SPDY/9 OK\r\nthis is not HTTP\r\n\r\n")


class ConnectProxy(LoopbackServer):
    """An HTTP proxy on 127.0.0.1 that only tunnels (``CONNECT``), and counts tunnels."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        super().__init__()

    def _answer(self, connection: Any) -> None:
        with connection:
            connection.settimeout(5)
            try:
                head = read_request(connection).decode("latin-1")
                method, target, _ = head.split(" ", 2)
                if method != "CONNECT":
                    connection.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                self.tunnels.append(target)
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection((host, int(port)), timeout=5)
                connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            except OSError:
                return
            with upstream:
                back = threading.Thread(target=_pipe, args=(upstream, connection), daemon=True)
                back.start()
                _pipe(connection, upstream)
                back.join(timeout=5)


def _pipe(source: Any, sink: Any) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        return


def venv_with_wheel(root: Path, wheel: Path, dependencies: Path | str) -> tuple[Path, str]:
    """A fresh venv at ``root`` holding only the wheel, its dependencies found in the
    directory ``dependencies`` (a plain path entry, not a site dir, so no editable
    install's hook runs); (its python, its site-packages)."""
    import subprocess
    import venv
    import zipfile

    venv.create(root, with_pip=False)
    python = root / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    zipfile.ZipFile(wheel).extractall(site)
    (Path(site) / "deps.pth").write_text(f"{dependencies}\n", encoding="utf-8")
    return python, site


Rewrite = Any  # Callable[[str, dict[str, Any]], dict[str, Any]]: (operation, answer) -> answer


class RewritingService:
    """The mock behind a proxy on 127.0.0.1 that rewrites its JSON answers: a service
    that answers in the spec's shape with hostile values (the key echoed back, an id no
    URL can hold, a link that is not http(s)).

    ``rewrite(operation, answer)`` gets each 2xx JSON answer of ``createVideoGeneration``
    and ``getVideoTask`` and returns the one to send. Task ids it changes are mapped back
    on the way in, so polling a rewritten id reaches the mock's task; videos pass as they are.
    """

    def __init__(self, upstream: str, rewrite: Rewrite) -> None:
        import http.server

        import httpx

        self.rewrite = rewrite
        self.text: Any = lambda text: text  # the answer's JSON text, as sent
        self.echo_header: str | None = None  # a header that echoes the Authorization
        self._ids: dict[str, str] = {}  # rewritten id -> the mock's
        self._upstream = httpx.Client(base_url=upstream, timeout=30)
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                service._forward(self, "GET")

            def do_POST(self) -> None:
                service._forward(self, "POST")

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _forward(self, handler: Any, method: str) -> None:
        from urllib.parse import quote, unquote

        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        path = handler.path
        if path.startswith("/v1/videos/tasks/"):
            asked = unquote(path.rsplit("/", 1)[1])
            path = "/v1/videos/tasks/" + quote(self._ids.get(asked, asked), safe="")
        headers = {
            name: value
            for name, value in handler.headers.items()
            if name.lower() in ("authorization", "content-type")
        }
        answer = self._upstream.request(method, path, content=body, headers=headers)
        content = answer.content
        operation = (
            "createVideoGeneration"
            if path == "/v1/videos/generations"
            else "getVideoTask"
            if path.startswith("/v1/videos/tasks/")
            else None
        )
        if operation and answer.is_success:
            original = json.loads(content)
            rewritten = self.rewrite(operation, json.loads(content))
            if isinstance(rewritten, dict) and rewritten.get("id") != original.get("id"):
                self._ids[str(rewritten.get("id"))] = original["id"]
            content = self.text(json.dumps(rewritten)).encode()
        handler.send_response(answer.status_code)
        handler.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
        if self.echo_header:
            given = (v for k, v in headers.items() if k.lower() == "authorization")
            handler.send_header(self.echo_header, next(given, ""))
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._upstream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def tool_result(called: Any) -> dict[str, Any]:
    """An MCP tool call's structured result; the call must have succeeded."""
    assert not called.is_error, called.content
    content: dict[str, Any] = called.structured_content
    return content


def tool_error(called: Any) -> str:
    """An MCP tool call's error text; the call must have failed."""
    assert called.is_error, called.structured_content
    return " ".join(part.text for part in called.content)
