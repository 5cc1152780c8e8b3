"""Local images through the client's uploader: read and checked before anything is
uploaded, uploaded before the create, never a create when an image or its upload
fails (no HTTP: the FakeService transport)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import veo

from ..conftest import ClientOptions
from .conftest import FakeService

MakeClient = Callable[..., Any]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32


class Bucket:
    """An uploader that keeps what it is given, at a URL made of its hash."""

    def __init__(self, fail: Exception | None = None, url: str | None = None) -> None:
        self.images: list[veo.LocalImage] = []
        self.fail = fail
        self.url = url

    def upload(self, image: veo.LocalImage) -> str:
        self.images.append(image)
        if self.fail is not None:
            raise self.fail
        return self.url or f"https://bucket.test/{image.sha256}{image.suffix}"


class AsyncBucket(Bucket):
    async def upload(self, image: veo.LocalImage) -> str:  # type: ignore[override]
        return Bucket.upload(self, image)


def sent_images(service: FakeService) -> list[str]:
    (create,) = service.sent("create")
    images: list[str] = json.loads(create.content)["image_urls"]
    return images


def test_paths_path_strings_and_bytes_are_uploaded_then_sent_as_urls(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    (tmp_path / "first.png").write_bytes(PNG)
    (tmp_path / "ref.webp").write_bytes(WEBP)
    bucket = Bucket()

    make_client(uploader=bucket).create(
        "a cat",
        generation_type="REFERENCE",
        image_urls=[tmp_path / "first.png", str(tmp_path / "ref.webp"), JPEG],  # type: ignore[list-item]
    )

    assert [("first.png", "image/png"), ("ref.webp", "image/webp"), ("bytes", "image/jpeg")] == [
        (image.name, image.content_type) for image in bucket.images
    ]
    assert hashlib.sha256(PNG).hexdigest() == bucket.images[0].sha256
    assert [f"https://bucket.test/{i.sha256}{i.suffix}" for i in bucket.images] == sent_images(
        service
    )


def test_urls_pass_untouched_beside_local_images(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    (tmp_path / "last.png").write_bytes(PNG)
    bucket = Bucket()

    make_client(uploader=bucket).create(
        "a cat", image_urls=["https://img.test/first.jpg", str(tmp_path / "last.png")]
    )

    assert "https://img.test/first.jpg" == sent_images(service)[0]
    assert 1 == len(bucket.images)


def test_the_async_client_awaits_an_async_uploader(
    service: FakeService, client_options: ClientOptions
) -> None:
    import asyncio

    bucket = AsyncBucket()

    async def create() -> None:
        async with veo.AsyncVeo(**client_options("async"), uploader=bucket) as client:
            await client.create("a cat", image_urls=[PNG])  # type: ignore[list-item]

    asyncio.run(create())

    assert [f"https://bucket.test/{bucket.images[0].sha256}.png"] == sent_images(service)


def test_without_an_uploader_a_local_image_is_refused_saying_how(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    (tmp_path / "frame.png").write_bytes(PNG)

    with pytest.raises(veo.InvalidRequestError) as info:
        make_client().create("a cat", image_urls=[str(tmp_path / "frame.png")])

    assert "uploader" in str(info.value)
    assert [] == service.requests


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"hello, not an image", "notes.png is not a PNG, JPEG, WebP image"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "is not a PNG, JPEG, WebP image"),
    ],
    ids=["text", "riff-but-not-webp"],
)
def test_an_image_of_another_kind_is_refused_naming_it_before_any_upload(
    make_client: MakeClient, service: FakeService, tmp_path: Path, content: bytes, said: str
) -> None:
    (tmp_path / "notes.png").write_bytes(content)
    bucket = Bucket()

    with pytest.raises(veo.InvalidRequestError) as info:
        make_client(uploader=bucket).create("a cat", image_urls=[tmp_path / "notes.png"])  # type: ignore[list-item]

    assert said in str(info.value)
    assert "image_urls[0]" in str(info.value)
    assert [] == bucket.images
    assert [] == service.requests


def test_a_request_that_breaks_a_rule_uploads_nothing(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    bucket = Bucket()

    with pytest.raises(veo.InvalidRequestError, match="FIRST&LAST"):
        make_client(uploader=bucket).create(
            "a cat",
            generation_type="FIRST&LAST",
            image_urls=[tmp_path / "a.png"] * 3,  # type: ignore[list-item]
        )

    assert [] == bucket.images
    assert [] == service.requests


def test_an_image_over_the_size_limit_is_refused_before_reading_it_all(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.write(PNG)
        handle.truncate(veo._images.MAX_IMAGE_BYTES + 1)  # sparse

    with pytest.raises(
        veo.InvalidRequestError, match=r"big\.png: 20971521 bytes; files of at most 20971520 bytes"
    ):
        make_client(uploader=Bucket()).create("a cat", image_urls=[big])  # type: ignore[list-item]

    assert [] == service.requests


@pytest.mark.parametrize(
    ("bucket", "said"),
    [
        (
            Bucket(fail=ConnectionResetError("storage hung up")),
            "ConnectionResetError: storage hung up",
        ),
        (Bucket(fail=veo.UploadError("no such bucket 'x'")), "no such bucket 'x'"),
        (Bucket(url="s3://bucket/a.png"), "the uploader returned no usable URL"),
    ],
    ids=["raises", "upload-error", "not-a-url"],
)
def test_an_upload_that_fails_creates_nothing(
    make_client: MakeClient, service: FakeService, tmp_path: Path, bucket: Bucket, said: str
) -> None:
    with pytest.raises(veo.UploadError) as info:
        make_client(uploader=bucket).create("a cat", image_urls=[PNG])  # type: ignore[list-item]

    assert said in str(info.value)
    assert [] == service.requests
