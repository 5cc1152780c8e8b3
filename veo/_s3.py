"""``veo.S3Uploader``: local images to S3-compatible storage (AWS S3, Cloudflare R2,
MinIO, the S3 APIs of Aliyun OSS and Tencent COS), with ``boto3`` (the ``s3`` extra,
imported when an uploader is made, never by ``import veo``).

An image is stored once, under its content's SHA-256 (``<prefix><sha256>.<png|jpg|webp>``):
the same image in 500 batch jobs is one object, uploaded once (a ``HEAD`` tells whether it
is there already). The service gets a presigned ``GET`` URL that expires after
``expires`` seconds (24 hours unless said), or, for a public bucket, its public URL.

Credentials and the endpoint come from where every AWS tool looks: ``AWS_ACCESS_KEY_ID``
and ``AWS_SECRET_ACCESS_KEY`` (or ``AWS_PROFILE`` and the shared files),
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` for another provider, ``AWS_REGION``.
The API key never goes near the storage; no storage secret is in any message.
"""

from __future__ import annotations

import contextlib
import errno
import io
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from veo._download import Received
from veo._errors import ConfigurationError, DestinationExistsError, DownloadError, UploadError
from veo._images import LocalImage

__all__ = ["DEFAULT_EXPIRY", "S3Destination", "S3Uploader", "image_key", "parse_location"]

DEFAULT_EXPIRY = 24 * 3600.0
"""Seconds a presigned image URL stays valid: long enough for a slow queue."""
MAX_EXPIRY = 7 * 24 * 3600.0
"""The longest a SigV4 presigned URL may live."""
MISSING_EXTRA = "the S3 support needs the s3 extra: pip install 'duomi-veo[s3]'"
PART_BYTES = 8 * 1024 * 1024
"""Bytes of each part a video is uploaded in (S3 takes 5 MiB to 5 GiB; the last smaller)."""


def parse_location(location: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as (bucket, prefix ending in ``/`` or empty).

    Raises:
        ConfigurationError: not an ``s3://`` URL with a bucket.
    """
    parts = urlsplit(location)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"upload location: must be s3://bucket or s3://bucket/prefix, got {location!r}"
        )
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


class S3Uploader:
    """Uploads local images to a bucket and gives the service a URL to fetch them by.

    Args:
        location: ``s3://bucket`` or ``s3://bucket/prefix``.
        public_url: the bucket is public, served under this URL (``https://cdn.example.com``
            for the bucket's root): the service gets ``public_url/<key>``, never a
            presigned URL.
        expires: seconds a presigned URL stays valid (at most 7 days, SigV4's limit).
        client: a ``boto3`` S3 client of your own (your session, endpoint, retries);
            by default one from the environment.
        on_progress: called with an image and the bytes of it sent so far, as it uploads.

    Raises:
        ConfigurationError: a bad location or expiry, or the ``s3`` extra missing.
    """

    def __init__(
        self,
        location: str,
        *,
        public_url: str | None = None,
        expires: float = DEFAULT_EXPIRY,
        client: Any = None,
        on_progress: Callable[[LocalImage, int], object] | None = None,
    ) -> None:
        self.bucket, self.prefix = parse_location(location)
        if not 1 <= expires <= MAX_EXPIRY:
            raise ConfigurationError(
                f"expires: must be 1 to {MAX_EXPIRY:g} seconds (7 days), got {expires!r}"
            )
        self.public_url = public_url.rstrip("/") if public_url else None
        self.expires = expires
        self.on_progress = on_progress
        self._client = client if client is not None else environment_client()
        self._stored: set[str] = set()  # keys known to be in the bucket
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Uploader('s3://{self.bucket}/{self.prefix}')"

    def key(self, image: LocalImage) -> str:
        """Where ``image`` is stored (``image_key``)."""
        return image_key(self.prefix, image)

    def upload(self, image: LocalImage) -> str:
        """Store ``image`` (once) and return the URL the service fetches it by.

        Raises:
            UploadError: no credentials, no such bucket, refused, unreachable; naming
                the image and the bucket, never a secret.
        """
        key = self.key(image)
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one upload of one content at a time; the rest find it stored
            if key not in self._stored:
                try:
                    if not self._exists(key):
                        self._put(image, key)
                except Exception as exc:
                    raise self._failed(image, exc) from None
                self._stored.add(key)
        return self.url(key)

    def url(self, key: str) -> str:
        """The URL the service gets for ``key``: public, or presigned."""
        if self.public_url is not None:
            return f"{self.public_url}/{quote(key)}"
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=int(self.expires),
        )
        return url

    def _exists(self, key: str) -> bool:
        return _object_exists(self._client, self.bucket, key)

    def _put(self, image: LocalImage, key: str) -> None:
        sent = 0

        def progress(count: int) -> None:
            nonlocal sent
            sent += count
            if self.on_progress is not None:
                self.on_progress(image, sent)

        self._client.upload_fileobj(
            io.BytesIO(image.data),
            self.bucket,
            key,
            ExtraArgs={"ContentType": image.content_type},
            Callback=progress,
        )

    def _failed(self, image: LocalImage, exc: Exception) -> UploadError:
        """One line for a storage failure: what went wrong, where, and what to do."""
        return UploadError(
            f"{image.name}: could not be uploaded to s3://{self.bucket}/{self.prefix}: "
            f"{_reason(exc, self.bucket)}; nothing was created",
            name=image.name,
        )


def image_key(prefix: str, image: LocalImage) -> str:
    """Where an image is stored: the prefix, its SHA-256, its type's suffix."""
    return f"{prefix}{image.sha256}{image.suffix}"


def environment_client() -> Any:
    """A boto3 S3 client configured from the environment as it is now (a session of
    its own, not boto3's default one, which caches what it first saw).

    Raises:
        ConfigurationError: the ``s3`` extra is missing (one line naming the install).
    """
    try:
        import boto3
        from botocore.config import Config
    except ModuleNotFoundError:
        raise ConfigurationError(MISSING_EXTRA) from None
    config = Config(signature_version="s3v4", retries={"mode": "standard"})
    return boto3.session.Session().client("s3", config=config)


def _object_exists(client: Any, bucket: str, key: str) -> bool:
    """Whether ``key`` is in ``bucket`` (a ``HEAD``; any answer but not-found raises)."""
    from botocore.exceptions import ClientError

    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _code(exc: Any) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _unreachable(exc: Exception, cause: object) -> bool:
    """A failure of the connection itself: refused, reset, closed, timed out."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    connection = (BotoConnectionError, HTTPClientError, ConnectionError, TimeoutError)
    return isinstance(exc, connection) or isinstance(cause, connection)


class S3Destination:
    """Where ``download`` puts a video when it is not a local path: an object in
    S3-compatible storage, written as files are, whole or absent.

    The video streams into a multipart upload (parts of ``PART_BYTES``); only its
    completion makes the object appear under its key, so a download cut short, refused
    by the checks (length, MP4 boxes) or interrupted leaves nothing under the key (the
    upload is aborted; after ``kill -9``, an incomplete upload that a bucket lifecycle
    rule removes, never a partial object). An existing key is refused unless
    ``overwrite``, before any request and again at completion (``If-None-Match``).

    Args:
        location: ``s3://bucket/prefix/`` (the key is the prefix and a name made from
            the task id, as in a local directory) or ``s3://bucket/key.mp4``.
        client: a ``boto3`` S3 client of your own; by default one from the environment.
    """

    def __init__(self, location: str, *, client: Any = None) -> None:
        self.bucket, prefix = parse_location(location)
        self.key = None if location.endswith("/") or not prefix else prefix.rstrip("/")
        self.prefix = prefix if self.key is None else ""
        self._client = client if client is not None else environment_client()

    def __repr__(self) -> str:
        return f"S3Destination({self.location!r})"

    @property
    def location(self) -> str:
        """The ``s3://`` URL this destination was made from."""
        return self.url(self.key if self.key is not None else self.prefix)

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def named(self, name: str) -> S3Destination:
        """The destination of one object, ``name`` under this prefix (same client)."""
        return S3Destination(self.url(f"{self.prefix}{name}"), client=self._client)

    def exists(self) -> bool:
        """Whether the object this destination names is there.

        Raises:
            DownloadError: the storage cannot be asked.
        """
        assert self.key is not None, "a prefix names no one object"
        return self._exists(self.key)

    def preflight(self, *, overwrite: bool, task_id: str | None = None) -> None:
        """Check, before paying for a video, that it could be stored here: the bucket
        answers, and a named key does not exist unless ``overwrite``.

        Raises:
            DestinationExistsError: the key exists and ``overwrite`` is False.
            DownloadError: the bucket cannot be reached or written (no such bucket,
                no credentials); naming it.
        """
        try:
            self._client.head_bucket(Bucket=self.bucket)
            if self.key is not None and not overwrite and self._exists(self.key, task_id):
                raise DestinationExistsError(self.url(self.key), task_id=task_id)
        except (DestinationExistsError, DownloadError):
            raise
        except Exception as exc:
            raise self.failed(exc, self.url(self.key or self.prefix), task_id) from None

    def target(self, name: str, *, overwrite: bool, task_id: str | None) -> ObjectTarget:
        """The object one download writes (``name``: the file name made from the task
        id, when the location is a prefix).

        Raises:
            DestinationExistsError: the object exists and ``overwrite`` is False.
        """
        key = self.key if self.key is not None else f"{self.prefix}{name}"
        target = ObjectTarget(self, key, overwrite=overwrite, task_id=task_id)
        if not overwrite and self._exists(key, task_id):
            raise DestinationExistsError(target.path, task_id=task_id)
        return target

    def _exists(self, key: str, task_id: str | None = None) -> bool:
        """Whether ``key`` is there.

        Raises:
            DownloadError: the storage cannot be asked (naming the object).
        """
        try:
            return _object_exists(self._client, self.bucket, key)
        except Exception as exc:
            raise self.failed(exc, self.url(key), task_id) from None

    def failed(self, exc: Exception, where: str, task_id: str | None) -> DownloadError:
        """A storage failure as a ``DownloadError`` (not retried: ``errno`` EIO)."""
        if isinstance(exc, DownloadError):
            return exc
        reason = _reason(exc, self.bucket)
        return DownloadError(
            f"cannot write {where}: {reason}", path=where, errno=errno.EIO, task_id=task_id
        )


class ObjectTarget:
    """One object a download writes (``S3Destination.target``)."""

    def __init__(
        self, destination: S3Destination, key: str, *, overwrite: bool, task_id: str | None
    ) -> None:
        self.destination = destination
        self.key = key
        self.path = destination.url(key)
        self.overwrite = overwrite
        self.task_id = task_id
        self._open: set[str] = set()  # multipart uploads begun, not completed or aborted

    def attempt(self) -> ObjectSink:
        """One try: a new multipart upload, in a ``with`` block that aborts it unless
        ``finish`` completed it.

        Raises:
            DownloadError: the storage refused to begin it.
        """
        client = self.destination._client
        try:
            upload = client.create_multipart_upload(
                Bucket=self.destination.bucket, Key=self.key, ContentType="video/mp4"
            )["UploadId"]
        except Exception as exc:
            raise self.destination.failed(exc, self.path, self.task_id) from None
        self._open.add(upload)
        return ObjectSink(self, upload)

    def abort(self, upload: str) -> None:
        """Abort a multipart upload, whatever the storage says (it may be gone)."""
        self._open.discard(upload)
        with contextlib.suppress(Exception):
            self.destination._client.abort_multipart_upload(
                Bucket=self.destination.bucket, Key=self.key, UploadId=upload
            )

    def discard(self) -> None:
        """Abort what no attempt completed or aborted (a stop between its beginning
        and the ``with`` block)."""
        for upload in list(self._open):
            self.abort(upload)

    def sweep(self) -> None:
        """Nothing to sweep: an incomplete upload is never an object under the key."""


class ObjectSink(Received):
    """Receives the bytes of one attempt into a multipart upload."""

    def __init__(self, target: ObjectTarget, upload: str) -> None:
        super().__init__()
        self._target = target
        self._upload = upload
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._parts: list[dict[str, Any]] = []

    def write_kept(self) -> None:
        """Buffer the kept chunks; send a part once ``PART_BYTES`` wait."""
        for chunk in self.taken():
            self._buffer.append(chunk)
            self._buffered += len(chunk)
        if self._buffered >= PART_BYTES:
            self._send_part()

    def _send_part(self) -> None:
        target = self._target
        data = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        number = len(self._parts) + 1
        try:
            answer = target.destination._client.upload_part(
                Bucket=target.destination.bucket,
                Key=target.key,
                UploadId=self._upload,
                PartNumber=number,
                Body=data,
            )
        except Exception as exc:
            raise target.destination.failed(exc, target.path, target.task_id) from None
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def finish(self) -> str:
        """Check the bytes, send the last part and complete the upload: the object
        appears, whole, under its key. Its ``s3://`` URL.

        Raises:
            DownloadError: the bytes were short, long or cut (see ``Received``), or the
                storage refused.
            DestinationExistsError: the key appeared meanwhile and overwrite is off.
        """
        self.write_kept()
        target = self._target
        self.check_whole(target.path, target.task_id)
        self._send_part()  # the last (the only one, for a short video), maybe small
        condition = {} if target.overwrite else {"IfNoneMatch": "*"}
        try:
            target.destination._client.complete_multipart_upload(
                Bucket=target.destination.bucket,
                Key=target.key,
                UploadId=self._upload,
                MultipartUpload={"Parts": self._parts},
                **condition,
            )
        except Exception as exc:
            if _code(exc) in ("PreconditionFailed", "412"):
                raise DestinationExistsError(target.path, task_id=target.task_id) from None
            raise target.destination.failed(exc, target.path, target.task_id) from None
        target._open.discard(self._upload)
        self.finished = True
        return target.path

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        if exc is not None or not self.finished:
            self.discard()

    def discard(self) -> None:
        """Abort the upload: nothing appears under the key."""
        self._target.abort(self._upload)


def _reason(exc: Exception, bucket: str) -> str:
    """Why the storage failed, in a few words, never with a secret."""
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    code = _code(exc)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "no storage credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            "AWS_PROFILE"
        )
    if code in ("NoSuchBucket", "404"):
        return f"the bucket {bucket!r} does not exist (there, with these credentials)"
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return f"the storage refused it ({code}): check the credentials and bucket policy"
    if _unreachable(exc, exc.__cause__):
        return f"the storage could not be reached, or hung up ({type(exc).__name__})"
    return f"the storage answered {code}" if code else f"{type(exc).__name__}: {exc}"
