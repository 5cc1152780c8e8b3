"""``veo -v``/``-vv`` and ``VEO_LOG`` on the command line, and request ids in its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veo.testing import MockServer

from ..helpers import HangUpServer
from .conftest import Run

KEY = "sk-cli-logs-0123456789abcdef"


@pytest.mark.parametrize(
    ("switch", "env"), [(["-vv"], {}), ([], {"VEO_LOG": "debug"})], ids=["-vv", "VEO_LOG"]
)
def test_debug_logging_shows_every_exchange_on_stderr_and_never_the_key(
    run_veo: Run,
    veo_env: dict[str, str],
    veo_mock: MockServer,
    monkeypatch: pytest.MonkeyPatch,
    switch: list[str],
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(veo_mock.state, "api_keys", frozenset({KEY}))

    result = run_veo(*switch, "generate", "a cat", env={**veo_env, **env, "DUOMI_API_KEY": KEY})

    assert 0 == result.returncode, result.stderr
    lines = [line for line in result.stderr.splitlines() if " DEBUG veo] HTTP " in line]
    assert "POST" in lines[0]
    assert "/v1/videos/generations -> 200 OK (attempt 1, " in lines[0]
    assert any("/cdn/videos/" in line for line in lines)
    assert KEY not in result.stderr + result.stdout
    assert Path(result.stdout.strip()).exists()  # stdout still holds the path alone


def test_verbose_once_logs_the_task_steps_not_each_exchange(run_veo: Run) -> None:
    result = run_veo("-v", "generate", "a cat")

    assert 0 == result.returncode, result.stderr
    assert " INFO veo] created task " in result.stderr
    assert " DEBUG " not in result.stderr


def test_an_error_answer_with_a_request_id_prints_it(run_veo: Run, veo_env: dict[str, str]) -> None:
    body = b'{"message": "no such task"}'
    answer = (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nX-Request-Id: req-cli-1\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with HangUpServer(answer=answer) as server:
        plain = run_veo("status", "task-1", env={**veo_env, "DUOMI_BASE_URL": server.url})
        as_json = run_veo(
            "status", "task-1", "--json", env={**veo_env, "DUOMI_BASE_URL": server.url}
        )

    assert 3 == plain.returncode
    assert "(request id req-cli-1)" in plain.stderr
    assert "req-cli-1" == json.loads(as_json.stdout)["error"]["request_id"]
