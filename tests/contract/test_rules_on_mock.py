"""Each rule a schema cannot (fully) express: the mock answers 400 naming the field.

These are the cases the schemathesis hook filters out of positive generation.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from veo.testing import MockServer

IMG = "https://img.test/a.jpg"
BASE = {"model": "veo3.1-fast", "prompt": "a cat"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"prompt": "   "}, "prompt"),
        ({"generation_type": "FIRST&LAST"}, "image_urls"),
        ({"generation_type": "FIRST&LAST", "image_urls": [IMG] * 3}, "image_urls"),
        ({"generation_type": "REFERENCE"}, "image_urls"),
        (
            {"generation_type": "REFERENCE", "image_urls": [IMG], "aspect_ratio": "9:16"},
            "aspect_ratio",
        ),
        ({"image_urls": [IMG] * 4}, "image_urls"),
        ({"image_urls": ["ftp://img.test/a.jpg"]}, "image_urls"),
        ({"image_urls": ["https://user:pw@img.test/a.jpg"]}, "image_urls"),
        ({"image_urls": ["https://img.test:99999/a.jpg"]}, "image_urls"),
        ({"duration": 7}, "duration"),
        ({"model": "veo2"}, "model"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"generation_type": "VIDEO"}, "generation_type"),
    ],
)
def test_rule_violations_get_400_naming_the_field(
    veo_mock: MockServer, extra: dict[str, Any], field: str
) -> None:
    response = httpx.post(
        f"{veo_mock.url}/v1/videos/generations",
        json={**BASE, **extra},
        headers={"Authorization": veo_mock.api_key},
    )

    assert 400 == response.status_code
    assert field in response.text
    assert 0 == veo_mock.state.tasks_created


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"\xff\xfe\x00\x01", "application/json"),
        (b"not json", "application/json"),
        (b'{"model": "veo3.1-fast", "prompt": "a\xe9"}', "application/json"),
        (b"", "application/json"),
    ],
)
def test_bodies_that_are_not_utf8_json_get_a_4xx_problem(
    veo_mock: MockServer, content: bytes, content_type: str
) -> None:
    response = httpx.post(
        f"{veo_mock.url}/v1/videos/generations",
        content=content,
        headers={"Authorization": veo_mock.api_key, "Content-Type": content_type},
    )

    assert 400 == response.status_code
    assert response.headers["content-type"].startswith("application/problem+json")


def test_missing_key_is_401_and_wrong_key_is_401(veo_mock: MockServer) -> None:
    url = f"{veo_mock.url}/v1/videos/generations"

    assert 401 == httpx.post(url, json=BASE).status_code
    assert 401 == httpx.post(url, json=BASE, headers={"Authorization": "nope"}).status_code
    assert 0 == veo_mock.state.tasks_created


def test_video_route_serves_ranges(veo_mock: MockServer) -> None:
    task = veo_mock.state.create_task({"prompt": "x"})
    url = f"{veo_mock.url}/cdn/videos/{task.id}.mp4"

    whole = httpx.get(url)
    part = httpx.get(url, headers={"Range": "bytes=4-11"})
    tail = httpx.get(url, headers={"Range": "bytes=-4"})
    beyond = httpx.get(url, headers={"Range": f"bytes={len(whole.content)}-"})

    assert (200, "video/mp4", "bytes") == (
        whole.status_code,
        whole.headers["content-type"],
        whole.headers["accept-ranges"],
    )
    assert (206, whole.content[4:12]) == (part.status_code, part.content)
    assert f"bytes 4-11/{len(whole.content)}" == part.headers["content-range"]
    assert whole.content[-4:] == tail.content
    assert 416 == beyond.status_code
    assert 0 == veo_mock.state.video_requests_with_authorization()


def test_video_route_records_an_authorization_header(veo_mock: MockServer) -> None:
    task = veo_mock.state.create_task({"prompt": "x"})

    httpx.get(f"{veo_mock.url}/cdn/videos/{task.id}.mp4", headers={"Authorization": "k"})

    assert 1 == veo_mock.state.video_requests_with_authorization()


def test_time_paced_lifecycle_and_its_unix_times() -> None:
    from veo.mock import Lifecycle, MockState

    clock = [0.0]
    state = MockState(lifecycle=Lifecycle(pace="time", pending_steps=10, running_steps=20))
    state.clock = lambda: clock[0]
    task = state.create_task({"prompt": "x"})
    seen = []
    for now in (5.0, 15.0, 25.0, 31.0, 40.0):
        clock[0] = now
        seen.append(task.snapshot(state, "u"))

    assert ["pending", "running", "running", "succeeded", "succeeded"] == [s["state"] for s in seen]
    assert [0, 15, 25, 31, 31] == [s["update_time"] - s["create_time"] for s in seen]
    assert {"generate"} == {s["action"] for s in seen}


def test_reset_restores_the_servers_configuration(veo_mock: MockServer) -> None:
    from veo.mock import Lifecycle

    original = veo_mock.state.lifecycle
    veo_mock.state.lifecycle = Lifecycle(pace="time")
    veo_mock.state.api_keys = frozenset({"other"})

    veo_mock.reset()

    assert (original, frozenset({veo_mock.api_key})) == (
        veo_mock.state.lifecycle,
        veo_mock.state.api_keys,
    )
