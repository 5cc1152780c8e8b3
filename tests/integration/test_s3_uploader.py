"""``veo.S3Uploader`` against a real S3 API on loopback (moto's server): stored once per
content, fetched through its presigned URL, and every failure an ``UploadError`` that
creates nothing and shows no secret."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import httpx
import pytest

import veo
from veo.testing import MockServer

from ..conftest import STORAGE_SECRET
from ..helpers import HangUpServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(200))


def image(data: bytes, name: str = "frame.png") -> veo.LocalImage:
    return veo.LocalImage.read(data, "image_urls[0]")


def puts(uploader: veo.S3Uploader) -> list[str]:
    """Every PutObject the uploader's client sends, from now on."""
    seen: list[str] = []
    client = uploader._client
    client.meta.events.register(
        "before-call.s3.PutObject", lambda params, **_: seen.append(params["url_path"])
    )
    return seen


def test_an_image_is_stored_once_under_its_hash_and_fetched_by_its_presigned_url(
    bucket: str,
) -> None:
    uploader = veo.S3Uploader(f"s3://{bucket}/in")
    sent = puts(uploader)

    urls = [uploader.upload(image(PNG)) for _ in range(3)]
    again = veo.S3Uploader(f"s3://{bucket}/in")  # another process: finds it there
    again_puts = puts(again)
    again.upload(image(PNG))
    fetched = httpx.get(urls[0])

    assert 1 == len(sent)
    assert [] == again_puts
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert [f"in/{image(PNG).sha256}.png"] == keys
    assert 200 == fetched.status_code
    assert PNG == fetched.content
    assert "image/png" == fetched.headers["content-type"]
    assert "X-Amz-Expires=86400" in urls[0]


def test_a_public_bucket_gets_its_public_url_and_no_signature(bucket: str) -> None:
    uploader = veo.S3Uploader(f"s3://{bucket}", public_url="https://cdn.example.com/media/")

    url = uploader.upload(image(JPEG))

    assert f"https://cdn.example.com/media/{image(JPEG).sha256}.jpg" == url


@pytest.mark.parametrize("location", ["bucket", "https://bucket/x", "s3://", "s3://b/x?y=1"])
def test_a_location_that_is_not_an_s3_url_is_refused(location: str, s3_env: dict[str, str]) -> None:
    with pytest.raises(veo.ConfigurationError, match="s3://bucket"):
        veo.S3Uploader(location)


def failure(uploader: veo.S3Uploader, caplog: pytest.LogCaptureFixture) -> str:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(veo.UploadError) as info:
        uploader.upload(image(PNG))
    said = str(info.value)
    for shown in (said, repr(info.value), caplog.text):
        assert STORAGE_SECRET not in shown
    return said


def test_a_bucket_that_does_not_exist_is_named(
    s3_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    said = failure(veo.S3Uploader("s3://no-such-bucket-here/in"), caplog)

    assert "the bucket 'no-such-bucket-here' does not exist" in said
    assert said.endswith("nothing was created")


def test_missing_credentials_say_where_they_come_from(
    s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    said = failure(veo.S3Uploader("s3://any-bucket/in"), caplog)

    assert "no storage credentials" in said
    assert "AWS_ACCESS_KEY_ID" in said


def test_a_storage_endpoint_that_hangs_up_mid_upload_creates_no_task(
    s3_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    veo_mock: MockServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with HangUpServer() as storage:
        monkeypatch.setenv("AWS_ENDPOINT_URL", storage.url)
        uploader = veo.S3Uploader("s3://bucket/in")
        (tmp_path / "frame.png").write_bytes(PNG)
        with veo_mock.client(uploader=uploader) as client, pytest.raises(veo.UploadError) as info:
            client.create("a cat", image_urls=[tmp_path / "frame.png"])  # type: ignore[list-item]

    assert "image_urls[0]: frame.png: could not be uploaded to s3://bucket/in/" in str(info.value)
    assert "the storage could not be reached, or hung up" in str(info.value)
    assert 0 == veo_mock.state.tasks_created
    assert STORAGE_SECRET not in caplog.text


def test_without_the_extra_one_line_names_the_pip_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_boto3(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] in ("boto3", "botocore"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_boto3)

    with pytest.raises(veo.ConfigurationError) as info:
        veo.S3Uploader("s3://bucket/in")

    assert "the S3 support needs the s3 extra: pip install 'duomi-veo[s3]'" == str(info.value)


def test_the_mock_fetches_uploaded_images_through_their_presigned_urls(
    bucket: str, veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.state.fetch_images = True
    (tmp_path / "first.png").write_bytes(PNG)
    (tmp_path / "last.jpg").write_bytes(JPEG)
    uploader = veo.S3Uploader(f"s3://{bucket}/in")

    with veo_mock.client(uploader=uploader) as client:
        result = client.generate(
            "a cat",
            image_urls=[tmp_path / "first.png", tmp_path / "last.jpg"],
            dest=tmp_path,  # type: ignore[list-item]
        )

    (task,) = veo_mock.state.tasks.values()
    assert all("X-Amz-Signature=" in url for url in task.body["image_urls"])
    assert result.path.exists()
    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]}
    assert {f"in/{image(PNG).sha256}.png", f"in/{image(JPEG).sha256}.jpg"} == keys


@pytest.mark.parametrize(
    ("object_body", "said"),
    [
        (None, "fetching it answered 404"),
        (b"not an image", "what it answered is not a PNG, JPEG or WebP image"),
    ],
    ids=["no-such-object", "not-an-image"],
)
def test_an_image_the_mock_cannot_use_fails_the_task_saying_which(
    bucket: str, veo_mock: MockServer, tmp_path: Path, object_body: bytes | None, said: str
) -> None:
    veo_mock.state.fetch_images = True
    s3 = boto3.client("s3")
    if object_body is not None:
        s3.put_object(Bucket=bucket, Key="x.png", Body=object_body)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "x.png"})

    with veo_mock.client() as client, pytest.raises(veo.TaskFailedError) as info:
        client.generate("a cat", image_urls=[url], dest=tmp_path)

    assert f"image_urls[0] could not be used: {said}" in str(info.value)
    assert [] == list(tmp_path.iterdir())
