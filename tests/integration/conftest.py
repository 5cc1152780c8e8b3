"""The facade against a live mock server on 127.0.0.1, sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import veo
from veo.testing import MockServer

from ..helpers import SyncView

# Fast, but real: the mock advances one step per poll, so short sleeps suffice.
FAST_POLLS = veo.PollSchedule(initial=0.01, factor=1.0, max_delay=0.01, late_max_delay=0.01)
FAST_RETRIES = veo.RetryPolicy(initial_delay=0.01, max_delay=0.05, max_retry_after=2.0)


@pytest.fixture(params=["sync", "async"])
def make_client(
    request: pytest.FixtureRequest, veo_mock: MockServer
) -> Iterator[Callable[..., Any]]:
    """Build a ``Veo`` or ``AsyncVeo`` (driven through SyncView) for the live mock."""
    runner = asyncio.Runner()
    built: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("api_key", veo_mock.api_key)
        options.setdefault("base_url", veo_mock.url)
        options.setdefault("poll_schedule", FAST_POLLS)
        options.setdefault("retry", FAST_RETRIES)
        options.setdefault("timeout", 5.0)
        if request.param == "sync":
            client: Any = veo.Veo(**options)
        else:
            client = SyncView(veo.AsyncVeo(**options), runner)
        built.append(client)
        return client

    yield make
    for client in built:
        client.close()
    runner.close()
