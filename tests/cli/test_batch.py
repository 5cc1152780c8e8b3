"""``veo batch``: validation first, bounded concurrency, resume without paying twice."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from veo.mock import parse_rule
from veo.testing import MockServer

from ..helpers import is_playable_mp4
from .conftest import Run, only_json

IMG = "https://img.test/a.jpg"


def write_jobs(path: Path, count: int) -> Path:
    lines = []
    for n in range(count):
        job: dict[str, object] = {"prompt": f"scene {n}", "name": f"scene-{n:02d}"}
        if n % 3 == 1:
            job["image_urls"] = [IMG]
        if n % 3 == 2:
            job.update(image_urls=[IMG, IMG, IMG], generation_type="REFERENCE")
        lines.append(json.dumps(job))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def journal_counts(out: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(out / "veo-batch.sqlite3")) as db, db:
        return dict(db.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())


def test_twenty_jobs_at_concurrency_four_all_succeed(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 20)

    result = run_veo("batch", str(jobs), "--out", "videos", "--concurrency", "4", "--json")

    summary = only_json(result.stdout)
    assert 0 == result.returncode, result.stderr
    assert (20, [], [], []) == (
        len(summary["done"]),
        summary["failed"],
        summary["unknown"],
        summary["pending"],
    )
    assert 20 == veo_mock.state.tasks_created
    assert all(is_playable_mp4(Path(row["path"]).read_bytes()) for row in summary["done"])
    assert {f"scene-{n:02d}.mp4" for n in range(20)} <= {
        p.name for p in (tmp_path / "videos").iterdir()
    }


def test_a_directory_at_a_jobs_file_name_fails_that_job_before_it_pays(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 2)
    (tmp_path / "videos" / "scene-00.mp4").mkdir(parents=True)

    result = run_veo("batch", str(jobs), "--out", "videos", "--json")

    summary = only_json(result.stdout)
    assert ["scene-00.mp4"] == [row["name"] for row in summary["failed"]]
    assert "scene-00.mp4 is a directory" in summary["failed"][0]["message"]
    assert ["scene-01.mp4"] == [row["name"] for row in summary["done"]]
    assert 1 == veo_mock.state.tasks_created
    assert [] == list((tmp_path / "videos" / "scene-00.mp4").iterdir())

    (tmp_path / "videos" / "scene-00.mp4").rmdir()
    again = only_json(run_veo("batch", str(jobs), "--out", "videos", "--json").stdout)

    assert ["scene-00.mp4", "scene-01.mp4"] == sorted(row["name"] for row in again["done"])
    assert 2 == veo_mock.state.tasks_created


def test_rerunning_a_finished_batch_creates_nothing(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 5)
    run_veo("batch", str(jobs), "--out", "videos")

    again = run_veo("batch", str(jobs), "--out", "videos")

    assert 0 == again.returncode
    assert "5 done" in again.stdout
    assert 5 == veo_mock.state.tasks_created


def test_bad_lines_are_all_reported_and_nothing_is_created(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        "\n".join(
            [
                json.dumps({"prompt": "fine"}),
                json.dumps({"prompt": " "}),
                "{not json",
                json.dumps(
                    {"prompt": "ok", "generation_type": "REFERENCE", "aspect_ratio": "9:16"}
                ),
                json.dumps({"prompt": "fine too", "image_urls": [IMG]}),
            ]
        ),
        encoding="utf-8",
    )

    result = run_veo("batch", str(jobs), "--out", "videos")

    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert 2 == result.returncode
    expected = [
        "error: line 2: prompt:",
        "error: line 3: not valid JSON",
        "error: line 4: image_urls:",
    ]
    assert 3 == len(errors)
    assert all(e.startswith(prefix) for e, prefix in zip(errors, expected, strict=True)), errors
    assert ([], False) == (veo_mock.state.log, (tmp_path / "videos").exists())


def test_unknown_fields_and_duplicate_names_are_bad_lines(run_veo: Run, tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        json.dumps({"prompt": "a", "name": "x"})
        + "\n"
        + json.dumps({"prompt": "b", "name": "x"})
        + "\n"
        + json.dumps({"prompt": "c", "colour": "red"})
        + "\n",
        encoding="utf-8",
    )

    result = run_veo("batch", str(jobs), "--json")

    problems = only_json(result.stdout)["error"]["problems"]
    assert [2, 3] == [p["line"] for p in problems]
    assert "already used by line 1" in problems[0]["message"]
    assert "colour" in problems[1]["message"]


def test_reset_after_create_leaves_the_job_unknown_not_duplicated(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 6)
    veo_mock.faults.add(parse_rule("reset-after,route=create,times=1"))

    first = run_veo("batch", str(jobs), "--out", "videos", "--concurrency", "2", "--json")
    second = run_veo("batch", str(jobs), "--out", "videos", "--json")

    assert (6, 6) == (first.returncode, second.returncode)
    assert (5, 1) == (len(only_json(first.stdout)["done"]), len(only_json(first.stdout)["unknown"]))
    assert "--resubmit-unknown" in only_json(second.stdout)["unknown"][0]["message"]
    assert 6 == veo_mock.state.tasks_created  # 5 done + 1 whose answer was lost; no retry


def test_resubmit_unknown_creates_the_unknown_job_again(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 3)
    veo_mock.faults.add(parse_rule("reset-after,route=create,times=1"))
    run_veo("batch", str(jobs), "--out", "videos", "--concurrency", "1")

    result = run_veo("batch", str(jobs), "--out", "videos", "--resubmit-unknown")

    assert 0 == result.returncode, result.stdout
    assert 4 == veo_mock.state.tasks_created


def test_changed_file_with_the_same_journal_is_refused(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 2)
    run_veo("batch", str(jobs), "--out", "videos")
    jobs.write_text(json.dumps({"prompt": "something else"}) + "\n", encoding="utf-8")

    result = run_veo("batch", str(jobs), "--out", "videos")

    assert 1 == result.returncode
    assert "differ from the batch recorded" in result.stderr
    assert 2 == veo_mock.state.tasks_created


# As a terminal would: a process started in the background by a non-interactive shell
# (CI runners often do that) inherits SIGINT ignored, and then Ctrl-C rightly does nothing;
# one started under nohup inherits SIGHUP ignored, and then a hang-up rightly does nothing.
AS_FROM_A_TERMINAL = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "signal.signal(signal.SIGHUP, signal.SIG_DFL); signal.signal(signal.SIGTERM, signal.SIG_DFL); "
)
RUN_VEO = "from veo.cli import main; sys.argv[0] = 'veo'; main()"


def start_veo(
    veo_env: dict[str, str], cwd: Path, *args: str, prelude: str = ""
) -> subprocess.Popen[str]:
    """``veo ARGS`` as a real process that Ctrl-C, SIGTERM and SIGHUP reach
    (``AS_FROM_A_TERMINAL``), after ``prelude`` (Python run first, as what the process
    inherits)."""
    return subprocess.Popen(
        [sys.executable, "-c", AS_FROM_A_TERMINAL + prelude + RUN_VEO, *args],
        env=veo_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def start_batch(veo_env: dict[str, str], jobs: Path, out: Path, cwd: Path) -> subprocess.Popen[str]:
    return start_veo(veo_env, cwd, "batch", str(jobs), "--out", str(out), "--concurrency", "4")


def freeze_mid_run(veo_mock: MockServer, out: Path) -> dict[str, int]:
    """Let some jobs finish, then stall every poll so no create is in flight.

    With polls stalled, each of the 4 workers ends up waiting on a submitted task; a
    stop at that moment is "mid-run" yet never during a create call, whose outcome
    would rightly be unknown.
    """
    deadline = time.monotonic() + 30
    while veo_mock.state.tasks_created < 8:
        assert time.monotonic() < deadline, "the batch did not get going"
        time.sleep(0.02)
    veo_mock.faults.add(parse_rule("latency,route=get,latency=3"))
    while True:
        assert time.monotonic() < deadline, "the batch did not settle"
        counts = journal_counts(out)
        if counts.get("submitted") == 4 and not counts.keys() & {"submitting", "downloading"}:
            return counts
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("sig", "exit_code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130), (signal.SIGTERM, 130)],
)
def test_stopped_batch_resumes_with_one_task_per_job(
    veo_env: dict[str, str],
    run_veo: Run,
    veo_mock: MockServer,
    tmp_path: Path,
    sig: signal.Signals,
    exit_code: int,
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 20)
    out = tmp_path / "videos"
    batch = start_batch(veo_env, jobs, out, tmp_path)
    try:
        counts = freeze_mid_run(veo_mock, out)
        batch.send_signal(sig)
        batch.communicate(timeout=30)
    finally:
        batch.kill()
    veo_mock.faults.clear()

    resumed = run_veo("batch", str(jobs), "--out", str(out), "--json")

    assert exit_code == batch.returncode
    assert 0 < counts.get("done", 0) < 20
    assert 0 == resumed.returncode, resumed.stderr
    assert 20 == len(only_json(resumed.stdout)["done"])
    assert 20 == veo_mock.state.tasks_created
    assert [] == [p.name for p in out.iterdir() if p.name.endswith(".part")]


def test_resumed_job_removes_a_stale_temporary_file(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 1)
    out = tmp_path / "videos"
    run_veo("batch", str(jobs), "--out", str(out))
    with contextlib.closing(sqlite3.connect(out / "veo-batch.sqlite3")) as db, db:
        db.execute("UPDATE jobs SET status = 'downloading'")
    (out / "scene-00.mp4").unlink()
    (out / ".scene-00.mp4.0123456789ab.part").write_bytes(b"half")
    (out / ".not-a-job.mp4.0123456789ab.part").write_bytes(b"someone else's")

    result = run_veo("batch", str(jobs), "--out", str(out))

    assert 0 == result.returncode, result.stderr
    assert [
        ".not-a-job.mp4.0123456789ab.part",
        "scene-00.mp4",
        "veo-batch.lock",
        "veo-batch.sqlite3",
    ] == sorted(p.name for p in out.iterdir() if not p.name.startswith("veo-batch.sqlite3-"))
    assert 1 == veo_mock.state.tasks_created
