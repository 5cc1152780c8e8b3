"""Promises at every exit of the ``veo`` command, attacked with real processes: a paid
task's id is in the ledger before anything is printed, a failing stderr changes nothing
that matters, and no raw control character reaches a terminal, even through ``--json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from veo.mock import Lifecycle
from veo.mock._state import Fate
from veo.testing import MockServer

from .conftest import Run, only_json
from .test_batch import start_veo


def ledger_ids(run_veo: Run, env: dict[str, str]) -> list[str]:
    listed = run_veo("tasks", "--json", env=env)
    assert 0 == listed.returncode, listed.stderr
    return [task["id"] for task in json.loads(listed.stdout)["tasks"]]


def test_a_kill_the_moment_the_created_line_shows_leaves_the_task_in_the_ledger(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)
    env = {**veo_env, "VEO_HOME": str(tmp_path / "home")}
    process = start_veo(env, tmp_path, "generate", "a cat", "--out", "videos/")
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("created task"):
                process.kill()  # SIGKILL: no handler runs, nothing is flushed
                break
    finally:
        process.kill()
        process.communicate(timeout=30)

    (task_id,) = veo_mock.state.tasks
    assert [task_id] == ledger_ids(run_veo, env)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_an_unwritable_stderr_changes_neither_the_ledger_nor_the_json_document(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    env = {**veo_env, "VEO_HOME": str(tmp_path / "home")}
    with open("/dev/full", "w") as full:  # every write: "No space left on device"
        result = subprocess.run(
            [sys.executable, "-m", "veo", "generate", "a cat", "--out", "v.mp4", "--json"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=full,
            text=True,
            timeout=60,
        )

    document = only_json(result.stdout)
    (task_id,) = veo_mock.state.tasks
    assert (0, task_id) == (result.returncode, document["id"])
    assert (tmp_path / "v.mp4").stat().st_size > 0
    assert [task_id] == ledger_ids(run_veo, env)


def test_json_output_carries_no_raw_control_or_reordering_character(
    run_veo: Run, veo_mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = "safe \u202eevil\u202c and \u009b31m red \x7f"
    monkeypatch.setattr("veo.mock._state.FAILURE_MESSAGE", hostile)
    task = veo_mock.state.create_task({"model": "veo3.1-fast", "prompt": "a cat"}, Fate.FAIL)

    result = run_veo("status", task.id, "--json")

    assert 0 == result.returncode, result.stderr
    assert not any(char in result.stdout for char in "\u202e\u202c\u009b\x7f")
    assert "\\u202e" in result.stdout
    assert hostile == json.loads(result.stdout)["message"]  # escaped, not changed


@pytest.mark.parametrize(
    ("option", "variable", "expected"),
    [
        (
            "http://api.example.com",
            None,
            "--base-url: plain http:// to api.example.com would send the API key "
            "unencrypted; use https://",
        ),
        (None, "ftp://api.example.com", "DUOMI_BASE_URL: must be an absolute http(s) URL"),
    ],
)
def test_a_base_url_error_names_the_option_or_variable_not_a_python_argument(
    run_veo: Run,
    veo_env: dict[str, str],
    option: str | None,
    variable: str | None,
    expected: str,
) -> None:
    env = {**veo_env, **({"DUOMI_BASE_URL": variable} if variable else {})}

    result = run_veo("status", "task-1", *(["--base-url", option] if option else []), env=env)

    assert 2 == result.returncode
    assert expected in result.stderr
    assert "allow_insecure_http" not in result.stderr
    assert "base_url:" not in result.stderr


def test_the_same_mock_command_twice_makes_two_videos(
    run_veo: Run, veo_env: dict[str, str], tmp_path: Path
) -> None:
    """The embedded mock's ids are unique across runs, as a real service's are: the
    second run's video does not collide with the first's (it did: mock-task-000001)."""
    env = {**veo_env, "VEO_HOME": str(tmp_path / "home")}

    first = run_veo("generate", "--mock", "A storm", "--out", "out/", env=env)
    second = run_veo("generate", "--mock", "A storm", "--out", "out/", env=env)

    assert (0, 0) == (first.returncode, second.returncode), second.stderr
    assert 2 == len(list((tmp_path / "out").glob("*.mp4")))
    assert 2 == len(set(ledger_ids(run_veo, env)))


def test_a_json_error_names_its_type_once(run_veo: Run, veo_mock: MockServer) -> None:
    result = run_veo("status", "no-such-task", "--json")

    error = only_json(result.stdout)["error"]
    assert "NotFoundError" == error["type"]
    assert "NotFoundError" not in error["message"]
    assert "error: NotFoundError: " in result.stderr  # the line for people keeps it


def test_the_embedded_mock_adds_nothing_to_the_commands_output(run_veo: Run) -> None:
    """Caught before: ``veo check --mock`` printed the mock framework's own
    ``OAuthProblem(status_code=401, ...)`` line on stderr."""
    result = run_veo("check", "--mock")

    assert 0 == result.returncode, result.stderr
    assert "OAuthProblem" not in result.stderr
    assert ["using the embedded mock server at"] == [
        line[:33] for line in result.stderr.splitlines()
    ]
