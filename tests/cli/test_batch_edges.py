"""``veo batch`` and ``veo generate`` at their edges: two runners, disk errors, bugs.

Each test names, in its docstring, what it caught in the code before the fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from veo import NoVideoError, VideoTask
from veo.cli._output import ExitCode, exit_code_for
from veo.mock import parse_rule
from veo.testing import MockServer

from ..helpers import is_playable_mp4
from .conftest import Run, only_json
from .test_batch import write_jobs

# Runs the command with faults of this machine's own injected for some jobs: a
# destination the process may not write (root ignores file modes, so the refusal is
# injected), a full disk while saving, and a bug (an unexpected exception).
WITH_LOCAL_FAULTS = """
import errno, sys
import veo._download as download

real_open, real_begin, real_write = (
    download._open_temporary, download._Sink.begin, download._Sink.write_kept
)

def open_temporary(directory, name, made):
    if name == "scene-03.mp4":
        raise PermissionError(errno.EACCES, "Permission denied")
    return real_open(directory, name, made)

def begin(self, response, on_progress):
    if self._target.path.name == "scene-11.mp4":
        raise RuntimeError("a bug in one job")
    real_begin(self, response, on_progress)

def write_kept(self):  # where the disk is written
    if self._target.path.name == "scene-07.mp4":
        raise OSError(errno.ENOSPC, "No space left on device")
    real_write(self)

download._open_temporary = open_temporary
download._Sink.begin, download._Sink.write_kept = begin, write_kept
from veo.cli import main
sys.argv[0] = "veo"
main()
"""


def start(veo_env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "veo", *args],
        env=veo_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_batches_on_one_directory_buy_each_video_once(
    veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught: 31 tasks for 30 jobs, a FileNotFoundError from the other run's clean-up,
    and a raw sqlite3 'database is locked'."""
    jobs = write_jobs(tmp_path / "jobs.jsonl", 30)
    veo_mock.faults.add(parse_rule("latency,route=create,latency=1"))
    args = ("batch", str(jobs), "--out", "videos", "--concurrency", "8", "--json")

    runs = [start(veo_env, tmp_path, *args) for _ in range(2)]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]

    codes = sorted(code for code, _, _ in results)
    loser = next(stderr for code, _, stderr in results if code == 1)
    winner = next(stdout for code, stdout, _ in results if code == 0)
    assert [0, 1] == codes
    assert "already running on" in loser
    assert str(tmp_path / "videos") in loser
    assert "(process " in loser
    assert 1 == len(loser.strip().splitlines())
    assert 30 == veo_mock.state.tasks_created
    assert 30 == len(only_json(winner)["done"])
    files = sorted((tmp_path / "videos").glob("*.mp4"))
    assert 30 == len(files)
    assert all(is_playable_mp4(f.read_bytes()) for f in files)
    assert [] == list((tmp_path / "videos").glob(".*.part"))


def test_one_jobs_errors_never_stop_the_others_and_a_rerun_recovers_them(
    veo_env: dict[str, str], run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught: one job's permission error ended the run with an ExceptionGroup, cancelled
    the creates in flight, and (disk full) left paid task ids recorded nowhere."""
    jobs = write_jobs(tmp_path / "jobs.jsonl", 20)
    out = tmp_path / "videos"
    args = ["batch", str(jobs), "--out", str(out), "--concurrency", "8", "--json"]

    first = subprocess.run(
        [sys.executable, "-c", WITH_LOCAL_FAULTS, *args],
        env=veo_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    summary = only_json(first.stdout)
    failed = {row["name"]: row for row in summary["failed"]}
    assert int(ExitCode.TASK_FAILED) == first.returncode, first.stderr
    assert {"scene-03.mp4", "scene-07.mp4", "scene-11.mp4"} == set(failed)
    assert all(row["task_id"] for row in failed.values())
    assert "Permission denied" in failed["scene-03.mp4"]["message"]
    assert "No space left on device" in failed["scene-07.mp4"]["message"]
    assert "a bug in one job" in failed["scene-11.mp4"]["message"]
    assert 17 == len(summary["done"])
    assert "Traceback" not in first.stderr
    assert "ExceptionGroup" not in first.stderr
    assert 20 == veo_mock.state.tasks_created
    assert [] == list(out.glob(".*.part"))

    again = run_veo(*args)  # space and permission are back

    assert 0 == again.returncode, again.stderr
    assert 20 == len(only_json(again.stdout)["done"])
    assert 20 == veo_mock.state.tasks_created  # recovered without buying anything again


def test_generate_refuses_an_unwritable_destination_before_paying(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught: the task was created (paid), then the run died with PermissionError and a
    --json error without the task id."""
    (tmp_path / "a-file").write_bytes(b"")

    result = run_veo("generate", "a cat", "--out", "a-file/sub/car.mp4", "--json")

    assert 1 == result.returncode
    assert "cannot write" in only_json(result.stdout)["error"]["message"]
    assert 0 == veo_mock.state.tasks_created


def test_a_failure_after_paying_names_the_task_and_how_to_recover_it(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.faults.add(parse_rule("expired-link,route=create"))

    result = run_veo("generate", "a cat", "--out", "car.mp4", "--json")

    error = only_json(result.stdout)["error"]
    assert error["task_id"] in veo_mock.state.tasks
    assert f"veo resume {error['task_id']}" == error["recover"]  # the ledger knows where
    assert f"veo resume {error['task_id']}" in result.stderr
    assert 1 == veo_mock.state.tasks_created


def test_succeeded_without_a_video_is_not_reported_as_invalid_input() -> None:
    """Caught: exit 2 ("invalid input; nothing was sent") after a paid create."""
    task = VideoTask.from_json({"id": "t-1", "state": "succeeded"})

    assert ExitCode.TASK_FAILED == exit_code_for(NoVideoError(task))


def test_batch_summary_json_is_one_document(run_veo: Run, tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 2)

    result = run_veo("batch", str(jobs), "--out", "videos", "--json")

    assert {"done", "failed", "unknown", "pending"} == set(json.loads(result.stdout))
