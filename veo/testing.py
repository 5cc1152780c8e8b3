"""Test helpers: the ``veo_mock`` pytest fixture, and ``MockServer`` re-exported.

::

    from veo import Veo
    from veo.testing import MockServer

    with MockServer() as server:
        client = Veo(api_key=server.api_key, base_url=server.url)
        result = client.generate("a cat", dest=tmp_path)
        assert server.state.tasks_created == 1

With pytest, the ``veo_mock`` fixture (registered through the ``pytest11`` entry point
when this package is installed with its ``mock`` extra) yields a running
``MockServer`` whose state and faults are reset for each test.

``MockServer`` lives in ``veo.mock``; it is imported on first use, so that pytest can
load this plugin in an environment without the ``mock`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veo.mock import MockServer

__all__ = ["MockServer", "veo_mock"]


def __getattr__(name: str) -> Any:
    if name == "MockServer":
        from veo.mock import MockServer

        return MockServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    import pytest
except ImportError:  # pragma: no cover - only the fixture needs pytest
    pass
else:

    @pytest.fixture(scope="session")
    def _veo_mock_server() -> Iterator[MockServer]:
        from veo.mock import MockServer

        with MockServer() as server:
            yield server

    @pytest.fixture
    def veo_mock(_veo_mock_server: MockServer) -> MockServer:
        """A running mock server (session-wide), reset before each test."""
        _veo_mock_server.reset()
        return _veo_mock_server
