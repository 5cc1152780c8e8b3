"""Exit codes, one-line errors, JSON output and progress displays for the ``veo`` command.

Progress and errors go to stderr; stdout carries only the result (a path, a task id,
or with ``--json`` exactly one JSON document), so ``veo generate ... > out`` works.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from veo._errors import (
    APIError,
    ConfigurationError,
    CreateOutcomeUnknownError,
    DestinationExistsError,
    InvalidRequestError,
    NoVideoError,
    TaskFailedError,
    UploadError,
    WaitTimeoutError,
)
from veo._models import VideoTask

__all__ = [
    "EXIT_CODES",
    "ExitCode",
    "describe_error",
    "emit_json",
    "exit_code_for",
    "safe_text",
    "stderr",
]


class _Diagnostics:
    """The process's stderr, for progress, warnings and errors: best effort. A write
    that fails (stderr closed, a full disk, a broken pipe) is dropped, so that what must
    happen anyway (the ledger's and the journal's writes, the ``--json`` document on
    stdout, the exit code) never depends on it."""

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(text)
            sys.stderr.flush()
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()

    def isatty(self) -> bool:
        try:
            return sys.stderr.isatty()
        except (OSError, ValueError):
            return False


# A plain object with a text stream's write, flush and isatty (not an io.IOBase: one
# would flush again when it is collected, maybe as the interpreter shuts down).
stderr = Console(file=cast("IO[str]", _Diagnostics()), highlight=False, soft_wrap=True)


class ExitCode(enum.IntEnum):
    """What ``veo`` exits with; ``EXIT_CODES`` says what each means."""

    OK = 0
    ERROR = 1
    INVALID_INPUT = 2
    API_ERROR = 3
    TASK_FAILED = 4
    TIMEOUT = 5
    OUTCOME_UNKNOWN = 6
    DRIFT = 7
    INTERRUPTED = 130


EXIT_CODES = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "any other error (a file exists, the disk is full, ...)",
    ExitCode.INVALID_INPUT: "invalid input (bad arguments, a broken rule); nothing was sent",
    ExitCode.API_ERROR: (
        "the service refused (bad key, no balance, rate limit) or was unreachable, or an "
        "image could not be uploaded (--upload); nothing was created by the latter"
    ),
    ExitCode.TASK_FAILED: (
        "the task failed or finished without a video (batch: a job failed); the error "
        "names the task"
    ),
    ExitCode.TIMEOUT: "the task did not finish in time; it may still finish (veo wait TASK_ID)",
    ExitCode.OUTCOME_UNKNOWN: "a create may have made a task but no id came back; not retried",
    ExitCode.DRIFT: "veo check: the service answered in a shape the spec does not allow",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM or SIGHUP)",
}


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code for an error."""
    if isinstance(error, InvalidRequestError | ConfigurationError):
        return ExitCode.INVALID_INPUT
    if isinstance(error, CreateOutcomeUnknownError):
        return ExitCode.OUTCOME_UNKNOWN
    if isinstance(error, TaskFailedError | NoVideoError):
        return ExitCode.TASK_FAILED
    if isinstance(error, WaitTimeoutError):
        return ExitCode.TIMEOUT
    if isinstance(error, APIError | UploadError):
        return ExitCode.API_ERROR
    return ExitCode.ERROR


# C0 and C1 controls (ESC starts every terminal escape sequence), DEL, and the Unicode
# controls that reorder or hide text on screen.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# The same, less the C0 controls: JSON escapes those itself (and its own line breaks
# between values are layout, not text).
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: object) -> str:
    """``text`` fit for a terminal: control characters shown as escapes, not obeyed.

    Everything that came from the server or from an input file goes through this
    before it is printed (and is printed with Rich markup off).
    """
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], str(text))


def describe_error(error: BaseException, *, named: bool = True) -> str:
    """One readable line for an error (problems joined with ``; ``), safe to print; with
    its type in front unless not ``named`` (a ``--json`` document has it apart)."""
    if isinstance(error, InvalidRequestError):
        return safe_text("invalid request: " + "; ".join(str(p) for p in error.problems))
    if isinstance(error, DestinationExistsError):
        text = f"{error.path} exists; pass --overwrite to replace it"
    else:
        text = " ".join(str(error).split())
    return safe_text(f"{type(error).__name__}: {text}" if named else text)


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout; the characters ``safe_text`` escapes are
    written as ``\\uXXXX`` escapes (JSON itself escapes only C0 controls)."""
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(_RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    sys.stdout.flush()


def task_json(task: VideoTask) -> dict[str, Any]:
    """A task as the CLI reports it."""
    return {
        "id": task.id,
        "state": task.state.value,
        "raw_state": task.raw_state,
        "progress": task.progress,
        "video_urls": list(task.video_urls),
        "message": task.message,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "updated_at": task.updated_at.isoformat() if task.updated_at else None,
        "action": task.action,
    }


class TaskStatusLine:
    """A live status line on stderr: state, progress and elapsed time, updated in place."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._start = time.monotonic()
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=stderr,
            transient=False,
            disable=not enabled,
        )
        self._id = self._progress.add_task("waiting", total=100)

    def update(self, task: VideoTask) -> None:
        """Show the latest state and progress."""
        label = f"task {safe_text(task.id)}: {task.state.value}"
        if task.state.value == "unknown":
            label += f" ({safe_text(task.raw_state)})"
        self._progress.update(self._id, description=label, completed=task.progress or 0)

    @contextmanager
    def shown(self) -> Iterator[TaskStatusLine]:
        """Display the line while the block runs."""
        with self._progress:
            yield self


@contextmanager
def download_bar(enabled: bool, label: str) -> Iterator[Any]:
    """A byte progress bar on stderr; yields the ``on_progress`` callback for downloads."""
    progress = Progress(
        TextColumn(label),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=stderr,
        disable=not enabled,
    )
    bar = progress.add_task(label, total=None)

    def on_progress(received: int, total: int | None) -> None:
        progress.update(bar, completed=received, total=total)

    with progress:
        yield on_progress
