"""The mock answers in the vendor's published shape, and the checks notice when it does not."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from veo.mock import Lifecycle
from veo.mock._state import Task
from veo.testing import MockServer

from ..helpers import mp4_movie

VENDOR_FIELDS = {"id", "state", "data", "progress", "create_time", "update_time"}
VENDOR_FIELDS |= {"message", "action"}


def create(server: MockServer, **extra: Any) -> str:
    body = {"model": "veo3.1-fast", "prompt": "a cat", **extra}
    answer = httpx.post(
        f"{server.url}/v1/videos/generations", json=body, headers={"Authorization": server.api_key}
    )
    assert 200 == answer.status_code, answer.text
    task_id: str = answer.json()["id"]
    return task_id


def poll(server: MockServer, task_id: str) -> httpx.Response:
    return httpx.get(
        f"{server.url}/v1/videos/tasks/{task_id}", headers={"Authorization": server.api_key}
    )


def test_every_poll_carries_the_eight_vendor_fields_and_the_times_move(
    veo_mock: MockServer,
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pending_steps=1, running_steps=2)
    clock = [1000.0]
    veo_mock.state.clock = lambda: clock[0]
    task_id = create(veo_mock)
    bodies = []
    for _ in range(5):
        clock[0] += 7
        bodies.append(poll(veo_mock, task_id).json())

    assert all(VENDOR_FIELDS <= set(body) for body in bodies)
    assert ["pending", "running", "running", "succeeded", "succeeded"] == [
        b["state"] for b in bodies
    ]
    assert {bodies[0]["create_time"]} == {b["create_time"] for b in bodies}
    assert [0, 14, 21, 28, 28] == [b["update_time"] - b["create_time"] for b in bodies]
    assert {"generate"} == {b["action"] for b in bodies}
    assert [0, 0, 0, 1, 1] == [len(b["data"]["videos"]) for b in bodies]


def test_a_task_body_without_create_time_is_refused_by_response_validation(
    veo_mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Response validation against the effective spec is what keeps the mock honest: a
    body missing a field the vendor requires is a 500, not a silent pass."""
    snapshot = Task.snapshot

    def without_create_time(self: Task, *args: Any) -> dict[str, Any]:
        body = snapshot(self, *args)
        del body["create_time"]
        return body

    task_id = create(veo_mock)
    monkeypatch.setattr(Task, "snapshot", without_create_time)

    answer = poll(veo_mock, task_id)

    assert 500 == answer.status_code
    assert "create_time" in answer.text


@pytest.mark.parametrize(
    ("extra", "ratio"),
    [({}, 16 / 9), ({"aspect_ratio": "16:9"}, 16 / 9), ({"aspect_ratio": "9:16"}, 9 / 16)],
    ids=["default", "16:9", "9:16"],
)
def test_the_video_is_8_seconds_in_the_requested_aspect_ratio(
    veo_mock: MockServer, extra: dict[str, str], ratio: float
) -> None:
    task_id = create(veo_mock, **extra)

    video = httpx.get(f"{veo_mock.url}/cdn/videos/{task_id}.mp4")
    seconds, width, height = mp4_movie(video.content)

    assert 8.0 == seconds
    assert ratio == pytest.approx(width / height, rel=0.01)
    assert len(video.content) < 100_000
