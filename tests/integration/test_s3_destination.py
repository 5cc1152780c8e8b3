"""``download`` into a bucket (``veo.S3Destination``) against a real S3 API on
loopback (moto's server): the object is whole or absent, an existing key is refused
unless overwrite, and a failed download leaves no object and no open upload."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest

import veo
from veo.mock import Lifecycle, parse_rule
from veo.testing import MockServer

from ..helpers import is_playable_mp4

MakeClient = Callable[..., Any]


def finished(client: Any, veo_mock: MockServer) -> veo.VideoTask:
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)
    return client.wait(client.create("a cat"), timeout=10)  # type: ignore[no-any-return]


def keys(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def open_uploads(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_multipart_uploads(Bucket=bucket)
    return [upload["Key"] for upload in listed.get("Uploads", [])]


def test_a_video_goes_to_its_key_whole(
    make_client: MakeClient, veo_mock: MockServer, bucket: str
) -> None:
    client = make_client()
    task = finished(client, veo_mock)

    location = client.download(task, veo.S3Destination(f"s3://{bucket}/out/"))

    assert f"s3://{bucket}/out/{task.id}.mp4" == location
    assert [f"out/{task.id}.mp4"] == keys(bucket)
    body = boto3.client("s3").get_object(Bucket=bucket, Key=f"out/{task.id}.mp4")
    assert is_playable_mp4(body["Body"].read())
    assert "video/mp4" == body["ContentType"]
    assert [] == open_uploads(bucket)


def test_an_existing_key_is_refused_before_any_request_unless_overwrite(
    make_client: MakeClient, veo_mock: MockServer, bucket: str
) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key="mine.mp4", Body=b"mine")
    client = make_client()
    task = finished(client, veo_mock)
    destination = veo.S3Destination(f"s3://{bucket}/mine.mp4")
    videos_before = veo_mock.state.requests_per_route()["video"]

    with pytest.raises(veo.DestinationExistsError):
        client.download(task, destination)
    untouched = boto3.client("s3").get_object(Bucket=bucket, Key="mine.mp4")["Body"].read()
    client.download(task, destination, overwrite=True)

    assert b"mine" == untouched
    assert videos_before + 1 == veo_mock.state.requests_per_route()["video"]
    replaced = boto3.client("s3").get_object(Bucket=bucket, Key="mine.mp4")["Body"].read()
    assert is_playable_mp4(replaced)


def test_a_video_cut_short_leaves_no_object_and_no_open_upload(
    make_client: MakeClient, veo_mock: MockServer, bucket: str
) -> None:
    veo_mock.faults.add(parse_rule("truncated-video,route=create"))  # its video is cut
    client = make_client()
    task = finished(client, veo_mock)

    with pytest.raises(veo.APIConnectionError):  # the host hung up, on every retry
        client.download(task, veo.S3Destination(f"s3://{bucket}/out/"))

    assert [] == keys(bucket)
    assert [] == open_uploads(bucket)


def test_a_bucket_that_does_not_exist_is_a_download_error_naming_it(
    make_client: MakeClient, veo_mock: MockServer, s3_env: dict[str, str]
) -> None:
    client = make_client()
    task = finished(client, veo_mock)

    with pytest.raises(veo.DownloadError) as info:
        client.download(task, veo.S3Destination("s3://no-such-bucket-for-videos/out/"))

    assert "the bucket 'no-such-bucket-for-videos' does not exist" in str(info.value)
    assert task.id == info.value.task_id


def test_generate_says_a_bucket_is_downloads_before_paying(
    make_client: MakeClient, veo_mock: MockServer, bucket: str
) -> None:
    with pytest.raises(veo.InvalidRequestError, match="S3Destination"):
        make_client().generate("a cat", dest=veo.S3Destination(f"s3://{bucket}/out/"))  # type: ignore[arg-type]

    assert 0 == veo_mock.state.tasks_created


def test_preflight_checks_the_bucket_and_a_named_key_before_paying(
    bucket: str, s3_env: dict[str, str]
) -> None:
    boto3.client("s3").put_object(Bucket=bucket, Key="taken.mp4", Body=b"mine")
    prefix = veo.S3Destination(f"s3://{bucket}/out/")

    prefix.preflight(overwrite=False)  # a prefix: the name comes with the task
    veo.S3Destination(f"s3://{bucket}/taken.mp4").preflight(overwrite=True)
    with pytest.raises(veo.DestinationExistsError):
        veo.S3Destination(f"s3://{bucket}/taken.mp4").preflight(overwrite=False)
    with pytest.raises(veo.DownloadError, match="does not exist"):
        veo.S3Destination("s3://no-such-bucket-for-preflight/out/").preflight(overwrite=False)

    named = prefix.named("scene.mp4")
    assert f"s3://{bucket}/out/scene.mp4" == named.location
    assert f"S3Destination('s3://{bucket}/out/')" == repr(prefix)
    assert not named.exists()
    assert veo.S3Destination(f"s3://{bucket}/taken.mp4").exists()


class Refusing:
    """A boto3-like client whose every call the storage refuses with ``code``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __getattr__(self, name: str) -> Any:
        from botocore.exceptions import ClientError

        def refused(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, name)

        return refused


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("AccessDenied", "the storage refused it (AccessDenied)"),
        ("SlowDown", "the storage answered SlowDown"),
    ],
)
def test_a_storage_refusal_is_named_by_its_code_and_creates_or_writes_nothing(
    make_client: MakeClient, veo_mock: MockServer, code: str, said: str
) -> None:
    uploader = veo.S3Uploader("s3://bucket/in", client=Refusing(code))
    with pytest.raises(veo.UploadError, match=re.escape(said)):
        uploader.upload(veo.LocalImage.read(b"\x89PNG\r\n\x1a\n", "image_urls[0]"))
    client = make_client()
    task = finished(client, veo_mock)

    with pytest.raises(veo.DownloadError, match=re.escape(said)) as info:
        client.download(task, veo.S3Destination("s3://bucket/out/", client=Refusing(code)))

    assert "S3Uploader('s3://bucket/in/')" == repr(uploader)
    assert task.id == info.value.task_id


def test_upload_progress_is_reported_and_a_bad_expiry_refused(bucket: str) -> None:
    seen: list[int] = []
    uploader = veo.S3Uploader(
        f"s3://{bucket}/in", on_progress=lambda image, sent: seen.append(sent)
    )

    uploader.upload(veo.LocalImage.read(b"\x89PNG\r\n\x1a\n" + bytes(1000), "image_urls[0]"))

    assert 1008 == seen[-1]
    with pytest.raises(veo.ConfigurationError, match="expires"):
        veo.S3Uploader(f"s3://{bucket}/in", expires=8 * 24 * 3600)
