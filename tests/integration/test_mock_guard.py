"""The mock never answers 500, and a refused request creates nothing.

Caught in the code before the fix: 500 for deeply nested JSON (RecursionError) and for
a POST without ``Content-Type`` (AttributeError); a 50 MB body created a task; a 1 MB
header was accepted.
"""

from __future__ import annotations

import json

import httpx
import pytest

from veo.testing import MockServer

from ..helpers import vendor_example

CREATE = "/v1/videos/generations"


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def body_with(**extra: object) -> bytes:
    return json.dumps({**vendor_example(), **extra}).encode()


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (deep(100_000), "application/json", 400),
        (body_with(extra_body=json.loads(deep(40))), "application/json", 400),
        (body_with(), None, 415),
        (body_with(), "text/plain", 415),
        (b'{"prompt": "\xff\xfe"}', "application/json", 400),
        (b'{"prompt": ', "application/json", 400),
        (body_with(pad="x" * (2 * 1024 * 1024)), "application/json", 413),
    ],
    ids=["nested-100000", "nested-40", "no-content-type", "text-plain", "not-utf8", "cut", "2MB"],
)
def test_bad_bodies_are_4xx_and_create_nothing(
    veo_mock: MockServer, content: bytes, content_type: str | None, status: int
) -> None:
    headers = {"Authorization": veo_mock.api_key}
    if content_type:
        headers["Content-Type"] = content_type

    response = httpx.post(veo_mock.url + CREATE, content=content, headers=headers, timeout=30)

    assert (status, 0) == (response.status_code, veo_mock.state.tasks_created)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_oversized_headers_are_431(veo_mock: MockServer, method: str) -> None:
    headers = {"Authorization": veo_mock.api_key, "X-Padding": "x" * (1024 * 1024)}

    response = httpx.request(
        method, veo_mock.url + CREATE, content=body_with(), headers=headers, timeout=30
    )

    assert (431, 0) == (response.status_code, veo_mock.state.tasks_created)


def test_a_good_request_still_creates_one_task(veo_mock: MockServer) -> None:
    headers = {"Authorization": veo_mock.api_key, "Content-Type": "application/json"}

    response = httpx.post(veo_mock.url + CREATE, content=body_with(), headers=headers)

    assert (200, 1) == (response.status_code, veo_mock.state.tasks_created)
