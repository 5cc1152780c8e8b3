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

import io
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from veo._errors import ConfigurationError, UploadError
from veo._images import LocalImage

__all__ = ["DEFAULT_EXPIRY", "S3Uploader", "parse_location"]

DEFAULT_EXPIRY = 24 * 3600.0
"""Seconds a presigned image URL stays valid: long enough for a slow queue."""
MAX_EXPIRY = 7 * 24 * 3600.0
"""The longest a SigV4 presigned URL may live."""
MISSING_EXTRA = "veo.S3Uploader needs the s3 extra: pip install 'duomi-veo[s3]'"


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
        if client is None:
            try:
                import boto3
                from botocore.config import Config
            except ModuleNotFoundError:
                raise ConfigurationError(MISSING_EXTRA) from None
            config = Config(signature_version="s3v4", retries={"mode": "standard"})
            # A session of its own: the environment as it is now, not as boto3's
            # default session cached it when something first used it.
            client = boto3.session.Session().client("s3", config=config)
        self._client = client
        self._stored: set[str] = set()  # keys known to be in the bucket
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3Uploader('s3://{self.bucket}/{self.prefix}')"

    def key(self, image: LocalImage) -> str:
        """Where ``image`` is stored: the prefix, its SHA-256, its type's suffix."""
        return f"{self.prefix}{image.sha256}{image.suffix}"

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
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

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
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        where = f"s3://{self.bucket}/{self.prefix}"
        code = _code(exc) if isinstance(exc, ClientError) else ""
        cause = getattr(exc, "__cause__", None) or getattr(exc, "__context__", None)
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            reason = (
                "no storage credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                "AWS_PROFILE"
            )
        elif code in ("NoSuchBucket", "404"):
            reason = f"the bucket {self.bucket!r} does not exist (there, with these credentials)"
        elif code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            reason = (
                f"the storage refused it ({code}): check the credentials and the bucket's policy"
            )
        elif isinstance(exc, EndpointConnectionError) or _unreachable(exc, cause):
            reason = f"the storage could not be reached, or hung up ({type(exc).__name__})"
        elif code:
            reason = f"the storage answered {code}"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        return UploadError(
            f"{image.name}: could not be uploaded to {where}: {reason}; nothing was created",
            name=image.name,
        )


def _code(exc: Any) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _unreachable(exc: Exception, cause: object) -> bool:
    """A failure of the connection itself: refused, reset, closed, timed out."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    connection = (BotoConnectionError, HTTPClientError, ConnectionError, TimeoutError)
    return isinstance(exc, connection) or isinstance(cause, connection)
