"""Saving a video: where it goes, and a file that is either whole or absent.

The clients stream the bytes; everything about the file lives here, once: the safe
file name, the overwrite check (before any request), the temporary file in the
destination directory, the length check, ``fsync`` and the atomic rename, and the
clean-up on any failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import unquote, urlsplit

import httpx

from veo._errors import DownloadError, InvalidRequestError, VideoLinkExpiredError
from veo._models import VideoTask
from veo._rules import Problem, check_http_url
from veo._transport import Secret, status_error

__all__ = ["DownloadTarget", "check_download_status", "safe_filename", "video_source"]

MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
EXPIRED_STATUSES = frozenset({403, 404, 410})

ByteProgress = Callable[[int, int | None], object]
"""Called with (bytes written so far, total bytes or None) as a download proceeds."""


def safe_filename(stem: str, suffix: str = ".mp4", *, fallback: str = "video") -> str:
    """A file name derived from ``stem`` that cannot leave its directory.

    Path separators, ``..``, control characters and anything outside
    ``[A-Za-z0-9._-]`` are replaced; leading dots are dropped (no hidden files, no
    ``..``); the result is never empty and at most ``MAX_NAME`` characters plus the
    suffix.
    """
    normalized = unicodedata.normalize("NFKC", stem)
    cleaned = _UNSAFE.sub("_", normalized).strip("._-")
    cleaned = cleaned[:MAX_NAME].rstrip("._-") or fallback
    return f"{cleaned}{suffix}"


def video_source(task_or_url: VideoTask | str) -> tuple[str, str]:
    """The URL to fetch and the stem to name the file after.

    Raises:
        InvalidRequestError: not a finished task with a link, nor an http(s) URL.
    """
    if isinstance(task_or_url, VideoTask):
        url = task_or_url.video_url
        if url is None:
            raise InvalidRequestError(
                [
                    Problem(
                        "task",
                        f"task {task_or_url.id} has no video URL (state "
                        f"{task_or_url.state.value}); wait for it to succeed first",
                    )
                ]
            )
        stem = task_or_url.id
    else:
        url = task_or_url
        stem = PurePosixPath(unquote(urlsplit(url).path)).stem if isinstance(url, str) else ""
    problem = check_http_url(url, "task_or_url", allow_userinfo=False)
    if problem:
        raise InvalidRequestError([problem])
    return url, stem


def check_download_status(response: httpx.Response, secret: Secret) -> None:
    """Raise for a non-2xx answer from the video host; expired links say so."""
    if response.is_success:
        return
    error = status_error(response, secret)
    if response.status_code in EXPIRED_STATUSES:
        raise VideoLinkExpiredError(
            f"the video host refused the result link ({error.message}). Result links "
            f"expire (often after about 24 hours): call get(task_id) for a fresh link, "
            f"or generate the video again",
            status_code=response.status_code,
            body=error.body,
            headers=error.headers,
        )
    raise error


class DownloadTarget:
    """Where one download goes; guarantees nothing partial stays under the final name.

    Args:
        dest: a file path, or an existing directory (then the name comes from
            ``stem``). Parent directories are created.
        stem: the task id or URL stem to name the file after, made safe.
        overwrite: replace an existing file instead of failing.

    Raises:
        FileExistsError: the file exists and ``overwrite`` is False (checked here,
            before any request, and again at the final rename).
    """

    def __init__(self, dest: str | os.PathLike[str], stem: str, *, overwrite: bool) -> None:
        path = Path(dest).expanduser()
        if _names_directory(dest):
            path = path / safe_filename(stem)
        self.path = path.absolute()
        self.overwrite = overwrite
        _refuse_existing(self.path, overwrite)

    @staticmethod
    def precheck(dest: str | os.PathLike[str], *, overwrite: bool) -> None:
        """Fail early for an existing file ``dest`` (a directory is checked later)."""
        if not _names_directory(dest):
            _refuse_existing(Path(dest).expanduser().absolute(), overwrite)

    @contextlib.contextmanager
    def attempt(self) -> Iterator[_Sink]:
        """One try at writing the file: a fresh temporary file, removed on failure."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.parent / f".{self.path.name}.{secrets.token_hex(6)}.part"
        # os.open with 0o666 lets the umask decide the mode, as for any file the user
        # creates (tempfile would make it 0600); O_EXCL never reuses an existing file.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        handle = os.fdopen(fd, "wb")
        sink = _Sink(handle, temporary, self)
        try:
            yield sink
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
        if not sink.finished:
            handle.close()
            temporary.unlink(missing_ok=True)


def _names_directory(dest: str | os.PathLike[str]) -> bool:
    return Path(dest).expanduser().is_dir() or str(dest).endswith(("/", os.sep))


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


class _Sink:
    """Receives the bytes of one attempt (see ``DownloadTarget.attempt``)."""

    def __init__(self, handle: IO[bytes], temporary: Path, target: DownloadTarget) -> None:
        self._handle = handle
        self._temporary = temporary
        self._target = target
        self.expected: int | None = None
        self.received = 0
        self.finished = False
        self._on_progress: ByteProgress | None = None

    def begin(self, response: httpx.Response, on_progress: ByteProgress | None) -> None:
        """Note the expected length (when the body is not re-encoded in transit)."""
        length = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity") != "identity"
        self.expected = int(length) if length and length.isdigit() and not encoded else None
        self._on_progress = on_progress
        if on_progress is not None:
            on_progress(0, self.expected)

    def write(self, chunk: bytes) -> None:
        """Append a chunk to the temporary file."""
        self._handle.write(chunk)
        self.received += len(chunk)
        if self._on_progress is not None:
            self._on_progress(self.received, self.expected)

    def finish(self) -> Path:
        """Check the length, flush to disk and move the file to its final name.

        Raises:
            DownloadError: fewer or more bytes arrived than ``Content-Length`` said.
            FileExistsError: the final name appeared meanwhile and overwrite is off.
        """
        if self.expected is not None and self.received != self.expected:
            raise DownloadError(
                f"incomplete download: received {self.received} of {self.expected} bytes"
            )
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        temporary, final = self._temporary, self._target.path
        if self._target.overwrite:
            os.replace(temporary, final)
        else:
            # link() fails if the name exists: no check-then-rename race.
            os.link(temporary, final)
            temporary.unlink()
        _fsync_directory(final.parent)
        self.finished = True
        return final


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse it
        pass
    finally:
        os.close(fd)
