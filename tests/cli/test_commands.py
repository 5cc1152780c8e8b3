"""Each command's success path, --json output, exit codes and one-line errors."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

from veo import Veo
from veo.mock import Lifecycle, parse_rule
from veo.testing import MockServer

from ..helpers import is_playable_mp4
from .conftest import Run, only_json

PROMPT = "The car moves forward at a high speed"


def one_line_error(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert 1 == len(errors), stderr
    assert "Traceback" not in stderr
    return errors[0]


def test_generate_prints_the_path_of_a_playable_video(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    result = run_veo("generate", PROMPT, "--out", "out/car.mp4")

    assert 0 == result.returncode, result.stderr
    assert str(tmp_path / "out" / "car.mp4") == result.stdout.strip().splitlines()[-1]
    assert is_playable_mp4((tmp_path / "out" / "car.mp4").read_bytes())
    assert "created task" in result.stderr
    assert 1 == veo_mock.state.tasks_created


def test_generate_json_is_one_document(run_veo: Run, tmp_path: Path) -> None:
    result = run_veo("generate", PROMPT, "--image", "https://img.test/a.jpg", "--json")

    document = only_json(result.stdout)
    assert 0 == result.returncode
    assert ("succeeded", 100) == (document["state"], document["progress"])
    assert Path(document["path"]).is_file()
    assert Path(document["path"]).parent == tmp_path


def test_generate_no_wait_prints_the_pending_task(run_veo: Run, veo_mock: MockServer) -> None:
    result = run_veo("generate", PROMPT, "--no-wait", "--json")

    document = only_json(result.stdout)
    assert ("pending", 0) == (document["state"], veo_mock.state.requests_per_route()["get"])
    assert document["id"] in veo_mock.state.tasks


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["   "], "prompt"),
        ([PROMPT, *["--image", "https://img.test/a.jpg"] * 4], "image_urls"),
        ([PROMPT, "--image", "ftp://img.test/a.jpg"], "image_urls[0]"),
        ([PROMPT, "--image", "https://u:p@img.test/a.jpg"], "image_urls[0]"),
        ([PROMPT, "--type", "FIRST&LAST"], "image_urls"),
        (
            [
                PROMPT,
                "--type",
                "REFERENCE",
                "--image",
                "https://img.test/a.jpg",
                "--aspect-ratio",
                "9:16",
            ],
            "aspect_ratio",
        ),
        ([PROMPT, "--type", "MOVIE"], "generation_type"),
        ([PROMPT, "--aspect-ratio", "4:3"], "aspect_ratio"),
    ],
)
@pytest.mark.parametrize("command", ["generate", "validate"])
def test_invalid_input_exits_2_naming_the_field_and_sends_nothing(
    run_veo: Run, veo_mock: MockServer, command: str, args: list[str], field: str
) -> None:
    result = run_veo(command, *args)

    assert 2 == result.returncode
    assert f"{field}: " in one_line_error(result.stderr)
    assert [] == veo_mock.state.log


def test_invalid_input_with_json_lists_the_problems(run_veo: Run) -> None:
    result = run_veo("validate", " ", "--type", "REFERENCE", "--json")

    document = only_json(result.stdout)
    assert 2 == result.returncode == document["exit_code"]
    assert {"prompt", "image_urls"} == {p["field"] for p in document["error"]["problems"]}


def test_validate_prints_the_exact_body(run_veo: Run, veo_mock: MockServer) -> None:
    result = run_veo(
        "validate", PROMPT, "--image", "https://img.test/a.jpg", "--image", "https://img.test/b.jpg"
    )

    assert {
        "model": "veo3.1-fast",
        "prompt": PROMPT,
        "duration": 8,
        "image_urls": ["https://img.test/a.jpg", "https://img.test/b.jpg"],
        "generation_type": "FIRST&LAST",
    } == only_json(result.stdout)
    assert [] == veo_mock.state.log


def test_validate_warns_about_images_in_text_mode(run_veo: Run) -> None:
    result = run_veo(
        "validate", PROMPT, "--type", "TEXT", "--image", "https://img.test/a.jpg", "--json"
    )

    assert (0, True) == (result.returncode, only_json(result.stdout)["valid"])
    assert "warning: generation_type TEXT does not use images" in result.stderr


def test_auth_failure_exits_3_without_showing_the_key(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer
) -> None:
    env = {**veo_env, "DUOMI_API_KEY": "sk-wrong-secret-key-123"}

    result = run_veo("generate", PROMPT, env=env)

    assert 3 == result.returncode
    assert "AuthenticationError" in one_line_error(result.stderr)
    assert "sk-wrong-secret-key-123" not in result.stderr + result.stdout
    assert 0 == veo_mock.state.tasks_created


def test_missing_key_exits_2_and_says_where_keys_come_from(
    run_veo: Run, veo_env: dict[str, str]
) -> None:
    env = {k: v for k, v in veo_env.items() if k != "DUOMI_API_KEY"}

    result = run_veo("status", "t", env=env)

    line = one_line_error(result.stderr)
    assert 2 == result.returncode
    # The command's words: what a command line user can do, not what Veo() takes.
    assert all(word in line for word in ("DUOMI_API_KEY", "--api-key-file", "--mock")), line
    assert "api_key=" not in line


def test_api_key_file_is_read(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(veo_mock.api_key + "\n", encoding="utf-8")
    env = {k: v for k, v in veo_env.items() if k != "DUOMI_API_KEY"}

    result = run_veo("generate", PROMPT, "--no-wait", "--api-key-file", str(key_file), env=env)

    assert 0 == result.returncode, result.stderr


def test_there_is_no_flag_that_takes_the_key(run_veo: Run) -> None:
    result = run_veo("generate", PROMPT, "--api-key", "k")

    assert 2 == result.returncode
    assert "No such option" in result.stderr


def test_task_failure_exits_4_with_the_message(run_veo: Run, veo_mock: MockServer) -> None:
    veo_mock.faults.add(parse_rule("task-failed"))

    result = run_veo("generate", PROMPT)

    assert 4 == result.returncode
    assert "content policy" in one_line_error(result.stderr)


def test_timeout_exits_5_naming_the_task(run_veo: Run, veo_mock: MockServer) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)

    result = run_veo("generate", PROMPT, "--timeout", "1", "--json")

    (task_id,) = veo_mock.state.tasks
    assert 5 == result.returncode
    assert task_id in one_line_error(result.stderr)
    assert task_id == only_json(result.stdout)["error"]["task_id"]


def test_unknown_create_outcome_exits_6_and_creates_once(
    run_veo: Run, veo_mock: MockServer
) -> None:
    veo_mock.faults.add(parse_rule("reset-after,route=create,times=1"))

    result = run_veo("generate", PROMPT)

    assert 6 == result.returncode
    assert "may have created a task" in one_line_error(result.stderr)
    assert (1, 1) == (veo_mock.state.tasks_created, veo_mock.state.requests_per_route()["create"])


def test_existing_output_file_fails_before_paying(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "car.mp4").write_bytes(b"mine")

    result = run_veo("generate", PROMPT, "--out", "car.mp4")

    assert 1 == result.returncode
    assert "exists" in one_line_error(result.stderr)
    assert ([], b"mine") == (veo_mock.state.log, (tmp_path / "car.mp4").read_bytes())


@pytest.fixture
def finished_task(veo_mock: MockServer, veo_env: dict[str, str]) -> str:
    with Veo(api_key=veo_mock.api_key, base_url=veo_mock.url) as client:
        task = client.create(PROMPT)
        client.get(task)
    return task.id


def test_status_shows_the_task(run_veo: Run, finished_task: str) -> None:
    plain = run_veo("status", finished_task)
    as_json = run_veo("status", finished_task, "--json")

    assert plain.stdout.startswith(f"{finished_task}\tsucceeded 100%")
    assert ("succeeded", finished_task) == (
        only_json(as_json.stdout)["state"],
        only_json(as_json.stdout)["id"],
    )


def test_status_shows_the_vendors_times_and_action(
    run_veo: Run, finished_task: str, veo_mock: MockServer
) -> None:
    created = veo_mock.state.tasks[finished_task].create_time

    plain = run_veo("status", finished_task)
    shown = only_json(run_veo("status", finished_task, "--json").stdout)

    moment = datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    assert moment.isoformat() == shown["created_at"]
    assert shown["updated_at"] >= shown["created_at"]
    assert "generate" == shown["action"]
    second = plain.stdout.splitlines()[1]
    assert second.startswith(f"action generate\tcreated {moment:%Y-%m-%d %H:%M:%S} UTC\tupdated ")


def test_status_of_an_unknown_task_exits_3(run_veo: Run) -> None:
    result = run_veo("status", "nope")

    assert 3 == result.returncode
    assert "NotFoundError" in one_line_error(result.stderr)


def test_wait_reports_the_final_state(run_veo: Run, finished_task: str) -> None:
    result = run_veo("wait", finished_task, "--json")

    assert "succeeded" == only_json(result.stdout)["state"]


def test_download_saves_the_video(run_veo: Run, finished_task: str, tmp_path: Path) -> None:
    result = run_veo("download", finished_task, "--out", "videos/")

    assert str(tmp_path / "videos" / f"{finished_task}.mp4") == result.stdout.strip()
    assert is_playable_mp4((tmp_path / "videos" / f"{finished_task}.mp4").read_bytes())


def test_download_json(run_veo: Run, finished_task: str) -> None:
    document = only_json(run_veo("download", finished_task, "--json").stdout)

    assert Path(document["path"]).is_file()


def test_download_of_an_unfinished_task_exits_2(run_veo: Run, veo_mock: MockServer) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)
    task = veo_mock.state.create_task({"prompt": "x"})

    result = run_veo("download", task.id)

    assert 2 == result.returncode
    assert "not succeeded" in one_line_error(result.stderr)


def test_generate_with_the_embedded_mock_needs_no_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "veo", "generate", "--mock", PROMPT, "--out", "car.mp4", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )

    assert 0 == result.returncode, result.stderr
    assert is_playable_mp4((tmp_path / "car.mp4").read_bytes())


def test_mock_command_prints_its_url_and_key(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "veo", "mock", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        document = only_json(server.stdout.readline())
    finally:
        server.terminate()
        server.communicate(timeout=10)

    assert document["url"].startswith("http://127.0.0.1:")
    assert "mock-key" == document["api_key"]


def test_version(run_veo: Run) -> None:
    assert run_veo("--version").stdout.startswith("veo ")


def test_a_proxy_url_that_cannot_be_used_exits_2_naming_the_variable(
    run_veo: Run, veo_env: dict[str, str]
) -> None:
    result = run_veo("status", "t1", env={**veo_env, "HTTPS_PROXY": "ftp://proxy.test:21"})

    assert 2 == result.returncode
    assert "ConfigurationError: HTTPS_PROXY: " in result.stderr
    assert "Traceback" not in result.stderr
