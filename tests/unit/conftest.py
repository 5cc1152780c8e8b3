"""In-process fakes: a scripted service on httpx.MockTransport and a fake clock, which
the unit tests' clients (``make_client``, in tests/conftest.py) are built on."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

import veo

from ..conftest import ClientOptions

API_KEY = "sk-test-0123456789abcdef"
BASE_URL = "https://api.test"
VIDEO_URL = "https://cdn.test/videos/task-1.mp4"
# A well-formed MP4 box table: ftyp (24 bytes), then mdat holding 1 KiB.
VIDEO = (
    b"\x00\x00\x00\x18ftypmp42"
    + bytes(12)
    + (8 + 1024).to_bytes(4, "big")
    + b"mdat"
    + bytes(range(256)) * 4
)

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def task_json(state: str = "succeeded", progress: int = 100, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "task-1", "state": state, "progress": progress}
    if state == "succeeded":
        body["data"] = {"videos": [{"url": VIDEO_URL}]}
    body.update(extra)
    return body


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends ``head`` and then fails like a dropped connection."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        raise httpx.ReadError("connection reset by peer")


class LazyStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that is only read when the client reads it, as over a real socket, in
    pieces of ``chunk`` bytes (default: all at once)."""

    def __init__(self, body: bytes, chunk: int | None = None) -> None:
        self.body = body
        self.chunk = chunk or max(len(body), 1)

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), self.chunk):
            yield self.body[start : start + self.chunk]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self:
            yield piece


class FakeService:
    """Routes requests to scripted replies; records every request.

    Each route ("create", "get", "video") has a queue of replies; when it is empty the
    default reply is used (a created task, a succeeded task, the video bytes).
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.queues: dict[str, deque[Reply]] = defaultdict(deque)

    def script(self, route: str, *replies: Reply) -> None:
        self.queues[route].extend(replies)

    def count(self, route: str) -> int:
        return sum(1 for request in self.requests if self.route(request) == route)

    def sent(self, route: str) -> list[httpx.Request]:
        return [request for request in self.requests if self.route(request) == route]

    @staticmethod
    def route(request: httpx.Request) -> str:
        if request.url.host == "cdn.test":
            return "video"
        if request.method == "POST" and request.url.path == "/v1/videos/generations":
            return "create"
        if request.method == "GET" and request.url.path.startswith("/v1/videos/tasks/"):
            return "get"
        return "other"

    def default(self, route: str) -> httpx.Response:
        if route == "create":
            return httpx.Response(200, json={"id": "task-1"})
        if route == "get":
            return httpx.Response(200, json=task_json())
        if route == "video":
            return httpx.Response(200, content=VIDEO, headers={"Content-Type": "video/mp4"})
        return httpx.Response(404, json={"message": "no such route"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        route = self.route(request)
        reply: Reply = self.queues[route].popleft() if self.queues[route] else self.default(route)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            if isinstance(reply.stream, BrokenStream | LazyStream):
                return reply
            # httpx binds a response's stream to the client that received it; hand out
            # a fresh copy so one scripted reply can serve several requests and tests.
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return reply(request)

    def body(self, request: httpx.Request) -> Any:
        return json.loads(request.content)


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client_options(service: FakeService, clock: FakeClock) -> ClientOptions:
    """Clients on the fake service and the virtual clock: no socket, no real sleep."""

    def options(kind: str) -> dict[str, Any]:
        transport = httpx.MockTransport(service)
        http_client: Any = (
            httpx.Client(transport=transport)
            if kind == "sync"
            else httpx.AsyncClient(transport=transport)
        )
        return {
            "api_key": API_KEY,
            "base_url": BASE_URL,
            "clock": clock,
            "retry": veo.RetryPolicy(jitter=False),
            "http_client": http_client,
            "sleep": clock.sleep if kind == "sync" else clock.asleep,
        }

    return options
