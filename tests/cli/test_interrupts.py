"""Ctrl-C during ``veo generate``, as a real SIGINT to a real process: the paid task's
id and the command that recovers it are printed, the exit code is 130, and with
``--json`` one document says the same."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from veo.mock import Lifecycle, parse_rule
from veo.testing import MockServer

from .test_batch import start_veo


def start_generate(veo_env: dict[str, str], cwd: Path, *options: str) -> subprocess.Popen[str]:
    return start_veo(veo_env, cwd, "generate", "a cat", "--out", "videos/", *options)


def interrupt_when(process: subprocess.Popen[str], ready: object) -> tuple[str, str]:
    """SIGINT once ``ready()`` holds; then stdout and stderr."""
    deadline = time.monotonic() + 30
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command did not get there"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=30)
    finally:
        process.kill()


def test_ctrl_c_while_waiting_prints_the_paid_task_and_how_to_recover_it(
    veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)
    process = start_generate(veo_env, tmp_path)

    _, stderr = interrupt_when(process, lambda: veo_mock.state.requests_per_route()["get"] > 0)

    (task_id,) = veo_mock.state.tasks
    assert 130 == process.returncode
    assert f"recover it with: veo download {task_id}" in stderr
    assert "Traceback" not in stderr


def test_ctrl_c_with_json_writes_one_document_with_the_task_id(
    veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)
    process = start_generate(veo_env, tmp_path, "--json")

    stdout, _ = interrupt_when(process, lambda: veo_mock.state.requests_per_route()["get"] > 0)

    (task_id,) = veo_mock.state.tasks
    document = json.loads(stdout)
    assert 130 == process.returncode == document["exit_code"]
    assert task_id == document["error"]["task_id"]
    assert f"veo download {task_id}" == document["error"]["recover"]


def test_ctrl_c_while_the_create_is_in_flight_says_its_outcome_is_unknown(
    veo_env: dict[str, str], veo_mock: MockServer, tmp_path: Path
) -> None:
    # The mock holds the create for 8 s (and counts it only once answered): 3 s after
    # the start, the command is past its imports and waiting for that answer.
    veo_mock.faults.add(parse_rule("latency,route=create,latency=8"))
    started = time.monotonic()
    process = start_generate(veo_env, tmp_path, "--json")

    stdout, stderr = interrupt_when(process, lambda: time.monotonic() - started > 3)

    # The mock finishes the create it was holding: the task exists, and was paid for.
    deadline = time.monotonic() + 15
    while not veo_mock.state.tasks_created:
        assert time.monotonic() < deadline, "the held create never finished"
        time.sleep(0.05)
    document = json.loads(stdout)
    assert 130 == process.returncode == document["exit_code"]
    assert "may or may not have been created" in stderr
    assert "task_id" not in document["error"]
    assert "may or may not have been created" in document["error"]["message"]
