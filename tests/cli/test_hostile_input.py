"""The command with hostile input: keys, server text and batch files.

Caught in the code before the fix: a two-line key file leaked both keys and exited 6;
escape sequences from the server reached the terminal raw; a binary batch file and a
deeply nested line exited 1 with a traceback; a UTF-8 BOM was rejected.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veo.testing import MockServer

from .conftest import Run, only_json

SECRET, OLD = "sk-SECRET-1234567", "sk-OLDKEY-7654321"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_key_file_with_two_keys_is_refused_without_showing_either(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path, as_json: bool
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"{SECRET}\n{OLD}\n", encoding="utf-8")
    flags = ["--json"] if as_json else []

    result = run_veo("status", "task-1", "--api-key-file", str(key_file), *flags)

    shown = result.stdout + result.stderr
    assert 2 == result.returncode
    assert "2 non-empty lines" in shown
    assert [] == [part for part in ("SECRET-1", "OLDKEY-7", "1234567", "7654321") if part in shown]
    assert [] == veo_mock.state.log


@pytest.mark.parametrize("task_id", ["\x1b[2J\x1b[31mowned", "bell\x07\x9b31m"])
def test_server_text_cannot_drive_the_terminal(run_veo: Run, task_id: str) -> None:
    result = run_veo("status", task_id)  # the 404's message repeats the id

    assert 3 == result.returncode
    assert not any(char in result.stderr for char in "\x1b\x07\x9b")
    assert "\\x1b" in result.stderr or "\\x07" in result.stderr  # shown, not obeyed


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"prompt": "a"}\n\x00\x01\x02\xff binary\n', "line 2: not UTF-8 text"),
        (b'{"prompt": "a"}\n{"prompt": "\x00"}\n', "line 2: binary content"),
        (b'{"prompt": "a"}\n' + b"[" * 100_000 + b"]" * 100_000 + b"\n", "line 2: not usable"),
    ],
    ids=["invalid-utf8", "nul", "deeply-nested"],
)
def test_bad_batch_files_are_reported_per_line_with_exit_2(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path, content: bytes, expected: str
) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_bytes(content)

    result = run_veo("batch", str(jobs), "--json")

    assert 2 == result.returncode
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert [2] == [p["line"] for p in only_json(result.stdout)["error"]["problems"]]
    assert 0 == veo_mock.state.tasks_created


def test_a_batch_file_with_a_bom_is_accepted(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_bytes(b"\xef\xbb\xbf" + json.dumps({"prompt": "a lighthouse"}).encode() + b"\n")

    result = run_veo("batch", str(jobs), "--out", "videos", "--json")

    assert 0 == result.returncode, result.stderr
    assert 1 == veo_mock.state.tasks_created
