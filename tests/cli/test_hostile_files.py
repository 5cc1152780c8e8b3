"""Files handed to ``veo``, attacked: recordings (``veo mock --replay``) and baselines
(``veo check --baseline``) of the wrong shape, huge, deep, a FIFO, ``/dev/zero``; and
what ``--record`` writes over a symbolic link. Each is refused in one line naming the
file and the field, exit 2, within seconds (real processes).

Caught in the code before: tracebacks and exit 1 for wrong-typed fields, a
RecursionError for deep nesting, a hang on a FIFO, memory exhausted by /dev/zero, a
replayed poll answering 500, and ``--record`` writing through a link."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from veo._recording import FORMAT, VERSION
from veo.check._baseline import BASELINE_FORMAT, BASELINE_VERSION
from veo.testing import MockServer

from .conftest import Run

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero")


def exchange(**fields: Any) -> dict[str, Any]:
    base = {"label": "poll", "operation": "getVideoTask", "method": "GET", "path": "/x"}
    return {**base, "status": 200, "body": {}, **fields}


def recording(*exchanges: Any) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "exchanges": list(exchanges)}


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


HOSTILE_RECORDINGS = {
    "exchanges-a-number": (json.dumps({**recording(), "exchanges": 5}), "exchanges: must be array"),
    "exchange-null": (json.dumps(recording(None)), "exchanges[0]: must be object"),
    "status-a-string": (json.dumps(recording(exchange(status="200"))), "exchanges[0].status"),
    "request-a-list": (json.dumps(recording(exchange(request=[]))), "exchanges[0].request"),
    "no-operation": (
        json.dumps(recording({"label": "x", "method": "GET", "path": "/", "status": 200})),
        "'operation' is required",
    ),
    "100k-deep": (
        json.dumps(recording(exchange(body="BODY"))).replace('"BODY"', deep(100_000)),
        "levels deep; at most 64 are read",
    ),
    "900-deep-body": (
        json.dumps(recording(exchange(body="BODY"))).replace('"BODY"', deep(900)),
        "levels deep",
    ),
    "not-utf8": ("\udcff", "not UTF-8"),
}


def write_hostile(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def replay(run_veo: Run, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_veo("mock", "--port", "0", "--replay", str(source), *extra, timeout=30)


def refused_in_one_line(result: subprocess.CompletedProcess[str], *said: str) -> None:
    assert 2 == result.returncode, result.stderr
    assert "Traceback" not in result.stderr
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    for words in said:
        assert words in result.stderr


@pytest.mark.parametrize("case", list(HOSTILE_RECORDINGS))
def test_a_hostile_recording_is_refused_naming_file_and_field(
    run_veo: Run, tmp_path: Path, case: str
) -> None:
    text, field = HOSTILE_RECORDINGS[case]
    write_hostile(tmp_path / "recording.json", text)

    result = replay(run_veo, tmp_path, "--allow-drift")

    refused_in_one_line(result, str(tmp_path / "recording.json"), field)


def not_a_regular_file(path: Path, kind: str) -> Path:
    """``path`` made a FIFO nobody writes (reading it would wait forever), a link to
    ``/dev/zero`` (reading it all takes every byte of memory), or a directory."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    return path


@POSIX
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_a_recording_that_is_not_a_regular_file_is_refused_at_once(
    run_veo: Run, tmp_path: Path, kind: str
) -> None:
    target = not_a_regular_file(tmp_path / "recording.json", kind)

    result = replay(run_veo, tmp_path)

    refused_in_one_line(result, str(target), "not a regular file")


def test_a_recording_over_the_size_limit_is_refused_before_it_is_read(
    run_veo: Run, tmp_path: Path
) -> None:
    with (tmp_path / "recording.json").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: no disk spent

    result = replay(run_veo, tmp_path)

    refused_in_one_line(result, "67108864 bytes; files of at most 33554432 bytes are read")


def test_a_deep_body_within_the_limit_is_replayed_never_a_500(tmp_path: Path) -> None:
    body = {"id": "task-x", "state": "running", "progress": 5, "extra": json.loads(deep(50))}
    document = recording(exchange(body=body, task_id="task-x", since_create=0.0))
    (tmp_path / "recording.json").write_text(json.dumps(document), encoding="utf-8")

    with MockServer(replay=tmp_path, allow_drift=True) as server:
        headers = {"Authorization": server.api_key}
        created = httpx.post(
            f"{server.url}/v1/videos/generations",
            json={"prompt": "a cat", "model": "veo3.1-fast"},
            headers=headers,
        )
        polled = httpx.get(f"{server.url}/v1/videos/tasks/{created.json()['id']}", headers=headers)

    assert 200 == polled.status_code, polled.text
    assert json.loads(deep(50)) == polled.json()["extra"]


HOSTILE_BASELINES = {
    "shape-a-number": (
        {"shapes": {"getVideoTask 404": 5}},
        "shapes.getVideoTask 404: must be object",
    ),
    "shapes-a-list": ({"shapes": []}, "shapes: must be object, got array"),
    "types-not-strings": ({"shapes": {"x 200": {"field id": [1]}}}, "must be string, got number"),
    "no-shapes": ({}, "'shapes' is required"),
}


@pytest.mark.parametrize("case", list(HOSTILE_BASELINES))
def test_a_hostile_baseline_is_refused_naming_file_and_field(
    run_veo: Run, tmp_path: Path, veo_mock: MockServer, case: str
) -> None:
    content, field = HOSTILE_BASELINES[case]
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps({"format": BASELINE_FORMAT, "version": BASELINE_VERSION, **content}),
        encoding="utf-8",
    )

    result = run_veo("check", "--baseline", str(baseline))

    refused_in_one_line(result, str(baseline), field)
    assert [] == veo_mock.state.log  # refused before anything was sent


@POSIX
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "deep"])
def test_a_baseline_that_is_not_a_small_regular_file_is_refused_at_once(
    run_veo: Run, tmp_path: Path, kind: str
) -> None:
    baseline = tmp_path / "baseline.json"
    if kind == "deep":
        baseline.write_text(deep(100_000), encoding="utf-8")
    else:
        not_a_regular_file(baseline, kind)

    result = run_veo("check", "--baseline", str(baseline), timeout=30)

    refused_in_one_line(result, str(baseline))


@POSIX
def test_record_replaces_a_link_at_its_file_and_leaves_the_links_target_alone(
    run_veo: Run, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("do not overwrite me\n", encoding="utf-8")
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "recording.json").symlink_to(precious)

    result = run_veo("generate", "a cat", "--record", "rec")

    assert 0 == result.returncode, result.stderr
    assert "do not overwrite me\n" == precious.read_text(encoding="utf-8")
    written = tmp_path / "rec" / "recording.json"
    assert not written.is_symlink()
    assert FORMAT == json.loads(written.read_text(encoding="utf-8"))["format"]
    assert ["recording.json"] == sorted(p.name for p in (tmp_path / "rec").iterdir())
