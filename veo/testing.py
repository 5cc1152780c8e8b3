"""Test helpers: the ``veo_mock`` pytest fixture, and ``MockServer`` re-exported.

::

    from veo import Veo
    from veo.testing import MockServer

    with MockServer() as server:
        client = Veo(api_key=server.api_key, base_url=server.url)
        result = client.generate("a cat", dest=tmp_path)
        assert server.state.tasks_created == 1

With pytest (fixtures registered through the ``pytest11`` entry point when this
package is installed with its ``mock`` extra):

- ``veo_mock``: a running ``MockServer``, its state and faults reset for each test;
- ``veo_client``: a ``Veo`` bound to it that never really sleeps (``MockServer.client``),
  so a whole ``generate`` takes milliseconds;
- ``veo_async_client``: the same as an ``AsyncVeo`` (``MockServer.async_client``).

::

    def test_a_video(veo_client, veo_mock, tmp_path):
        result = veo_client.generate("a cat", dest=tmp_path)
        assert result.path.exists() and veo_mock.state.tasks_created == 1

``pytest --veo-replay DIR`` (with ``--veo-allow-drift`` for a recording that contradicts
the spec) makes ``veo_mock`` answer in the shapes of a recording of the real service
(``veo check --save DIR``, ``veo generate --record DIR``), on the same virtual clock.

``MockServer`` lives in ``veo.mock``; it is imported on first use, so that pytest can
load this plugin in an environment without the ``mock`` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veo import AsyncVeo, Veo
    from veo.mock import MockServer

__all__ = ["MockServer", "veo_async_client", "veo_client", "veo_mock"]


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

    def pytest_addoption(parser: pytest.Parser) -> None:
        """``--veo-replay DIR``: the fixtures' mock answers in a recording's shapes."""
        group = parser.getgroup("veo", "the veo mock fixtures")
        group.addoption(
            "--veo-replay",
            metavar="DIR",
            default=None,
            help="veo_mock answers in the shapes of this recording (veo check --save, "
            "veo generate --record)",
        )
        group.addoption(
            "--veo-allow-drift",
            action="store_true",
            help="serve a --veo-replay recording that contradicts the spec",
        )

    @pytest.fixture(scope="session")
    def _veo_mock_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
        from veo.mock import MockServer

        replay = request.config.getoption("--veo-replay", default=None)
        allow_drift = bool(request.config.getoption("--veo-allow-drift", default=False))
        with MockServer(replay=replay, allow_drift=allow_drift) as server:
            yield server

    @pytest.fixture
    def veo_mock(_veo_mock_server: MockServer) -> MockServer:
        """A running mock server (session-wide), reset before each test."""
        _veo_mock_server.reset()
        return _veo_mock_server

    @pytest.fixture
    def veo_client(veo_mock: MockServer) -> Iterator[Veo]:
        """A ``Veo`` on ``veo_mock`` whose polls and retries take no real time."""
        with veo_mock.client() as client:
            yield client

    @pytest.fixture
    def veo_async_client(veo_mock: MockServer) -> AsyncVeo:
        """An ``AsyncVeo`` on ``veo_mock`` whose polls and retries take no real time."""
        return veo_mock.async_client()
