"""``MockServer``: the mock on loopback in a background thread, for tests and ``veo mock``."""

from __future__ import annotations

import asyncio
import contextvars
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from veo.mock._app import MockApp, create_app
from veo.mock._faults import FaultPlan
from veo.mock._state import DEFAULT_API_KEY, Lifecycle, MockState

if TYPE_CHECKING:
    from veo import AsyncVeo, Veo

__all__ = ["MockServer", "VirtualClock"]


class VirtualClock:
    """Time that passes only when someone sleeps on it: a poll or a backoff is instant.

    ``clock()`` reads it; ``sleep(s)`` and ``await asleep(s)`` move it forward by ``s``.
    Each caller (a thread, an asyncio task) keeps its own time: its sleeps move its own
    reading, and never another caller's, so concurrent calls on one client each see
    their deadlines as if alone. ``latest()`` is the furthest any caller has got, the
    time the mock's task lifecycle follows.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._latest = start
        self._lock = threading.Lock()
        self._mine: contextvars.ContextVar[float] = contextvars.ContextVar(
            f"veo_virtual_clock_{id(self)}"
        )

    def __call__(self) -> float:
        with self._lock:
            return self._own()

    def _own(self) -> float:
        # A caller's time starts where the clock stands when it first looks.
        now = self._mine.get(None)
        if now is None:
            now = self._latest
            self._mine.set(now)
        return now

    def latest(self) -> float:
        """The furthest time any caller has reached."""
        return self._latest

    def sleep(self, seconds: float) -> None:
        """Advance this caller's time by ``seconds`` at once."""
        with self._lock:
            now = self._own() + max(0.0, seconds)
            self._mine.set(now)
            self._latest = max(self._latest, now)

    async def asleep(self, seconds: float) -> None:
        """Advance by ``seconds`` and let other tasks run."""
        self.sleep(seconds)
        await asyncio.sleep(0)


class MockServer:
    """The mock on ``127.0.0.1`` in a background thread, with a free port.

    Args:
        api_key: the key the mock accepts (default ``"mock-key"``).
        lifecycle: how fast tasks progress (see ``veo.mock.Lifecycle``).
        seed: seed for probabilistic faults.
        port: 0 picks a free port.
        replay: a recording to answer with (see ``veo.mock.create_app``).
        allow_drift: serve a recording that contradicts the spec.
        speed: how much faster than recorded a replayed task moves.

    Attributes:
        url: the base URL, e.g. ``http://127.0.0.1:54321``.
        api_key: the key to use.
        app: the ``veo.mock.MockApp``; ``state`` and ``faults`` are shortcuts.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        lifecycle: Lifecycle | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        validate_responses: bool = True,
        replay: str | Path | None = None,
        allow_drift: bool = False,
        speed: float = 1.0,
        fetch_images: bool = False,
    ) -> None:
        self.api_key = api_key or DEFAULT_API_KEY
        self.app: MockApp = create_app(
            api_keys={self.api_key},
            lifecycle=lifecycle,
            seed=seed,
            validate_responses=validate_responses,
            replay=replay,
            allow_drift=allow_drift,
            speed=speed,
            fetch_images=fetch_images,
        )
        self._host = host
        self._port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def state(self) -> MockState:
        """Tasks, request log and counters."""
        return self.app.state

    @property
    def faults(self) -> FaultPlan:
        """The programmatic fault plan."""
        return self.app.faults

    def start(self) -> Self:
        """Start serving; return once the socket accepts connections."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        host, port = sock.getsockname()[:2]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="veo-mock"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.01)
        self.url = f"http://{host}:{port}"
        return self

    def client(self, **options: Any) -> Veo:
        """A ``Veo`` bound to this server that never really sleeps.

        Its pauses (``wait``'s polls, retry backoff) advance a ``VirtualClock`` instead
        of the wall clock, and the mock's lifecycle runs on that clock too, so a whole
        ``generate`` takes milliseconds whatever the poll schedule. ``options`` go to
        ``Veo`` (``bearer=True``, ``retry=...``); close it, or use it in a ``with``.
        """
        from veo import Veo

        clock = self._virtual_clock()
        return Veo(**self._options(options), sleep=clock.sleep, clock=clock)

    def async_client(self, **options: Any) -> AsyncVeo:
        """An ``AsyncVeo`` bound to this server that never really sleeps (see ``client``).

        It keeps no idle connections, so it needs no closing and works in any event loop.
        """
        import httpx

        from veo import AsyncVeo

        clock = self._virtual_clock()
        http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        return AsyncVeo(**self._options(options), sleep=clock.asleep, clock=clock, http_client=http)

    def _virtual_clock(self) -> VirtualClock:
        clock = VirtualClock(self.state.clock())
        self.state.clock = clock.latest
        return clock

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        if not self.url:
            raise RuntimeError("start the mock server before asking for a client")
        return {"api_key": self.api_key, "base_url": self.url, **options}

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops or ``timeout`` passes; True if it is still running."""
        if self._thread is None:
            return False
        self._thread.join(timeout)
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def reset(self) -> None:
        """Forget tasks, logged requests and faults."""
        self.state.reset()
        self.faults.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
