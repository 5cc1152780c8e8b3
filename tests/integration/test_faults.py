"""Every injectable fault → the documented outcome, and never a duplicate task."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import veo
from veo.mock import parse_rule
from veo.testing import MockServer

MakeClient = Callable[..., Any]


def inject(server: MockServer, spec: str) -> None:
    server.faults.add(parse_rule(spec))


@pytest.mark.parametrize(
    ("fault", "created", "creates_sent"),
    [
        ("reset-before,route=create,times=1", 0, 1),
        ("reset-after,route=create,times=1", 1, 1),
        ("process-then-fail,route=create,times=1", 1, 1),
        ("server-error,route=create,times=1", 0, 1),
        ("server-error,route=create,times=1,status=520", 0, 1),
        ("malformed,route=create,times=1", 1, 1),
        ("non-json,route=create,times=1", 1, 1),
    ],
)
def test_create_faults_after_sending_make_the_outcome_unknown(
    make_client: MakeClient, veo_mock: MockServer, fault: str, created: int, creates_sent: int
) -> None:
    inject(veo_mock, fault)

    with pytest.raises(veo.CreateOutcomeUnknownError):
        make_client().create("a cat")

    assert created == veo_mock.state.tasks_created
    assert creates_sent == veo_mock.state.requests_per_route()["create"]


def test_rate_limited_create_is_retried_after_retry_after(
    make_client: MakeClient, veo_mock: MockServer
) -> None:
    inject(veo_mock, "rate-limit,route=create,times=2,retry-after=0")

    task = make_client().create("a cat")

    assert task.id in veo_mock.state.tasks
    assert (1, 3) == (veo_mock.state.tasks_created, veo_mock.state.requests_per_route()["create"])


def test_rate_limit_longer_than_the_cap_surfaces_retry_after(
    make_client: MakeClient, veo_mock: MockServer
) -> None:
    inject(veo_mock, "rate-limit,route=create,times=1,retry-after=30")

    with pytest.raises(veo.RateLimitError) as info:
        make_client().create("a cat")

    assert (30.0, 0) == (info.value.retry_after, veo_mock.state.tasks_created)


def test_unsafe_create_retries_can_duplicate_and_the_counters_show_it(
    make_client: MakeClient, veo_mock: MockServer
) -> None:
    inject(veo_mock, "process-then-fail,route=create,times=1")

    make_client(unsafe_create_retries=True).create("a cat")

    assert 2 == veo_mock.state.tasks_created


@pytest.mark.parametrize(
    "fault",
    [
        "server-error,route=get,times=2",
        "server-error,route=get,times=1,status=503",
        "rate-limit,route=get,times=1,retry-after=0",
        "reset-after,route=get,times=1",
        "reset-before,route=get,times=1",
        "latency,route=get,latency=0.05,times=2",
        "oversized,route=get,times=1",
    ],
)
def test_read_faults_are_recovered(
    make_client: MakeClient, veo_mock: MockServer, tmp_path: Path, fault: str
) -> None:
    inject(veo_mock, fault)

    result = make_client().generate("a cat", dest=tmp_path, timeout=30)

    assert result.path.exists()
    assert 1 == veo_mock.state.tasks_created


@pytest.mark.parametrize("fault", ["non-json,route=get,times=1", "malformed,route=get,times=1"])
def test_garbled_task_status_is_an_unexpected_response(
    make_client: MakeClient, veo_mock: MockServer, fault: str
) -> None:
    task = make_client().create("a cat")
    inject(veo_mock, fault)

    with pytest.raises(veo.UnexpectedResponseError) as info:
        make_client().get(task)

    assert info.value.body_excerpt


def test_failed_task_raises_with_the_services_message(
    make_client: MakeClient, veo_mock: MockServer, tmp_path: Path
) -> None:
    inject(veo_mock, "task-failed")

    with pytest.raises(veo.TaskFailedError, match="content policy") as info:
        make_client().generate("a cat", dest=tmp_path, timeout=30)

    assert veo.TaskState.FAILED == info.value.task.state
    assert [] == list(tmp_path.iterdir())


def test_unknown_states_keep_polling_and_are_logged_once(
    make_client: MakeClient,
    veo_mock: MockServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inject(veo_mock, "unknown-state")
    caplog.set_level(logging.WARNING, logger="veo")

    result = make_client().generate("a cat", dest=tmp_path, timeout=30)

    assert veo.TaskState.SUCCEEDED == result.task.state
    assert 1 == sum("unknown state 'defrosting'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("spec", "status"), [("expired-link", 410), ("expired-link,status=403", 403)]
)
def test_expired_links_raise_and_leave_no_file(
    make_client: MakeClient, veo_mock: MockServer, tmp_path: Path, spec: str, status: int
) -> None:
    inject(veo_mock, spec)

    with pytest.raises(veo.VideoLinkExpiredError, match="expire") as info:
        make_client().generate("a cat", dest=tmp_path, timeout=30)

    assert status == info.value.status_code
    assert [] == list(tmp_path.iterdir())


def test_truncated_video_is_retried_then_fails_leaving_no_file(
    make_client: MakeClient, veo_mock: MockServer, tmp_path: Path
) -> None:
    inject(veo_mock, "truncated-video")

    with pytest.raises((veo.APIConnectionError, veo.DownloadError)):
        make_client().generate("a cat", dest=tmp_path / "v.mp4", timeout=30)

    assert 3 == veo_mock.state.requests_per_route()["video"]
    assert [] == list(tmp_path.iterdir())
    assert 1 == veo_mock.state.tasks_created


def test_prefer_header_picks_a_fault_per_request(veo_mock: MockServer) -> None:
    response = httpx.post(
        f"{veo_mock.url}/v1/videos/generations",
        json={"model": "veo3.1-fast", "prompt": "p"},
        headers={"Authorization": veo_mock.api_key, "Prefer": "code=503"},
    )

    assert (503, 0) == (response.status_code, veo_mock.state.tasks_created)


def test_probabilistic_faults_are_deterministic_for_a_seed() -> None:
    from veo.mock import FaultPlan

    def fired(seed: int) -> list[bool]:
        plan = FaultPlan([parse_rule("server-error,route=get,p=0.5")], seed=seed)
        return [bool(plan.pick("get")) for _ in range(20)]

    assert fired(7) == fired(7)
    assert fired(7) != fired(8)


def test_every_mock_answer_carries_a_request_id_that_errors_keep() -> None:
    with MockServer() as server, server.client() as client:
        with pytest.raises(veo.NotFoundError) as info:
            client.get("no-such-task")
        first, second = (
            httpx.get(f"{server.url}/v1/videos/tasks/x").headers["x-request-id"] for _ in "ab"
        )

    assert info.value.request_id is not None
    assert info.value.request_id.startswith("mock-req-")
    assert f"(request id {info.value.request_id})" in str(info.value)
    assert first != second
