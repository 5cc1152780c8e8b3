"""An existing file is never replaced unless asked (``--overwrite``), and the refusal
comes before anything is paid for; ``--no-wait`` prints the task id alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from veo.testing import MockServer

from ..helpers import is_playable_mp4
from .conftest import Run, only_json
from .test_batch import write_jobs

PROMPT = "The car moves forward at a high speed"


def _refusal(stderr: str) -> str:
    (line,) = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in stderr
    return line


def test_generate_refuses_an_existing_file_before_paying_and_replaces_it_on_request(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "car.mp4").write_bytes(b"mine")

    refused = run_veo("generate", PROMPT, "--out", "car.mp4")
    replaced = run_veo("generate", PROMPT, "--out", "car.mp4", "--overwrite")

    assert 1 == refused.returncode
    line = _refusal(refused.stderr)
    assert f"DestinationExistsError: {tmp_path / 'car.mp4'} exists; pass --overwrite" in line
    assert "overwrite=True" not in refused.stderr  # advice a CLI user cannot follow
    assert 0 == replaced.returncode, replaced.stderr
    assert 1 == veo_mock.state.tasks_created  # the refused run bought nothing
    assert is_playable_mp4((tmp_path / "car.mp4").read_bytes())


def test_download_refuses_an_existing_file_and_replaces_it_on_request(
    run_veo: Run, tmp_path: Path
) -> None:
    task_id = run_veo("generate", PROMPT, "--no-wait").stdout.strip()
    run_veo("wait", task_id)
    (tmp_path / "car.mp4").write_bytes(b"mine")

    refused = run_veo("download", task_id, "--out", "car.mp4")
    replaced = run_veo("download", task_id, "--out", "car.mp4", "--overwrite")

    assert 1 == refused.returncode
    assert "pass --overwrite" in _refusal(refused.stderr)
    assert 0 == replaced.returncode, replaced.stderr
    assert is_playable_mp4((tmp_path / "car.mp4").read_bytes())


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_batch_refuses_files_a_new_job_would_replace_before_creating_anything(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path, dry_run: bool
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 3)
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "scene-01.mp4").write_bytes(b"mine")

    refused = run_veo("batch", str(jobs), *(["--dry-run"] if dry_run else []))

    assert 2 == refused.returncode, refused.stderr
    assert "line 2: " in refused.stderr
    assert "scene-01.mp4 exists; pass --overwrite to replace it" in refused.stderr
    assert 0 == veo_mock.state.tasks_created
    assert b"mine" == (tmp_path / "videos" / "scene-01.mp4").read_bytes()


def test_batch_overwrite_replaces_them(run_veo: Run, veo_mock: MockServer, tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 3)
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "scene-01.mp4").write_bytes(b"mine")

    result = run_veo("batch", str(jobs), "--overwrite", "--json")

    assert 0 == result.returncode, result.stderr
    assert 3 == len(only_json(result.stdout)["done"])
    assert is_playable_mp4((tmp_path / "videos" / "scene-01.mp4").read_bytes())


def test_a_batch_rerun_still_resumes_into_its_own_files(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 3)
    assert 0 == run_veo("batch", str(jobs)).returncode

    again = run_veo("batch", str(jobs))

    assert 0 == again.returncode, again.stderr
    assert 3 == veo_mock.state.tasks_created


def test_no_wait_prints_the_task_id_alone(run_veo: Run, veo_mock: MockServer) -> None:
    result = run_veo("generate", PROMPT, "--no-wait")

    assert 0 == result.returncode, result.stderr
    assert [next(iter(veo_mock.state.tasks))] == result.stdout.splitlines()
