"""Saving a video: where it goes, and a file that is either whole or absent.

The clients stream the bytes; everything about the file lives here, once: the safe
file name, the overwrite check (before any request), the temporary file in the
destination directory, the length check, ``fsync`` and the atomic rename, and the
clean-up on any failure.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import unquote, urlsplit

import httpx

from veo._errors import (
    DestinationExistsError,
    DownloadError,
    InvalidRequestError,
    NoVideoError,
    UnusableVideoLinkError,
)
from veo._models import TaskState, VideoTask
from veo._mp4 import Mp4Check
from veo._rules import Problem, check_http_url
from veo._secret import redact_current

__all__ = [
    "DownloadTarget",
    "disk_error",
    "remove_abandoned",
    "safe_filename",
    "temporary_of",
    "video_source",
]

MAX_NAME = 120
WRITEBACK_STEP = 8 * 1024 * 1024
"""Bytes written between two requests to the kernel to start writing them to disk."""
KEEP_STEP = 1024 * 1024
"""Bytes ``AsyncVeo`` keeps in memory before a worker thread writes them: its event loop
never waits on the disk, and a video costs one thread hop per MiB (the rest is written
by the thread that syncs and renames the file)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

ByteProgress = Callable[[int, int | None], object]
"""Called with (bytes received so far, total bytes or None) as a download proceeds."""


def safe_filename(stem: str, suffix: str = ".mp4", *, fallback: str = "video") -> str:
    """A file name derived from ``stem`` that cannot leave its directory.

    Path separators, ``..``, control characters and anything outside
    ``[A-Za-z0-9._-]`` are replaced; leading dots are dropped (no hidden files, no
    ``..``); the result is never empty and at most ``MAX_NAME`` characters plus the
    suffix. Within a client's call, its key is redacted first (a file name is shown).
    """
    normalized = unicodedata.normalize("NFKC", redact_current(stem))
    cleaned = _UNSAFE.sub("_", normalized).strip("._-")
    cleaned = cleaned[:MAX_NAME].rstrip("._-") or fallback
    return f"{cleaned}{suffix}"


def video_source(task_or_url: VideoTask | str) -> tuple[str, str, str | None]:
    """The URL to fetch, the stem to name the file after, and the task id if known.

    Raises:
        NoVideoError: the task succeeded but names no video.
        UnusableVideoLinkError: the task's link is not an http(s) URL to fetch.
        InvalidRequestError: not a finished task with a link, nor an http(s) URL.
    """
    if isinstance(task_or_url, VideoTask):
        url = task_or_url.video_url
        if url is None and task_or_url.state is TaskState.SUCCEEDED:
            raise NoVideoError(task_or_url)
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
        problem = check_http_url(url, "video link", allow_userinfo=False)
        if problem:  # the service's link, after a paid task: not a request to fix
            raise UnusableVideoLinkError(task_or_url, problem.rule)
        return url, task_or_url.id, task_or_url.id
    url = task_or_url
    stem = PurePosixPath(unquote(urlsplit(url).path)).stem if isinstance(url, str) else ""
    problem = check_http_url(url, "task_or_url", allow_userinfo=False)
    if problem:
        raise InvalidRequestError([problem])
    return url, stem, None


def disk_error(exc: OSError, path: Path, task_id: str | None = None) -> DownloadError:
    """A ``DownloadError`` for an OS error while writing ``path`` (errno kept). When a
    part of the path is a file where a directory must be (``EEXIST`` or ``ENOTDIR``
    from making the directories), the message names that file."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno_codes.EEXIST, errno_codes.ENOTDIR):
        blocking = next(
            (part for part in (path, *path.parents) if part.exists() and not part.is_dir()),
            None,
        )
        if blocking is not None:
            reason = f"{blocking} is a file, not a directory"
    return DownloadError(
        f"cannot write {path}: {reason}", path=str(path), errno=exc.errno, task_id=task_id
    )


class DownloadTarget:
    """Where one download goes; guarantees nothing partial stays under the final name.

    Args:
        dest: a file path, or an existing directory (then the name comes from
            ``stem``). Parent directories are created.
        stem: the task id or URL stem to name the file after, made safe.
        overwrite: replace an existing file instead of failing.
        task_id: the task being saved, named by every error.

    Raises:
        DestinationExistsError: the file exists and ``overwrite`` is False (checked here,
            before any request, and again at the final rename).
    """

    def __init__(
        self,
        dest: str | os.PathLike[str],
        stem: str,
        *,
        overwrite: bool,
        task_id: str | None = None,
    ) -> None:
        path = Path(dest).expanduser()
        if _names_directory(dest):
            path = path / safe_filename(stem)
        self.path = path.absolute()
        self.overwrite = overwrite
        self.task_id = task_id
        self._made: dict[Path, IO[bytes] | None] = {}  # temporary files not yet removed or moved
        _refuse_existing(self.path, overwrite, task_id)

    @staticmethod
    def preflight(dest: str | os.PathLike[str], *, overwrite: bool) -> None:
        """Check, before paying for a video, that it could be saved at ``dest``.

        The directory exists or is made, a temporary file can be created in it, and
        the target (when ``dest`` names a file) does not exist unless ``overwrite``.

        Raises:
            DestinationExistsError: ``dest`` is an existing file and ``overwrite`` is False.
            DownloadError: the directory cannot be made or written (``.errno`` set).
        """
        path = Path(dest).expanduser().absolute()
        if _names_directory(dest):
            directory = path
        else:
            _refuse_existing(path, overwrite)
            directory = path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, probe = _open_temporary(directory, "preflight", {})
            handle.close()
            probe.unlink()
        except OSError as exc:
            raise disk_error(exc, directory) from exc

    def attempt(self) -> _Sink:
        """One try at writing the file: a fresh temporary file, to use in a ``with``
        block that removes it unless ``finish`` moved it to the final name.

        Opening touches the disk (``AsyncVeo`` calls this in a worker thread: creating
        a file waits on other writers to the directory, often for milliseconds).

        Raises:
            DownloadError: the disk refused (full, read-only, no permission); the
                temporary file is gone even when closing it failed too. Raised here,
                or by the ``with`` block for an ``OSError`` inside it.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = _open_temporary(self.path.parent, self.path.name, self._made)
        except OSError as exc:
            raise disk_error(exc, self.path, self.task_id) from exc
        return _Sink(handle, temporary, self)

    def discard(self) -> None:
        """Remove the temporary files of attempts that did not remove them themselves.

        A stop signal (Ctrl-C, ``kill``) that lands after an attempt made its file and
        before the ``with`` block owning it began leaves the file listed here only: the
        clients call this when a download ends, however it ends.
        """
        while self._made:
            temporary, handle = self._made.popitem()
            with contextlib.suppress(OSError):
                if handle is not None:
                    handle.close()
            temporary.unlink(missing_ok=True)

    def sweep(self) -> None:
        """Remove what killed runs (``kill -9``, a power cut) left while saving this same
        file; see ``remove_abandoned``."""
        remove_abandoned(self.path.parent, {self.path.name})


_TEMPORARY = re.compile(r"\.(.+)\.[0-9a-f]{12}\.part")
"""A temporary file's name, ``.<final name>.<12 hex digits>.part`` (``_open_temporary``)."""


def temporary_of(name: str) -> str | None:
    """The final file name whose download temporary file is called ``name``, or None."""
    match = _TEMPORARY.fullmatch(name)
    return match[1] if match else None


def remove_abandoned(directory: Path, names: Collection[str]) -> None:
    """Remove the temporary files that runs killed while saving ``names`` left behind.

    A run holds an exclusive ``flock`` on its temporary file from the moment it is made
    until it is renamed or removed, and the system drops the lock when the process
    dies, however it dies: a file whose lock can be taken has no writer left (on
    Windows, where an open file cannot be removed, removing it is the test). Only files
    of this module's naming for ``names`` are looked at; one pass over ``directory``;
    a directory that cannot be read is left alone.
    """
    try:
        entries = os.scandir(directory)
    except OSError:
        return
    with entries:
        abandoned = [
            Path(entry.path)
            for entry in entries
            if temporary_of(entry.name) in names and entry.is_file(follow_symlinks=False)
        ]
    for path in abandoned:
        with contextlib.suppress(OSError):  # gone meanwhile, or not ours to remove
            _remove_unless_held(path)


def _remove_unless_held(path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: an open file cannot be removed
        path.unlink()
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a live writer
        path.unlink()
    finally:
        os.close(fd)


def _open_temporary(
    directory: Path, name: str, made: dict[Path, IO[bytes] | None]
) -> tuple[IO[bytes], Path]:
    temporary = directory / f".{name}.{secrets.token_hex(6)}.part"
    made[temporary] = None  # before it exists: no moment where it exists unlisted
    # os.open with 0o666 lets the umask decide the mode, as for any file the user
    # creates (tempfile would make it 0600); O_EXCL never reuses an existing file.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        _hold(fd)
        made[temporary] = handle = os.fdopen(fd, "wb")
    except BaseException:
        if made.pop(temporary, None) is None:
            with contextlib.suppress(OSError):
                os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    return handle, temporary


def _hold(fd: int) -> None:
    """Lock the temporary file for as long as it is open: ``remove_abandoned`` leaves
    it alone while this process lives."""
    try:
        import fcntl
    except ImportError:  # Windows: the open file itself cannot be removed
        return
    with contextlib.suppress(OSError):  # a file system without locks: nothing to lose
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _names_directory(dest: str | os.PathLike[str]) -> bool:
    return Path(dest).expanduser().is_dir() or str(dest).endswith(("/", os.sep))


def _refuse_existing(path: Path, overwrite: bool, task_id: str | None = None) -> None:
    if path.exists() and not overwrite:
        raise DestinationExistsError(str(path), task_id=task_id)


class Received(contextlib.AbstractContextManager["Received"]):
    """What every sink checks of the bytes of one attempt, wherever they go: the
    expected length, the count, the MP4 box table, the progress callback; chunks are
    kept until the sink writes them (``write_kept``). A sink is a ``with`` block that
    discards the attempt unless ``finish`` put it in place."""

    def __init__(self) -> None:
        self._mp4 = Mp4Check()
        self._kept: list[bytes] = []  # received, not yet written
        self._kept_bytes = 0
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
        """Take a chunk and write it."""
        self.keep(chunk)
        self.write_kept()

    def keep(self, chunk: bytes) -> bool:
        """Take a chunk without writing it, for :meth:`write_kept`; True once
        ``KEEP_STEP`` bytes wait (``AsyncVeo`` then writes them in a worker thread)."""
        self._kept.append(chunk)
        self._kept_bytes += len(chunk)
        self._mp4.feed(chunk)
        self.received += len(chunk)
        if self._on_progress is not None:
            self._on_progress(self.received, self.expected)
        return self._kept_bytes >= KEEP_STEP

    def write_kept(self) -> None:
        raise NotImplementedError

    def finish(self) -> Path | str:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError

    def taken(self) -> list[bytes]:
        """The kept chunks, handed over to be written (and forgotten here)."""
        kept, self._kept, self._kept_bytes = self._kept, [], 0
        return kept

    def check_whole(self, where: str, task_id: str | None) -> None:
        """Raise unless every byte arrived.

        Raises:
            DownloadError: fewer or more bytes than ``Content-Length`` said, or an MP4
                that ends inside a box (a connection cut without a length to tell).
        """
        if self.expected is not None and self.received != self.expected:
            raise DownloadError(
                f"incomplete download: received {self.received} of {self.expected} bytes",
                path=where,
                task_id=task_id,
            )
        problem = self._mp4.problem()
        if problem is not None:
            raise DownloadError(
                f"incomplete download: {problem} after {self.received} bytes",
                path=where,
                task_id=task_id,
            )


class _Sink(Received):
    """Receives the bytes of one attempt into a temporary file (see
    ``DownloadTarget.attempt``)."""

    def __init__(self, handle: IO[bytes], temporary: Path, target: DownloadTarget) -> None:
        super().__init__()
        self._handle = handle
        self._temporary = temporary
        self._target = target
        self._fd = handle.fileno()
        self._written_back = 0  # bytes handed to start_writeback so far

    def write_kept(self) -> None:
        """Write the kept chunks to the temporary file."""
        self._handle.writelines(self.taken())
        if self.received - self._written_back >= WRITEBACK_STEP:
            self._handle.flush()
            start_writeback(self._fd, self._written_back, self.received - self._written_back)
            self._written_back = self.received

    def finish(self) -> Path:
        """Write what is kept, check the bytes, flush to disk and move the file to its
        final name.

        Raises:
            DownloadError: fewer or more bytes arrived than ``Content-Length`` said, or
                an MP4 ends inside a box (a connection cut without a length to tell).
            DestinationExistsError: the final name appeared meanwhile and overwrite is off.
            OSError: the disk refused (``attempt`` turns it into ``DownloadError``).
        """
        self.write_kept()
        target = self._target
        self.check_whole(str(target.path), target.task_id)
        self._handle.flush()
        os.fsync(self._handle.fileno())
        if os.name == "nt":  # Windows renames no open file
            self._handle.close()
        # Elsewhere the file stays open, and locked, until it has its final name: no
        # remove_abandoned takes it for a killed run's between the two.
        temporary, final = self._temporary, target.path
        if target.overwrite:
            os.replace(temporary, final)
        else:
            # link() fails if the name exists: no check-then-rename race.
            try:
                os.link(temporary, final)
            except FileExistsError:
                raise DestinationExistsError(str(final), task_id=target.task_id) from None
            temporary.unlink()
        target._made.pop(temporary, None)
        self.finished = True
        self._handle.close()
        _fsync_directory(final.parent)
        return final

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        if exc is not None or not self.finished:
            self.discard()
        if isinstance(exc, OSError) and not isinstance(exc, FileExistsError):
            target = self._target
            raise disk_error(exc, target.path, target.task_id) from exc

    def discard(self) -> None:
        """Close and remove the temporary file, whatever closing it raises."""
        try:
            self._handle.close()
        except OSError:
            pass  # a full disk fails the flush inside close(); the file goes anyway
        finally:
            self._temporary.unlink(missing_ok=True)
            self._target._made.pop(self._temporary, None)


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range of the file to disk, without waiting.

    On Linux, ``POSIX_FADV_DONTNEED`` starts writeback of the range's dirty pages (and
    drops the ones already clean), so the disk works while the network does and the
    final ``fsync`` has little left to flush; a large video also does not crowd the
    page cache. Advisory only: where it is missing or refused, nothing changes.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:  # pragma: no cover - macOS, Windows
        return
    with contextlib.suppress(OSError):
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


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
