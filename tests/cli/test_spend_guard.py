"""``veo batch`` says what it will spend before it spends it, and can be held to a cap."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from veo.testing import MockServer

from .conftest import Run, only_json
from .test_batch import journal_counts, write_jobs


def test_a_dry_run_validates_and_says_what_it_would_create_creating_nothing(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 10)

    result = run_veo("batch", str(jobs), "--out", "videos", "--dry-run", "--json")

    assert 0 == result.returncode, result.stderr
    plan = only_json(result.stdout)
    assert (10, 0, 0) == (plan["create"], plan["resume"], plan["skip"])
    assert [f"videos/scene-{n:02d}.mp4" for n in range(10)] == plan["files"]
    assert "would create 10 new video(s), each billed" in result.stderr
    assert 0 == veo_mock.state.tasks_created
    assert not (tmp_path / "videos").exists()


def test_a_dry_run_stops_at_a_line_that_breaks_a_rule(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 3)
    with jobs.open("a", encoding="utf-8") as handle:
        handle.write('{"prompt": "x", "aspect_ratio": "4:3"}\n')

    result = run_veo("batch", str(jobs), "--dry-run")

    assert 2 == result.returncode
    assert "line 4" in result.stderr
    assert 0 == veo_mock.state.tasks_created


def test_max_videos_creates_that_many_and_the_next_run_as_many_more(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 10)

    first = run_veo("batch", str(jobs), "--out", "videos", "--max-videos", "3")
    created_first = veo_mock.state.tasks_created
    second = run_veo("batch", str(jobs), "--out", "videos", "--max-videos", "3", "--json")

    assert 3 == created_first
    assert 6 == veo_mock.state.tasks_created
    assert 5 == first.returncode == second.returncode  # jobs left pending: re-run
    assert "creates 3 new video(s), each billed (of 10 new; --max-videos 3)" in first.stderr
    assert {"done": 6, "new": 4} == journal_counts(tmp_path / "videos")
    assert 4 == len(only_json(second.stdout)["pending"])


def test_without_a_terminal_the_batch_proceeds_and_says_how_many_it_creates(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 4)
    run_veo("batch", str(jobs), "--out", "videos", "--max-videos", "1")

    result = run_veo("batch", str(jobs), "--out", "videos")

    assert 0 == result.returncode, result.stderr
    assert "creates 3 new video(s), each billed; resumes 0 already paid for; skips 1" in (
        result.stderr
    )
    assert 4 == veo_mock.state.tasks_created


def run_on_a_terminal(veo_env: dict[str, str], cwd: Path, answer: bytes, *args: str) -> str:
    """``veo`` with its stdin on a pseudo-terminal; ``answer`` typed in; all output."""
    main, other = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "veo", *args],
        stdin=other,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=veo_env,
        cwd=cwd,
    )
    os.close(other)
    os.write(main, answer)
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        os.close(main)
    assert process.returncode == 0, output
    return output.decode()


def test_on_a_terminal_it_asks_and_a_no_creates_nothing(
    veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 5)

    output = run_on_a_terminal(veo_env, tmp_path, b"n\n", "batch", str(jobs), "--out", "videos")

    assert "create 5 new video(s), each billed?" in output
    assert "nothing created" in output
    assert 0 == veo_mock.state.tasks_created
    assert not (tmp_path / "videos").exists()  # no journal, no lock, no directory left


def test_on_a_terminal_yes_and_the_flag_both_create(
    veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 2)

    said = run_on_a_terminal(veo_env, tmp_path, b"y\n", "batch", str(jobs), "--out", "a")
    asked = veo_mock.state.tasks_created
    output = run_on_a_terminal(veo_env, tmp_path, b"", "batch", str(jobs), "--out", "b", "--yes")

    assert 2 == asked
    assert 4 == veo_mock.state.tasks_created
    assert "each billed?" not in output
    assert 1 == said.count("this run creates 2 new video(s)")  # said once, then asked


def test_the_progress_counts_only_the_jobs_this_run_takes_on(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught before: with --max-videos 2 on 4 jobs the bar said 4/4 while 2 were left."""
    jobs = write_jobs(tmp_path / "jobs.jsonl", 4)

    result = run_veo("batch", str(jobs), "--out", "videos", "--max-videos", "2")

    assert 0 == result.returncode or 5 == result.returncode, result.stderr
    assert "batch (2 left for a later run)" in result.stderr
    assert "2/2" in result.stderr
    assert "4/4" not in result.stderr
