"""``veo check``: the service tested against the spec, free unless told to spend."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from veo.check import run_check
from veo.mock import Lifecycle, parse_rule
from veo.testing import MockServer

from .conftest import Run, only_json


def check(run_veo: Run, *args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    result = run_veo("check", *args, "--json", **kwargs)
    return result.returncode, only_json(result.stdout)


def drifted_paths(report: dict[str, Any]) -> set[str]:
    return {drift["path"] for check in report["checks"] for drift in check["drifts"]}


def test_a_healthy_service_passes_every_free_check_and_nothing_is_created(
    run_veo: Run, veo_mock: MockServer
) -> None:
    code, report = check(run_veo)

    assert (0, "pass") == (code, report["status"])
    assert {"no-key", "key"} == {c["name"] for c in report["checks"]}
    assert all(c["status"] == "pass" for c in report["checks"])
    assert 0 == veo_mock.state.tasks_created


@pytest.mark.parametrize(
    ("fault", "path"),
    [
        ("drift-missing-field", "create_time"),
        ("drift-wrong-type", "progress"),
        ("drift-unknown-state", "state"),
        ("drift-error-shape", "error"),
        ("drift-bearer", "Authorization"),
    ],
)
def test_each_drift_is_named_by_its_field_path_and_exits_7(
    run_veo: Run, veo_mock: MockServer, fault: str, path: str
) -> None:
    task = veo_mock.state.create_task({"model": "veo3.1-fast", "prompt": "a cat"})
    veo_mock.faults.add(parse_rule(fault))

    code, report = check(run_veo, "--task", task.id)

    assert (7, "drift") == (code, report["status"])
    assert path in drifted_paths(report)
    assert 1 == veo_mock.state.tasks_created  # the check created nothing itself


def test_a_drift_report_says_what_came_instead(run_veo: Run, veo_mock: MockServer) -> None:
    task = veo_mock.state.create_task({"model": "veo3.1-fast", "prompt": "a cat"})
    veo_mock.faults.add(parse_rule("drift-wrong-type"))

    result = run_veo("check", "--task", task.id)

    assert 7 == result.returncode
    assert "drift (task): progress: the spec says integer (observed: string)" in result.stdout
    assert "result: drift" in result.stdout


def test_spend_1_creates_exactly_one_task_and_reports_its_timings(
    run_veo: Run, veo_mock: MockServer
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pending_steps=1, running_steps=2)

    code, report = check(run_veo, "--spend", "1", "--yes", "--poll-interval", "0.01")

    assert (0, "pass") == (code, report["status"])
    assert 1 == veo_mock.state.tasks_created
    (run,) = report["spend"]
    assert run["task_id"] in veo_mock.state.tasks
    assert all(run[k] is not None for k in ("queue_seconds", "generation_seconds"))
    assert run["download_seconds"] is not None
    assert run["video_bytes"] > 0
    assert {"spend-create", "spend-video"} <= {c["name"] for c in report["checks"]}


def test_spend_without_yes_and_no_terminal_refuses_and_creates_nothing(
    run_veo: Run, veo_mock: MockServer
) -> None:
    result = run_veo("check", "--spend", "2")

    assert 2 == result.returncode
    assert "2 video(s) will be generated" in result.stderr
    assert "not confirmed; nothing was created" in result.stderr
    assert 0 == veo_mock.state.tasks_created
    assert [] == veo_mock.state.log


def test_saved_exchanges_never_hold_the_key_even_when_the_service_echoes_it(
    run_veo: Run, veo_env: dict[str, str], tmp_path: Path
) -> None:
    key = "sk-Zq7Wx3Pv9Lm2Kt8R"
    with MockServer(api_key=key) as server:
        server.faults.add(parse_rule("drift-bearer"))
        env = {**veo_env, "DUOMI_BASE_URL": server.url, "DUOMI_API_KEY": key}
        result = run_veo("check", "--save", str(tmp_path / "saved"), "--json", env=env)
        echoed = [e for e in server.state.log if e.status == 401]

    saved = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "saved").iterdir()}
    assert 7 == result.returncode
    assert echoed, "the drift fault answered 401 echoing the key"
    assert saved
    assert [] == [name for name, text in saved.items() if key in text or key[3:11] in text]
    assert key not in result.stdout + result.stderr


def test_an_unreachable_service_fails_with_exit_3(run_veo: Run, veo_env: dict[str, str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**veo_env, "DUOMI_BASE_URL": f"http://127.0.0.1:{port}"}

    code, report = check(run_veo, env=env)

    assert (3, "fail") == (code, report["status"])
    assert "could not be reached" in report["checks"][-1]["detail"]


def test_a_refused_key_fails_with_exit_3(run_veo: Run, veo_env: dict[str, str]) -> None:
    code, report = check(run_veo, env={**veo_env, "DUOMI_API_KEY": "sk-not-the-right-key-1"})

    assert (3, "fail") == (code, report["status"])
    assert "the key was refused" in report["checks"][-1]["detail"]


def test_the_python_entry_point_returns_the_report(veo_mock: MockServer) -> None:
    report = run_check(api_key=veo_mock.api_key, base_url=veo_mock.url)

    assert "pass" == report.status
    assert veo_mock.url == report.base_url
    assert report.exchanges
    assert all(e.status for e in report.exchanges)  # every probe was answered
