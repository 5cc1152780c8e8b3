"""``MockServer``: the mock on loopback in a background thread, for tests and ``veo mock``."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Self

from veo.mock._app import MockApp, create_app
from veo.mock._faults import FaultPlan
from veo.mock._state import DEFAULT_API_KEY, Lifecycle, MockState

__all__ = ["MockServer"]


class MockServer:
    """The mock on ``127.0.0.1`` in a background thread, with a free port.

    Args:
        api_key: the key the mock accepts (default ``"mock-key"``).
        lifecycle: how fast tasks progress (see ``veo.mock.Lifecycle``).
        seed: seed for probabilistic faults.
        port: 0 picks a free port.

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
    ) -> None:
        self.api_key = api_key or DEFAULT_API_KEY
        self.app: MockApp = create_app(
            api_keys={self.api_key},
            lifecycle=lifecycle,
            seed=seed,
            validate_responses=validate_responses,
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
