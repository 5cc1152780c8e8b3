"""The whole job against the live mock: each generation type and the vendor's example."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import veo
from veo.mock import Lifecycle
from veo.testing import MockServer

from ..helpers import is_playable_mp4, vendor_example

ROOT = Path(__file__).resolve().parents[2]
IMAGES = [f"https://img.test/{i}.jpg" for i in range(3)]


@pytest.mark.parametrize(
    ("fields", "mode"),
    [
        ({"prompt": "a lighthouse at dusk", "aspect_ratio": "9:16"}, "TEXT"),
        ({"prompt": "the flower blooms", "image_urls": IMAGES[:2]}, "FIRST&LAST"),
        ({"prompt": "they dance", "image_urls": IMAGES[:3]}, "REFERENCE"),
        (
            {"prompt": "one element", "image_urls": IMAGES[:1], "generation_type": "REFERENCE"},
            "REFERENCE",
        ),
    ],
)
def test_generate_each_mode_end_to_end(
    make_client: Callable[..., Any],
    veo_mock: MockServer,
    tmp_path: Path,
    fields: dict[str, Any],
    mode: str,
) -> None:
    seen: list[veo.VideoTask] = []

    result = make_client().generate(**fields, dest=tmp_path, timeout=30, on_progress=seen.append)

    (task,) = veo_mock.state.tasks.values()
    assert mode == task.body["generation_type"]
    assert result.task.id == task.id
    assert result.path == tmp_path / f"{task.id}.mp4"
    assert is_playable_mp4(result.path.read_bytes())
    assert [veo.TaskState.PENDING, veo.TaskState.RUNNING] == [s.state for s in seen[:2]]
    assert 100 == seen[-1].progress
    assert 0 == veo_mock.state.video_requests_with_authorization()
    assert [] == [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_vendor_example_passes_facade_and_mock_unchanged(
    make_client: Callable[..., Any], veo_mock: MockServer, tmp_path: Path
) -> None:
    example = vendor_example()

    with pytest.warns(UserWarning, match="TEXT does not use images"):
        result = make_client().generate(
            example["prompt"],
            image_urls=example["image_urls"],
            generation_type=example["generation_type"],
            aspect_ratio=example["aspect_ratio"],
            model=example["model"],
            duration=example["duration"],
            dest=tmp_path / "car.mp4",
            timeout=30,
        )

    assert example == veo_mock.state.tasks[result.task.id].body
    assert is_playable_mp4((tmp_path / "car.mp4").read_bytes())


def test_bearer_prefixed_key_is_accepted(make_client: Callable[..., Any]) -> None:
    assert veo.TaskState.PENDING == make_client(bearer=True).create("a cat").state


def test_wrong_key_is_an_authentication_error(
    make_client: Callable[..., Any], veo_mock: MockServer
) -> None:
    with pytest.raises(veo.AuthenticationError):
        make_client(api_key="wrong-key").create("a cat")

    assert 0 == veo_mock.state.tasks_created


def test_unknown_task_is_not_found(make_client: Callable[..., Any]) -> None:
    with pytest.raises(veo.NotFoundError, match="not found"):
        make_client().get("no-such-task")


def test_mock_rejects_what_the_facade_would_refuse(veo_mock: MockServer) -> None:
    import httpx

    body = {
        "model": "veo3.1-fast",
        "prompt": "p",
        "generation_type": "REFERENCE",
        "aspect_ratio": "9:16",
    }
    with warnings.catch_warnings():
        response = httpx.post(
            f"{veo_mock.url}/v1/videos/generations",
            json=body,
            headers={"Authorization": "mock-key"},
        )

    assert 400 == response.status_code
    assert {"image_urls", "aspect_ratio"} == {p["field"] for p in response.json()["problems"]}


def test_a_cancelled_async_generate_stays_a_cancellation_and_names_the_paid_task(
    veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught before: paid_task caught Exception only; a cancellation during the wait
    left without the task's id."""
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)

    async def cancel_during_the_wait() -> BaseException:
        async with veo.AsyncVeo(veo_mock.api_key, base_url=veo_mock.url) as client:
            job = asyncio.create_task(client.generate("a cat", dest=tmp_path))
            while not veo_mock.state.requests_per_route().get("get"):
                await asyncio.sleep(0.01)
            job.cancel()
            try:
                await job
            except asyncio.CancelledError as exc:
                return exc
        raise AssertionError("not cancelled")

    cancelled = asyncio.run(cancel_during_the_wait())

    (task_id,) = veo_mock.state.tasks
    assert task_id == cancelled.task_id  # type: ignore[attr-defined]
    assert any(f"veo download {task_id}" in note for note in cancelled.__notes__)
