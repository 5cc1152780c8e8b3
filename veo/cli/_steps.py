"""Steps the single-task commands share: show a task, wait and download with live
progress, record exchanges, remember tasks in the ledger."""

from __future__ import annotations

import contextlib
import datetime
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from veo._client import Veo
from veo._download import DownloadTarget, video_source
from veo._errors import InvalidRequestError, TaskFailedError, VeoError
from veo._models import VideoTask
from veo._recording import Recorder
from veo._rules import Problem
from veo._s3 import S3Destination
from veo.cli._ledger import Ledger, Remembered
from veo.cli._options import Service
from veo.cli._output import TaskStatusLine, download_bar, emit_json, safe_text, stderr, task_json


def show_task(task: VideoTask, as_json: bool, **extra: Any) -> None:
    if as_json:
        emit_json({**task_json(task), **extra})
        return
    progress = f" {task.progress}%" if task.progress is not None else ""
    line = f"{safe_text(task.id)}\t{task.state.value}{progress}"
    if task.message:
        line += f"\t{safe_text(task.message)}"
    print(line)
    times = [
        f"{label} {moment.strftime('%Y-%m-%d %H:%M:%S UTC')}"
        for label, moment in (("created", task.created_at), ("updated", task.updated_at))
        if moment is not None
    ]
    if task.action or times:
        print("\t".join([*([f"action {safe_text(task.action)}"] if task.action else []), *times]))
    for url in task.video_urls:
        print(safe_text(url))


def wait_showing(
    client: Veo, ledger: Remembered, task: VideoTask | str, timeout: float, show: bool
) -> VideoTask:
    """Wait with the live status line; the state it ends in goes to the ledger."""
    status = TaskStatusLine(enabled=show)
    try:
        with status.shown():
            finished = client.wait(task, timeout=timeout, on_progress=status.update)
    except TaskFailedError as exc:
        seen(ledger, exc.task)
        raise
    seen(ledger, finished)
    return finished


def download_showing(
    client: Veo, ledger: Remembered, task: VideoTask, out: str, show: bool, overwrite: bool
) -> Path | str:
    """Download with the byte progress bar; the file (or the ``s3://`` object) goes to
    the ledger. What a killed run saving the same file left behind is removed first."""
    where = bucket_of(out)
    if where is None:
        with contextlib.suppress(VeoError):  # no video, or a bad link: download says which
            DownloadTarget(out, video_source(task)[1], overwrite=True).sweep()
    with download_bar(show, "downloading") as on_progress:
        if where is None:
            path: Path | str = client.download(
                task, out, overwrite=overwrite, on_progress=on_progress
            )
        else:
            path = client.download(task, where, overwrite=overwrite, on_progress=on_progress)
    ledger.update(task.id, state=str(task.state), file=str(path))
    return path


def bucket_of(out: str) -> S3Destination | None:
    """``--out s3://bucket/prefix/`` (or ``s3://bucket/key.mp4``) as the destination,
    None for a local path.

    Raises:
        ConfigurationError: not a usable ``s3://`` URL, or the ``s3`` extra missing.
    """
    return S3Destination(out) if out.startswith("s3://") else None


def preflight(out: str, overwrite: bool) -> None:
    """Check, before anything is paid for, that a video could be saved at ``out``."""
    where = bucket_of(out)
    if where is None:
        DownloadTarget.preflight(out, overwrite=overwrite)
    else:
        where.preflight(overwrite=overwrite)


def seen(ledger: Remembered, task: VideoTask) -> None:
    """Note a task's state in the ledger, when the ledger has the task (a task another
    machine created is not added)."""
    ledger.update(task.id, state=str(task.state))


@contextmanager
def recorded(client: Veo, directory: Path | None) -> Iterator[Recorder | None]:
    """``--record DIR``: every exchange of ``client``, redacted, written to ``DIR`` when
    the block ends, however it ends (a failed run's answers are the useful ones)."""
    if directory is None:
        yield None
        return
    recorder = Recorder(client._secret, str(client.base_url), "veo generate")
    try:
        with client.observing(recorder.observe):
            yield recorder
    finally:
        path = recorder.recording().save(directory)
        count = len(recorder.exchanges)
        stderr.print(f"recorded {count} exchange(s), redacted, in {path}", markup=False)


def remembered(service: Service) -> Remembered:
    """The task ledger, as the commands write it (a failed write warns once), for the
    tasks of ``service``."""

    def warn(line: str) -> None:
        stderr.print(safe_text(line), markup=False)

    return Remembered(Ledger(), warn, service.where())


def paid_for(ledger: Remembered, task_id: str, *, note: str = "", **entry: Any) -> None:
    """The one way a created task is announced: its id goes to the ledger first, and
    only then is it printed, so that nothing that happens to the output (a kill the
    moment the line shows, stderr closed or full) can lose it."""
    ledger.record(task_id, **entry)
    stderr.print(f"created task {safe_text(task_id)}{note}", markup=False)


def destination_of(out: str) -> str:
    """``--out`` as an absolute path, a trailing separator (a directory) kept; an
    ``s3://`` URL as it is."""
    if out.startswith("s3://"):
        return out
    absolute = os.path.abspath(out)
    return absolute + os.sep if out.endswith(("/", os.sep)) else absolute


def finish(
    client: Veo,
    ledger: Remembered,
    task_id: str,
    out: str,
    timeout: float,
    show: bool,
    overwrite: bool = False,
) -> tuple[VideoTask, Path | str]:
    """Wait for a task and download its video, noting both in the ledger."""
    finished = wait_showing(client, ledger, task_id, timeout, show)
    return finished, download_showing(client, ledger, finished, out, show, overwrite)


def since_seconds(value: str) -> float:
    """``--since``: ``90m``, ``12h``, ``7d``, or a date or time (``2026-11-30``, ISO 8601)."""
    units = {"m": 60, "h": 3600, "d": 86400}
    text = value.strip()
    if text[:-1].isdigit() and text[-1:] in units:
        return time.time() - int(text[:-1]) * units[text[-1]]
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequestError(
            [Problem("--since", f"{value!r} is not 90m, 12h, 7d or an ISO date/time")]
        ) from None
    return moment.timestamp()
