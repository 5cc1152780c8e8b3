"""``--upload s3://bucket/prefix`` (or ``VEO_UPLOAD``): where local images go first.

The service fetches images from public URLs only. With an upload location, a local file
given to ``--image`` (and a batch line's local paths, relative to the batch file) is read,
checked, uploaded to the bucket (``veo.S3Uploader``: once per content, a presigned
link) and sent as that URL; without one, a local image is refused before anything is
sent, saying so. ``veo validate`` and ``veo batch --dry-run`` say what would be
uploaded, and upload nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import attrs
import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from veo._images import LocalImage, local_images, read_images
from veo._images import held as held_places
from veo._models import VideoRequest
from veo.cli._options import OptionGroup
from veo.cli._output import safe_text, stderr

__all__ = ["Uploads", "held", "planned"]

UploadOpt = Annotated[
    str | None,
    typer.Option(
        "--upload",
        envvar="VEO_UPLOAD",
        metavar="s3://BUCKET/PREFIX",
        show_default=False,
        help=(
            "Upload local images (--image ./a.png) here first: the service fetches only "
            "URLs. Any S3-compatible store (endpoint from AWS_ENDPOINT_URL); needs the s3 "
            "extra. Also VEO_UPLOAD."
        ),
    ),
]


@attrs.frozen
class Uploads(OptionGroup):
    """The ``--upload`` option of the commands that send requests."""

    upload: UploadOpt = None

    @contextmanager
    def uploader(self, show: bool) -> Iterator[dict[str, Any]]:
        """Client options for the uploads (``{"uploader": ...}``, none without
        ``--upload``), with a progress bar per image when ``show``.

        Raises:
            ConfigurationError: a location that is not ``s3://...``, or the ``s3``
                extra missing (one line naming the ``pip install``).
        """
        if self.upload is None:
            yield {}
            return
        from veo._s3 import S3Uploader

        bars = _UploadBars(show)
        try:
            yield {"uploader": S3Uploader(self.upload, on_progress=bars.update)}
        finally:
            bars.stop()

    def where(self, image: LocalImage) -> str:
        """Where ``image`` would be stored (``veo validate``, ``--dry-run``)."""
        from veo._s3 import image_key, parse_location

        assert self.upload is not None
        bucket, prefix = parse_location(self.upload)
        return f"s3://{bucket}/{image_key(prefix, image)}"


class _UploadBars:
    """One byte bar per image on stderr while images upload (from the uploader's
    threads); gone once every image in flight is sent, before the task's own status
    line (one live display at a time)."""

    def __init__(self, show: bool) -> None:
        self._show = show
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._bars: dict[str, TaskID] = {}

    def update(self, image: LocalImage, sent: int) -> None:
        if not self._show:
            return
        with self._lock:
            if self._progress is None:
                self._progress = Progress(
                    TextColumn("{task.description}", markup=False),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    console=stderr,
                )
                self._progress.start()
                self._bars = {}
            if image.sha256 not in self._bars:
                label = f"uploading {safe_text(image.name)}"
                self._bars[image.sha256] = self._progress.add_task(label, total=len(image.data))
            self._progress.update(self._bars[image.sha256], completed=sent)
            if all(p.completed >= p.total for p in self._progress.tasks if p.total):
                self._stop()

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def held(request: VideoRequest) -> VideoRequest:
    """``request`` with each local image's place held by a URL, to check the rest."""
    return attrs.evolve(request, image_urls=held_places(request.image_urls))


def planned(request: VideoRequest) -> list[tuple[str, LocalImage]]:
    """The request's local images, read and checked, with their places.

    Raises:
        InvalidRequestError: every image that cannot be used, named.
    """
    found = local_images(request.image_urls)
    return [(f"image_urls[{i}]", image) for i, image in read_images(found)]


def tell(plans: list[tuple[str, LocalImage]], uploads: Uploads) -> list[dict[str, Any]]:
    """Say on stderr what would be uploaded where; the same as JSON entries."""
    entries = []
    for field, image in plans:
        target = uploads.where(image)
        what = f"{safe_text(image.name)} ({image.content_type}, {len(image.data)} bytes)"
        stderr.print(f"would upload {field}: {what} to {target}", markup=False)
        entries.append(
            {
                "field": field,
                "file": image.name,
                "content_type": image.content_type,
                "bytes": len(image.data),
                "to": target,
            }
        )
    return entries
