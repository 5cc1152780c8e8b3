"""After a paid create, every answer the service gives, however hostile, ends in a
message that says the task was paid for and a recovery that works as printed. The
service here is the mock behind a proxy that rewrites its answers (real processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veo.testing import MockServer

from ..helpers import RewritingService
from .conftest import Run, only_json
from .test_interrupts import run_hint


@pytest.fixture
def rewriting(veo_mock: MockServer, veo_env: dict[str, str]) -> Iterator[RewritingService]:
    with RewritingService(veo_mock.url, lambda operation, answer: answer) as service:
        veo_env["DUOMI_BASE_URL"] = service.url
        yield service


@pytest.mark.parametrize("task_id", [".", ".."])
def test_a_created_id_no_url_can_hold_says_the_task_may_be_paid_not_nothing_was_sent(
    run_veo: Run, veo_mock: MockServer, rewriting: RewritingService, task_id: str
) -> None:
    # Caught: exit 2 "nothing was sent", and a recovery (veo download ..) that is refused.
    rewriting.rewrite = lambda operation, answer: {**answer, "id": task_id}

    result = run_veo("generate", "a cat", "--out", "videos/", "--json")

    assert 6 == result.returncode, result.stderr
    assert 1 == veo_mock.state.tasks_created
    assert "nothing was sent" not in result.stderr
    assert f"{task_id!r}" in result.stderr
    assert "check your tasks" in result.stderr
    document = only_json(result.stdout)
    assert "CreateOutcomeUnknownError" == document["error"]["type"]
    assert "recover" not in document["error"]  # no veo command can reach it


def test_a_video_link_that_is_not_http_gives_a_recovery_that_works_as_printed(
    run_veo: Run,
    veo_env: dict[str, str],
    veo_mock: MockServer,
    rewriting: RewritingService,
    tmp_path: Path,
) -> None:
    link = "ftp://cdn.example/video.mp4"

    def ftp_link(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "getVideoTask" and "data" in answer:
            answer["data"]["videos"][0]["url"] = link
        return answer

    rewriting.rewrite = ftp_link

    result = run_veo("generate", "a cat", "--out", "videos/", "--json")

    (task_id,) = veo_mock.state.tasks
    assert 4 == result.returncode, result.stderr
    assert "nothing was sent" not in result.stderr
    assert "paid for" in result.stderr
    document = only_json(result.stdout)
    assert "UnusableVideoLinkError" == document["error"]["type"]
    assert task_id == document["error"]["task_id"]
    recovered = run_hint(document["error"]["recover"], veo_env, tmp_path)
    assert 0 == recovered.returncode, recovered.stderr
    assert link in recovered.stdout
    assert not (tmp_path / "videos").exists() or [] == list((tmp_path / "videos").iterdir())
