"""With every logger at DEBUG (``veo`` through ``VEO_LOG``, httpx's, httpcore's and
aiohttp's own), a whole job over real sockets logs each exchange, never the key."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from veo.testing import MockServer

MakeClient = Callable[..., Any]
KEY = "sk-live-logs-0123456789abcdef"
LOGGERS = ("veo", "httpx", "httpcore", "aiohttp", "httpx_aiohttp")


@pytest.fixture
def everything_at_debug(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.LogCaptureFixture]:
    monkeypatch.setenv("VEO_LOG", "debug")
    veo_logger = logging.getLogger("veo")
    level, handlers = veo_logger.level, list(veo_logger.handlers)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    veo_logger.setLevel(level)
    veo_logger.handlers[:] = handlers


def test_debug_logs_show_each_exchange_and_never_the_key(
    make_client: MakeClient,
    veo_mock: MockServer,
    everything_at_debug: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(veo_mock.state, "api_keys", frozenset({KEY}))

    make_client(api_key=KEY).generate("a cat", dest=tmp_path)

    records = everything_at_debug.records
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in records)
    exchanges = [r.getMessage() for r in records if r.name == "veo" and "HTTP " in r.getMessage()]
    assert KEY not in text
    assert KEY not in capsys.readouterr().err  # what VEO_LOG's own handler printed
    assert "httpx" in {r.name for r in records}  # the libraries' own lines were captured too
    assert exchanges[0].startswith(f"HTTP POST {veo_mock.url}/v1/videos/generations -> 200 OK")
    assert any(f"{veo_mock.url}/v1/videos/tasks/" in line for line in exchanges)
    assert exchanges[-1].startswith(f"HTTP GET {veo_mock.url}/cdn/videos/")
    assert all(" ms" in line and "attempt 1" in line for line in exchanges)
