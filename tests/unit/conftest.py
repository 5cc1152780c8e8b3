"""In-process fakes: a scripted service on httpx.MockTransport, a fake clock, and a
fixture that runs every client scenario against both ``Veo`` and ``AsyncVeo``."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

import veo

from ..helpers import SyncView

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
    """A body that is only read when the client reads it, as over a real socket."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body


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


@pytest.fixture(params=["sync", "async"])
def make_client(
    request: pytest.FixtureRequest, service: FakeService, clock: FakeClock
) -> Iterator[Callable[..., Any]]:
    """Build a client of either kind on the fake service; ``kind`` in test ids."""
    runner = asyncio.Runner()
    built: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("api_key", API_KEY)
        options.setdefault("base_url", BASE_URL)
        options.setdefault("clock", clock)
        options.setdefault("retry", veo.RetryPolicy(jitter=False))
        transport = httpx.MockTransport(service)
        if request.param == "sync":
            client: Any = veo.Veo(
                http_client=httpx.Client(transport=transport), sleep=clock.sleep, **options
            )
        else:
            client = SyncView(
                veo.AsyncVeo(
                    http_client=httpx.AsyncClient(transport=transport),
                    sleep=clock.asleep,
                    **options,
                ),
                runner,
            )
        built.append(client)
        return client

    yield make
    for client in built:
        client.close()
    runner.close()
