"""``--upload``: local images through the user's bucket, as a user runs the command
(real processes; moto's S3 server on loopback; the mock fetching each image URL as the
service does)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import boto3
import pytest

from veo.testing import MockServer

from ..conftest import STORAGE_SECRET
from ..helpers import is_playable_mp4
from .conftest import Run, only_json

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(100))
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(range(64))


@pytest.fixture
def upload_env(veo_env: dict[str, str], s3_env: dict[str, str]) -> dict[str, str]:
    return {**veo_env, **s3_env}


def objects(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_object_versions(Bucket=bucket)
    return sorted(version["Key"] for version in listed.get("Versions", []))


def shows_no_storage_secret(*texts: str) -> None:
    for text in texts:
        assert STORAGE_SECRET not in text
        assert STORAGE_SECRET[6:18] not in text


def test_generate_with_local_images_uploads_them_and_the_mock_fetches_them(
    run_veo: Run, upload_env: dict[str, str], bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "first.png").write_bytes(PNG)
    (tmp_path / "last.jpg").write_bytes(JPEG)

    result = run_veo(
        "generate",
        "--mock",
        "--upload",
        f"s3://{bucket}/in",
        "--image",
        "./first.png",
        "--image",
        "./last.jpg",
        "--out",
        "videos/",
        "a cat",
        "--json",
        env=upload_env,
    )

    assert 0 == result.returncode, result.stderr
    assert 2 == len(objects(bucket))
    assert all(key.startswith("in/") for key in objects(bucket))
    assert "succeeded" == only_json(result.stdout)["state"]  # the mock fetched both
    assert Path(only_json(result.stdout)["path"]).exists()
    shows_no_storage_secret(result.stdout, result.stderr)


def test_a_text_file_as_an_image_exits_2_before_any_upload_or_create(
    run_veo: Run, upload_env: dict[str, str], bucket: str, veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "first.png").write_bytes(PNG)
    (tmp_path / "pixel.png").write_text("a 1-pixel text file\n", encoding="utf-8")

    result = run_veo(
        "generate",
        "--upload",
        f"s3://{bucket}/in",
        "--image",
        "./first.png",
        "--image",
        "./pixel.png",
        "a cat",
        env=upload_env,
    )

    assert 2 == result.returncode, result.stderr
    assert "image_urls[1]: pixel.png is not a PNG, JPEG, WebP image" in result.stderr
    assert [] == objects(bucket)
    assert 0 == veo_mock.state.tasks_created


def test_a_local_image_without_upload_says_what_to_do(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "frame.png").write_bytes(PNG)

    result = run_veo("generate", "--image", "frame.png", "a cat")

    assert 2 == result.returncode
    assert "--upload s3://bucket/prefix" in result.stderr
    assert 0 == veo_mock.state.tasks_created


def test_an_upload_that_fails_creates_nothing_and_names_the_cause(
    run_veo: Run, upload_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "frame.png").write_bytes(PNG)

    result = run_veo(
        "generate",
        "--upload",
        "s3://no-such-bucket-at-all/in",
        "--image",
        "frame.png",
        "a cat",
        env=upload_env,
    )

    assert 3 == result.returncode, result.stderr
    assert "the bucket 'no-such-bucket-at-all' does not exist" in result.stderr
    assert "nothing was created" in result.stderr
    assert 0 == veo_mock.state.tasks_created
    shows_no_storage_secret(result.stdout, result.stderr)


def test_a_batch_sharing_three_local_images_uploads_each_once(
    run_veo: Run, upload_env: dict[str, str], bucket: str, veo_mock: MockServer, tmp_path: Path
) -> None:
    boto3.client("s3").put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )  # every PUT is a version: a second upload of one image would show
    veo_mock.state.fetch_images = True
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for name, data in (("a.png", PNG), ("b.jpg", JPEG), ("c.webp", WEBP)):
        (inputs / name).write_bytes(data)
    lines = [
        json.dumps({"prompt": f"scene {n}", "image_urls": [["a.png", "b.jpg", "c.webp"][n % 3]]})
        for n in range(100)
    ]
    (inputs / "jobs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["batch", "inputs/jobs.jsonl", "--out", "videos", "--upload", f"s3://{bucket}/in"]

    dry = run_veo(*args, "--dry-run", env=upload_env)
    result = run_veo(*args, "--concurrency", "25", "--json", env=upload_env, timeout=180)

    assert 0 == dry.returncode, dry.stderr
    assert "3 image(s) to upload, each once" in dry.stderr
    assert 0 == result.returncode, result.stderr
    assert 100 == len(only_json(result.stdout)["done"])
    assert 3 == len(objects(bucket))
    assert 100 == veo_mock.state.tasks_created
    ledger = Path(upload_env["VEO_HOME"]) / "tasks.sqlite3"
    journal = tmp_path / "videos" / "veo-batch.sqlite3"
    assert journal.exists()
    stored = [path.read_bytes().decode("latin-1") for path in (ledger, journal) if path.exists()]
    shows_no_storage_secret(dry.stderr, result.stdout, result.stderr, *stored)


def test_without_the_extra_one_line_names_the_pip_install(
    run_veo: Run, veo_env: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "boto3.py").write_text("raise ModuleNotFoundError('no', name='boto3')\n")
    (tmp_path / "frame.png").write_bytes(PNG)
    env = {**veo_env, "PYTHONPATH": str(blocker)}

    result = run_veo("generate", "--upload", "s3://b/in", "--image", "frame.png", "a", env=env)

    assert 2 == result.returncode, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("needs the s3 extra: pip install 'duomi-veo[s3]'")


def open_uploads(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_multipart_uploads(Bucket=bucket)
    return [upload["Key"] for upload in listed.get("Uploads", [])]


def test_local_images_in_and_the_video_out_through_one_bucket(
    run_veo: Run, upload_env: dict[str, str], bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "first.png").write_bytes(PNG)
    (tmp_path / "last.png").write_bytes(PNG[:-1] + b"\x01")

    result = run_veo(
        "generate",
        "--mock",
        "--upload",
        f"s3://{bucket}/in",
        "--image",
        "./first.png",
        "--image",
        "./last.png",
        "--out",
        f"s3://{bucket}/out/",
        "a cat",
        env=upload_env,
    )

    assert 0 == result.returncode, result.stderr
    location = result.stdout.strip()
    assert location.startswith(f"s3://{bucket}/out/mock-")
    key = location.removeprefix(f"s3://{bucket}/")
    assert 3 == len(objects(bucket))
    video = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert is_playable_mp4(video)
    assert [] == open_uploads(bucket)
    assert [] == list(tmp_path.glob("**/*.mp4"))  # nothing written locally


def test_an_existing_key_is_refused_before_anything_is_paid(
    run_veo: Run, upload_env: dict[str, str], bucket: str, veo_mock: MockServer
) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key="taken.mp4", Body=b"mine")

    result = run_veo("generate", "--out", f"s3://{bucket}/taken.mp4", "a cat", env=upload_env)

    assert 1 == result.returncode, result.stderr
    assert f"s3://{bucket}/taken.mp4" in result.stderr
    assert 0 == veo_mock.state.tasks_created
    assert b"mine" == boto3.client("s3").get_object(Bucket=bucket, Key="taken.mp4")["Body"].read()


def test_a_task_left_running_is_resumed_into_its_bucket(
    run_veo: Run, upload_env: dict[str, str], bucket: str
) -> None:
    made = run_veo(
        "generate", "--no-wait", "--out", f"s3://{bucket}/later/", "a cat", env=upload_env
    )
    task_id = made.stdout.strip()

    resumed = run_veo("resume", task_id, env=upload_env)

    assert 0 == resumed.returncode, resumed.stderr
    assert f"s3://{bucket}/later/{task_id}.mp4" == resumed.stdout.strip()
    assert [f"later/{task_id}.mp4"] == objects(bucket)


def test_a_stop_while_the_video_streams_leaves_no_object_and_no_open_upload(
    upload_env: dict[str, str], bucket: str, veo_mock: MockServer, tmp_path: Path
) -> None:
    from veo.mock import parse_rule

    from .test_batch import start_veo
    from .test_interrupts import interrupt_when

    veo_mock.faults.add(parse_rule("latency,route=video,latency=8"))
    process = start_veo(upload_env, tmp_path, "generate", "a cat", "--out", f"s3://{bucket}/out/")

    _, stderr = interrupt_when(process, lambda: bool(open_uploads(bucket)), signal.SIGTERM)

    (task_id,) = veo_mock.state.tasks
    assert 130 == process.returncode, stderr
    assert f"recover it with: veo resume {task_id}" in stderr
    assert [] == objects(bucket)
    assert [] == open_uploads(bucket)


def test_a_batch_into_a_bucket_writes_one_object_a_job_and_resumes_from_its_journal(
    run_veo: Run, upload_env: dict[str, str], bucket: str, veo_mock: MockServer, tmp_path: Path
) -> None:
    lines = [json.dumps({"prompt": f"scene {n}", "name": f"scene-{n}"}) for n in range(3)]
    (tmp_path / "jobs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    boto3.client("s3").put_object(Bucket=bucket, Key="out/scene-1.mp4", Body=b"mine")
    args = ["batch", "jobs.jsonl", "--out", f"s3://{bucket}/out/", "--json"]

    refused = run_veo(*args, env=upload_env)
    first = run_veo(*args, "--overwrite", env=upload_env)
    again = run_veo(*args, env=upload_env)

    assert 2 == refused.returncode
    assert f"s3://{bucket}/out/scene-1.mp4 exists; pass --overwrite" in refused.stderr
    assert 0 == first.returncode, first.stderr
    done = only_json(first.stdout)["done"]
    assert {f"s3://{bucket}/out/scene-{n}.mp4" for n in range(3)} == {row["path"] for row in done}
    assert [f"out/scene-{n}.mp4" for n in range(3)] == objects(bucket)
    body = boto3.client("s3").get_object(Bucket=bucket, Key="out/scene-1.mp4")["Body"].read()
    assert is_playable_mp4(body)
    assert [] == open_uploads(bucket)
    assert 0 == again.returncode, again.stderr
    assert 3 == veo_mock.state.tasks_created  # the re-run created nothing
    assert not (tmp_path / "s3:").exists()  # no local directory named after the URL


def test_download_puts_a_finished_task_in_a_bucket(
    run_veo: Run, upload_env: dict[str, str], bucket: str
) -> None:
    task_id = run_veo("generate", "--no-wait", "a cat", env=upload_env).stdout.strip()

    result = run_veo("download", task_id, "--out", f"s3://{bucket}/dl/", "--json", env=upload_env)

    assert 0 == result.returncode, result.stderr
    assert f"s3://{bucket}/dl/{task_id}.mp4" == only_json(result.stdout)["path"]
    assert [f"dl/{task_id}.mp4"] == objects(bucket)


def test_a_failed_upload_fails_only_its_jobs_and_pays_for_nothing(
    run_veo: Run, upload_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "frame.png").write_bytes(PNG)
    lines = [
        json.dumps({"prompt": "with a local image", "name": "local", "image_urls": ["frame.png"]}),
        json.dumps({"prompt": "with none", "name": "plain"}),
    ]
    (tmp_path / "jobs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run_veo(
        "batch",
        "jobs.jsonl",
        "--out",
        "videos",
        "--upload",
        "s3://no-such-bucket-x/in",
        "--json",
        env=upload_env,
    )

    summary = only_json(result.stdout)
    assert ["plain"] == [Path(row["path"]).stem for row in summary["done"]]
    (failed,) = summary["failed"]
    assert "the bucket 'no-such-bucket-x' does not exist" in failed["message"]
    assert not failed.get("task_id")
    assert 1 == veo_mock.state.tasks_created  # the plain job's; the other paid nothing
    shows_no_storage_secret(result.stdout, result.stderr)


def test_an_image_name_cannot_drive_the_terminal(
    run_veo: Run, upload_env: dict[str, str], tmp_path: Path
) -> None:
    name = "frame\x1b[2J\x1b[31m.png"
    (tmp_path / name).write_bytes(PNG)

    result = run_veo("validate", "a cat", "--image", name, "--upload", "s3://b/in", env=upload_env)

    assert 0 == result.returncode, result.stderr
    assert "\x1b" not in result.stderr
    assert "would upload image_urls[0]: frame\\x1b[2J\\x1b[31m.png (image/png" in result.stderr
