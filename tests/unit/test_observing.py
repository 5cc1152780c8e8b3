"""``client.observing(observer)``: every exchange, as the client read it, redacted.

Every test runs for Veo and AsyncVeo over the fake service.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import veo

from .conftest import API_KEY, VIDEO, VIDEO_URL, FakeService, task_json

MakeClient = Callable[..., Any]


def test_every_exchange_of_a_generate_is_observed_in_order(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    seen: list[veo.ObservedExchange] = []
    client = make_client()

    with client.observing(seen.append):
        client.generate("a cat", dest=tmp_path)
    client.create("after the block")

    assert [
        ("createVideoGeneration", "POST", 200),
        ("getVideoTask", "GET", 200),
        (None, "GET", 200),
    ] == [(e.operation, e.method, e.status) for e in seen]
    assert {"id": "task-1"} == json.loads(seen[0].body)
    assert "a cat" == json.loads(seen[0].request_body)["prompt"]
    assert VIDEO_URL == veo.VideoTask.from_json(json.loads(seen[1].body)).video_url
    assert seen[2].body is None  # the video went to its file
    assert [1, 1, 1] == [e.attempt for e in seen]


def test_the_key_never_reaches_an_observer(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    echo = {"id": "task-1", "state": "running", "message": f"key {API_KEY} seen"}
    service.script("get", httpx.Response(200, json=echo, headers={"X-Echo": API_KEY}))
    seen: list[veo.ObservedExchange] = []
    client = make_client()

    with client.observing(seen.append):
        client.get("task-1")

    (exchange,) = seen
    assert API_KEY not in repr(exchange)
    assert API_KEY not in exchange.body.decode()
    assert "***" == exchange.request_headers["authorization"]


def test_a_failing_observer_is_logged_and_never_fails_the_call(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(exchange: veo.ObservedExchange) -> None:
        raise RuntimeError("observer bug")

    client = make_client()
    with caplog.at_level(logging.WARNING, logger="veo"), client.observing(broken):
        task = client.create("a cat")

    assert "task-1" == task.id
    assert ["an exchange observer failed"] == [r.getMessage() for r in caplog.records]


def test_an_answer_past_the_size_cap_is_observed_cut_at_the_cap(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(200, content=b"x" * 5000))
    seen: list[veo.ObservedExchange] = []
    client = make_client(max_response_bytes=1000)

    with client.observing(seen.append), pytest.raises(veo.UnexpectedResponseError):
        client.get("task-1")

    assert len(seen[0].body) <= 1000
    assert isinstance(seen[0].error, veo.UnexpectedResponseError)


def test_a_failed_exchange_is_observed_with_its_error(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(404, json={"message": "no such task"}))
    seen: list[veo.ObservedExchange] = []
    client = make_client()

    with client.observing(seen.append), pytest.raises(veo.NotFoundError):
        client.get("task-9")

    assert (404, veo.NotFoundError) == (seen[0].status, type(seen[0].error))


def test_video_bytes_are_never_held_for_an_observer(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    service.script("get", httpx.Response(200, json=task_json()))
    seen: list[veo.ObservedExchange] = []
    client = make_client()

    with client.observing(seen.append):
        path = client.download(client.get("task-1"), tmp_path)

    assert VIDEO == path.read_bytes()
    assert [None, None] != [e.body for e in seen]
    assert seen[-1].body is None
