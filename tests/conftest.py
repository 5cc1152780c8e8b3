"""The suite uses the same plugin users get through the ``pytest11`` entry point.

``make_client`` is the one way tests build a client: every test that takes it runs
twice, on ``Veo`` and on ``AsyncVeo`` (driven through ``SyncView``). Each test folder
says where the clients go with a ``client_options`` fixture.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import veo

from .helpers import SyncView

pytest_plugins = ["veo.testing"]


@pytest.fixture(scope="session", autouse=True)
def veo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The task ledger of every ``veo`` command the tests run, never the user's own
    (``VEO_HOME``, inherited by the processes the tests start)."""
    home = tmp_path_factory.mktemp("veo-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VEO_HOME", str(home))
        yield home


ClientOptions = Callable[[str], dict[str, Any]]
"""Given ``"sync"`` or ``"async"``, the options a folder's clients are built with."""


@pytest.fixture(params=["sync", "async"])
def make_client(
    request: pytest.FixtureRequest, client_options: ClientOptions
) -> Iterator[Callable[..., Any]]:
    """Build a client of either kind (``sync``/``async`` in test ids); closed after."""
    runner = asyncio.Runner()
    built: list[Any] = []

    def make(**options: Any) -> Any:
        options = {**client_options(request.param), **options}
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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout (once a session)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built
