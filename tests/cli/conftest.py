"""The ``veo`` command, run as a real process against the live mock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from veo.mock import Lifecycle
from veo.testing import MockServer

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def veo_env(veo_mock: MockServer) -> dict[str, str]:
    """Environment pointing the command at the mock; tasks finish at the first poll."""
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUOMI_")}
    env.update({"DUOMI_BASE_URL": veo_mock.url, "DUOMI_API_KEY": veo_mock.api_key})
    return env


@pytest.fixture
def run_veo(veo_env: dict[str, str], tmp_path: Path) -> Run:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
        return subprocess.run(
            [sys.executable, "-m", "veo", *args],
            capture_output=True,
            text=True,
            env=env if env is not None else veo_env,
            cwd=tmp_path,
            timeout=timeout,
            stdin=subprocess.DEVNULL,  # never a terminal: nothing can be confirmed by hand
        )

    return run


def only_json(stdout: str) -> Any:
    """stdout must hold exactly one JSON document."""
    return json.loads(stdout)
