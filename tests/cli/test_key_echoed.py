"""A service that echoes the key back in every field of a 2xx answer (the task id, the
video link, ``action``, ``message``, a header), in each form JSON allows: the key
appears in nothing the command or the library shows or stores (stdout, stderr,
``--json``, ``-vv``, the ledger, the journal, file names, log records of the user's own
logging, error messages), and the video is still downloaded (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veo.mock import Lifecycle
from veo.testing import MockServer

from ..helpers import RewritingService, is_playable_mp4
from .conftest import Run, only_json

KEY = "sk-echoed-5f2c9a7e1b3d4c6f8a0e2b4d"
PIECES = (KEY, KEY[3:19], KEY[12:], KEY.upper(), KEY.encode().hex())


def echo_the_key(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    answer = {**answer, "id": f"{KEY}-{answer['id']}"}
    if operation == "getVideoTask":
        answer["action"] = f"generate for {KEY}"
        answer["message"] = f"key {KEY} accepted"
        for video in answer.get("data", {}).get("videos", []):
            video["url"] += f"?sig={KEY}"
    return answer


FORMS = {
    "plain": lambda text: text,
    "slash-escaped": lambda text: text.replace("/", "\\/"),
    "u-escaped": lambda text: text.replace(KEY, "".join(f"\\u{ord(c):04x}" for c in KEY)),
}


@pytest.fixture
def echoing(
    veo_mock: MockServer,
    veo_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RewritingService]:
    monkeypatch.setattr(veo_mock.state, "api_keys", frozenset({KEY}))
    with RewritingService(veo_mock.url, echo_the_key) as service:
        service.echo_header = "X-Echo"
        veo_env.update(DUOMI_BASE_URL=service.url, DUOMI_API_KEY=KEY, VEO_HOME="home")
        yield service


def shows_no_key(*texts: str) -> None:
    for text in texts:
        assert [] == [piece for piece in PIECES if piece in text], text[:2000]


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_no_output_of_a_run_shows_the_echoed_key(
    run_veo: Run, veo_mock: MockServer, echoing: RewritingService, tmp_path: Path
) -> None:
    generated = run_veo("-vv", "generate", "a cat", "--out", "videos/", "--json")
    assert 0 == generated.returncode, generated.stderr
    (task_id,) = veo_mock.state.tasks
    texted = run_veo("generate", "a dog", "--out", "videos/")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a bird", "name": "bird"}) + "\n", encoding="utf-8")
    batched = run_veo("batch", str(jobs), "--out", "batch", "--json")
    shown = [
        run_veo("status", task_id),
        run_veo("status", task_id, "--json"),
        run_veo("wait", task_id, "--json"),
        run_veo("tasks", "--json"),
        run_veo("download", task_id, "--out", "again/"),
    ]

    for result in (generated, texted, batched, *shown):
        assert 0 == result.returncode, result.stderr
        shows_no_key(result.stdout, result.stderr)
    document = only_json(generated.stdout)
    assert document["id"].endswith(task_id)  # the id, the key in it redacted
    saved = [path for path in files_under(tmp_path) if path.suffix == ".mp4"]
    assert 4 == len(saved)  # every video downloaded through its link, key and all
    assert all(is_playable_mp4(path.read_bytes()) for path in saved)
    for path in files_under(tmp_path):  # names, the ledger, the journal, the videos
        shows_no_key(str(path.relative_to(tmp_path)))
        if path.suffix != ".mp4" and path.name != "jobs.jsonl":
            shows_no_key(path.read_bytes().decode("utf-8", errors="replace"))


@pytest.mark.parametrize("form", list(FORMS))
def test_the_key_echoed_in_each_form_json_allows_is_shown_in_none(
    run_veo: Run, echoing: RewritingService, tmp_path: Path, form: str
) -> None:
    # Every output above, for the plain form; each form here through one run that
    # reads, prints, stores and names a file after the answers (-vv: the log lines too).
    echoing.text = FORMS[form]

    result = run_veo("-vv", "generate", "a cat", "--out", "videos/", "--json")

    assert 0 == result.returncode, result.stderr
    shows_no_key(result.stdout, result.stderr)
    for path in files_under(tmp_path):
        shows_no_key(str(path.relative_to(tmp_path)))
        if path.suffix != ".mp4":
            shows_no_key(path.read_bytes().decode("utf-8", errors="replace"))


USERS_PROGRAM = """
import logging, sys
import veo
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
with veo.Veo() as client:
    result = client.generate("a cat", dest="videos/")
    print("saved", result.path.name)
    slow = client.create("a slow cat")
    try:
        client.wait(slow, timeout=0.5)
    except veo.WaitTimeoutError as exc:
        print("timed out:", exc, exc.task_id)
"""


def test_the_users_own_logging_at_debug_shows_no_echoed_key(
    veo_env: dict[str, str], veo_mock: MockServer, echoing: RewritingService, tmp_path: Path
) -> None:
    # A user's program with the root logger at DEBUG: httpcore's lines show the answer's
    # headers (X-Echo), httpx's the video link; veo's own the task ids.
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)

    created: list[str] = []

    def slow_second(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        if operation == "createVideoGeneration":
            created.append(answer["id"])
        slow = operation == "getVideoTask" and created.index(answer["id"]) == 1
        answer = echo_the_key(operation, answer)
        if slow:
            answer.update(state="running", progress=5)
            answer.pop("data", None)
        return answer

    echoing.rewrite = slow_second
    result = subprocess.run(
        [sys.executable, "-c", USERS_PROGRAM],
        env=veo_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert 0 == result.returncode, result.stderr
    assert "httpcore.http11" in result.stderr  # the DEBUG lines are there
    assert "HTTP Request: GET" in result.stderr
    assert "timed out: task ***" in result.stdout
    shows_no_key(result.stdout, result.stderr)
