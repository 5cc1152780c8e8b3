"""Local images: the service fetches images from public URLs only, so a file on this
machine goes to the user's own storage first, through an uploader.

``image_urls`` takes URLs as the spec says, and also local images: a ``pathlib.Path``,
a path string naming an existing file, or the image's bytes. A client given an
``uploader`` reads each one (``LocalImage.read``: a PNG, JPEG or WebP by its first
bytes, at most ``MAX_IMAGE_BYTES``), uploads it, and sends the URL the uploader
returns; one without refuses the request before anything is sent, saying how to get an
uploader. Every check happens before the create: an image that cannot be used, or an
upload that fails, costs nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from veo._errors import InvalidRequestError
from veo._files import DocumentError, read_regular
from veo._rules import Problem, is_local

__all__ = [
    "HELD",
    "IMAGE_TYPES",
    "MAX_IMAGE_BYTES",
    "AsyncUploader",
    "LocalImage",
    "Uploader",
    "held",
    "local_images",
    "read_images",
]

HELD = "https://upload.invalid/local-image"
"""Holds a local image's place while the rest of the request is checked, before upload."""
MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The largest local image read and uploaded (20 MiB; video models take a frame, not a
poster print)."""
IMAGE_TYPES: tuple[tuple[str, bytes, str, str], ...] = (
    # (content type, first bytes, suffix, name)
    ("image/png", b"\x89PNG\r\n\x1a\n", ".png", "PNG"),
    ("image/jpeg", b"\xff\xd8\xff", ".jpg", "JPEG"),
    ("image/webp", b"RIFF", ".webp", "WebP"),  # and b"WEBP" at offset 8
)


@attrs.frozen
class LocalImage:
    """One local image, read and checked, as an uploader receives it.

    Attributes:
        name: its file name (``bytes`` for bytes given directly).
        data: its bytes.
        content_type: ``image/png``, ``image/jpeg`` or ``image/webp``, from its first bytes.
        suffix: ``.png``, ``.jpg`` or ``.webp``.
        sha256: the hex SHA-256 of ``data``: the same image has the same one, so an
            uploader can store it once (a content-addressed key).
    """

    name: str
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")
    content_type: str
    suffix: str
    sha256: str

    @classmethod
    def read(
        cls, value: str | os.PathLike[str] | bytes, field: str, max_bytes: int = MAX_IMAGE_BYTES
    ) -> LocalImage:
        """Read and check a local image.

        Raises:
            InvalidRequestError: not a regular file, unreadable, over ``max_bytes``, or
                not a PNG, JPEG or WebP; naming ``field`` and the file.
        """
        if isinstance(value, bytes):
            name, data = "bytes", value
            if len(data) > max_bytes:
                raise _refused(field, f"{len(data)} bytes; images of at most {max_bytes} are sent")
        else:
            path = Path(value).expanduser()
            name = path.name
            try:
                data = read_regular(path, max_bytes)
            except DocumentError as exc:
                raise _refused(field, str(exc)) from None
        for content_type, magic, suffix, _ in IMAGE_TYPES:
            if data.startswith(magic) and (suffix != ".webp" or data[8:12] == b"WEBP"):
                digest = hashlib.sha256(data).hexdigest()
                return cls(name, data, content_type, suffix, digest)
        kinds = ", ".join(kind for *_, kind in IMAGE_TYPES)
        raise _refused(field, f"{name} is not a {kinds} image (by its first bytes)")


def _refused(field: str, rule: str) -> InvalidRequestError:
    return InvalidRequestError([Problem(field, rule)])


@runtime_checkable
class Uploader(Protocol):
    """Turns a local image into a URL the service can fetch (``Veo(uploader=...)``).

    ``upload`` may be called for the same image more than once (``image.sha256`` tells):
    storing it once is the uploader's business. It raises ``UploadError`` (or any
    exception, which the client reports as one) when the image cannot be stored.
    """

    def upload(self, image: LocalImage) -> str: ...


@runtime_checkable
class AsyncUploader(Protocol):
    """``Uploader`` for ``AsyncVeo``, with a coroutine ``upload`` (a plain ``Uploader``
    works too: ``AsyncVeo`` runs it in a worker thread)."""

    async def upload(self, image: LocalImage) -> str: ...


def local_images(images: Sequence[Any]) -> list[tuple[int, Any]]:
    """The local images among ``images``, with their places."""
    return [(index, value) for index, value in enumerate(images) if is_local(value)]


def held(images: Sequence[Any]) -> list[Any]:
    """``images`` with each local image's place held by ``HELD``, a URL: the rest of a
    request is checked as it will be sent, before anything is read or uploaded."""
    places = {index for index, _ in local_images(images)}
    return [HELD if index in places else image for index, image in enumerate(images)]


def read_images(found: Sequence[tuple[int, Any]]) -> list[tuple[int, LocalImage]]:
    """Each local image of ``found`` (``local_images``) read and checked, with its place
    (the disk: ``AsyncVeo`` calls this in a worker thread).

    Raises:
        InvalidRequestError: every image that cannot be used, named.
    """
    problems: list[Problem] = []
    images: list[tuple[int, LocalImage]] = []
    for index, value in found:
        try:
            images.append((index, LocalImage.read(value, f"image_urls[{index}]")))
        except InvalidRequestError as exc:
            problems += exc.problems
    if problems:
        raise InvalidRequestError(problems)
    return images
