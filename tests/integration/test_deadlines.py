"""A deadline is a deadline: a server that trickles its answer cannot stretch a call.

Against a real server on 127.0.0.1 that sends one byte every 0.5 s (each read well
inside the read timeout). Caught in the code before the fix: a create with timeout=2
took 41 s, and ``wait(timeout=3)`` returned after 56 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import veo

from ..helpers import TrickleServer

READ_TIMEOUT = 1.0


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    with TrickleServer(interval=0.5, body_size=200) as server:
        yield server


@pytest.fixture
def make_trickled(make_client: Callable[..., Any], trickle: TrickleServer) -> Callable[..., Any]:
    """The suite's sync/async client factory, pointed at the trickling server."""

    def make(**options: Any) -> Any:
        options.update(api_key="sk-7Hq2Zx9LmW4pR8vT", base_url=trickle.url, timeout=READ_TIMEOUT)
        options.setdefault("retry", veo.RetryPolicy(max_retries=0))
        return make_client(**options)

    return make


def elapsed(call: Callable[[], object]) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start


def test_a_trickled_create_stops_at_its_deadline(make_trickled: Callable[..., Any]) -> None:
    client = make_trickled(deadline=2.0)
    caught: list[BaseException] = []

    def create() -> None:
        with pytest.raises(veo.CreateOutcomeUnknownError) as info:
            client.create("a cat")
        caught.append(info.value.cause)

    # The bound the client documents: the deadline plus at most one read timeout.
    assert elapsed(create) < 2.0 + READ_TIMEOUT + 0.5
    assert isinstance(caught[0], veo.APITimeoutError)


def test_a_trickled_get_stops_at_its_deadline(make_trickled: Callable[..., Any]) -> None:
    client = make_trickled(deadline=2.0)

    def get() -> None:
        with pytest.raises(veo.APITimeoutError, match="deadline"):
            client.get("task-1")

    assert elapsed(get) < 2.0 + READ_TIMEOUT + 0.5


def test_wait_returns_within_its_timeout_while_a_poll_trickles(
    make_trickled: Callable[..., Any],
) -> None:
    client = make_trickled()  # the default call deadline (180 s) is far away

    def wait() -> None:
        with pytest.raises(veo.WaitTimeoutError) as info:
            client.wait("task-1", timeout=3)
        assert "task-1" == info.value.task_id

    assert elapsed(wait) < 3 + 1


@pytest.fixture
def trickled_head() -> Iterator[TrickleServer]:
    with TrickleServer(interval=0.5, body_size=200, head=True) as server:
        yield server


CALLS = {
    "create": lambda client: client.create("a cat"),
    "get": lambda client: client.get("task-1"),
    "wait": lambda client: client.wait("task-1", timeout=3),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_call_ends_by_its_deadline_while_the_headers_trickle(
    make_client: Callable[..., Any], trickled_head: TrickleServer, call: str
) -> None:
    """Caught before (sync client): each header byte arrived within the read timeout,
    so ``wait(timeout=3)`` returned after 35 s."""
    client = make_client(
        api_key="sk-7Hq2Zx9LmW4pR8vT",
        base_url=trickled_head.url,
        timeout=READ_TIMEOUT,
        deadline=3.0,
        retry=veo.RetryPolicy(max_retries=0),
    )

    def run() -> None:
        with pytest.raises(
            (veo.APITimeoutError, veo.CreateOutcomeUnknownError, veo.WaitTimeoutError)
        ):
            CALLS[call](client)

    assert elapsed(run) < 3 + 1
    time.sleep(0.6)  # the server's next byte finds the connection closed
    assert trickled_head.connections == trickled_head.closed
