"""The facade against a live mock server on 127.0.0.1, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

import veo
from veo.testing import MockServer

from ..conftest import ClientOptions

# Fast, but real: the mock advances one step per poll, so short sleeps suffice.
FAST_POLLS = veo.PollSchedule(initial=0.01, factor=1.0, max_delay=0.01, late_max_delay=0.01)
FAST_RETRIES = veo.RetryPolicy(initial_delay=0.01, max_delay=0.05, max_retry_after=2.0)


@pytest.fixture
def client_options(veo_mock: MockServer) -> ClientOptions:
    """Clients for the live mock, with short real sleeps."""

    def options(kind: str) -> dict[str, Any]:
        return {
            "api_key": veo_mock.api_key,
            "base_url": veo_mock.url,
            "poll_schedule": FAST_POLLS,
            "retry": FAST_RETRIES,
            "timeout": 5.0,
        }

    return options
