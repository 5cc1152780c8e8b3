"""``veo batch``'s orchestration around the journal (``veo.cli._batch``): the run with
its progress bars, what it spends (said before it spends it), the summary."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import attrs
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from veo._client import AsyncVeo
from veo._errors import InvalidRequestError
from veo._models import VideoTask
from veo._rules import Problem
from veo._s3 import S3Destination
from veo.cli._batch import (
    LEFT,
    MAX_CONNECTIONS,
    NEW_ROW,
    Job,
    Journal,
    Unrecorded,
    Videos,
    place,
    plan_of,
    run_batch,
    shown_place,
)
from veo.cli._output import ExitCode, emit_json, safe_text, stderr


async def run_jobs(
    jobs: list[Job],
    journal: Journal,
    out: Videos,
    options: dict[str, Any],
    concurrency: int,
    resubmit_unknown: bool,
    timeout: float,
    show: bool,
    max_videos: int | None = None,
) -> list[Unrecorded]:
    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=stderr,
        disable=not show,
    )
    overall = progress.add_task("batch", total=len(jobs), count=f"0/{len(jobs)}")
    rows: dict[int, Any] = {}
    final = {"done", "failed", "unknown", "refused", "pending", "error"}
    finished = left = 0

    def report(job: Job, what: str, task: VideoTask | None) -> None:
        nonlocal finished, left
        if what in final or what == LEFT:
            # A job --max-videos leaves for a later run is no part of this run's count.
            left += what == LEFT
            finished += what != LEFT
            total = len(jobs) - left
            description = f"batch ({left} left for a later run)" if left else "batch"
            progress.update(
                overall,
                description=description,
                total=total,
                completed=finished,
                count=f"{finished}/{total}",
            )
            if job.line in rows:
                progress.remove_task(rows.pop(job.line))
            return
        percent = task.progress if task is not None and task.progress is not None else 0
        label = f"  line {job.line} {safe_text(job.name)}: {what}"
        if job.line not in rows:
            rows[job.line] = progress.add_task(label, total=100, count="")
        progress.update(rows[job.line], description=label, completed=percent, count=f"{percent}%")

    # Everything made so far (the modules, the parsed batch) lives for the whole run:
    # leave it out of the collector's full passes, which otherwise walk it again and
    # again while the event loop waits (tens of milliseconds each, for 10,000 jobs).
    gc.freeze()
    try:
        with progress:
            connections = min(concurrency, MAX_CONNECTIONS)
            async with AsyncVeo(**options, max_connections=connections) as client:
                return await run_batch(
                    jobs,
                    journal,
                    client,
                    out,
                    concurrency=concurrency,
                    resubmit_unknown=resubmit_unknown,
                    timeout=timeout,
                    report=report,
                    max_videos=max_videos,
                )
    finally:
        gc.unfreeze()


def spend_plan(
    jobs: list[Job],
    rows: dict[int, dict[str, Any]],
    out: Videos,
    resubmit_unknown: bool,
    max_videos: int | None,
    overwrite: bool,
    as_json: bool,
    *,
    dry_run: bool,
    said: bool = False,
) -> int:
    """Say what the run creates (billed), resumes (paid already) and skips; return the
    number of videos it creates. A dry run also lists the files; with --json, as one
    document on stdout. ``said``: the line was printed already (before asking).

    Raises:
        InvalidRequestError: a new job's file is already in ``out`` (not --overwrite).
    """
    plans = {job.line: plan_of(rows.get(job.line, NEW_ROW), resubmit_unknown) for job in jobs}
    new = [job for job in jobs if plans[job.line] == "create"]
    creating = len(new) if max_videos is None else min(len(new), max_videos)
    # A directory there fails its own job (nothing replaces a directory).
    taken = [job for job in new[:creating] if _taken(place(out, job))]
    if taken and not overwrite:
        raise InvalidRequestError(
            [
                Problem(
                    f"line {job.line}",
                    f"{shown_place(out, job)} exists; pass --overwrite to replace it",
                )
                for job in taken
            ]
        )
    resumed = sum(1 for plan in plans.values() if plan == "resume")
    skipped = sum(1 for plan in plans.values() if plan == "skip")
    verb = "would create" if dry_run else "creates"
    capped = f" (of {len(new)} new; --max-videos {max_videos})" if creating < len(new) else ""
    line = (
        f"this run {verb} {creating} new video(s), each billed{capped}; resumes {resumed} "
        f"already paid for; skips {skipped} (done, failed, or outcome unknown)"
    )
    if not said:
        stderr.print(line, markup=False)
    if dry_run:
        files = [shown_place(out, job) for job in new[:creating]]
        if as_json:
            emit_json({"create": creating, "resume": resumed, "skip": skipped, "files": files})
        else:
            for name in files:
                print(safe_text(name))
    return creating


def _absolute(where: Path | S3Destination) -> str:
    return str(where.absolute()) if isinstance(where, Path) else where.location


def _taken(where: Path | S3Destination) -> bool:
    if isinstance(where, Path):
        return where.exists() and not where.is_dir()
    return where.exists()


def batch_entries(
    jobs: list[Job], rows: list[dict[str, Any]], out: Videos, service: str
) -> list[dict[str, Any]]:
    """The ledger's entries for every job of the batch that has a task, made at
    ``service`` (``Service.where``)."""
    by_line = {job.line: job for job in jobs}
    entries = []
    for row in rows:
        job = by_line.get(row["line"])
        if job is None or not row["task_id"]:
            continue
        entries.append(
            {
                "id": row["task_id"],
                "command": "batch",
                "prompt": job.request.prompt,
                "mode": job.mode,
                "destination": (
                    str(where.absolute())
                    if isinstance(where := place(out, job), Path)
                    else where.location
                ),
                "state": {"done": "succeeded", "failed": "failed"}.get(row["status"]),
                "file": row["path"] if row["status"] == "done" else None,
                "service": service,
            }
        )
    return entries


def batch_summary(
    rows: list[dict[str, Any]], unrecorded: list[Unrecorded], as_json: bool
) -> ExitCode:
    groups: dict[str, list[dict[str, Any]]] = {
        "done": [],
        "failed": [],
        "unknown": [],
        "pending": [],
    }
    for row in rows:
        status = row["status"]
        failed = status in ("refused", "error")
        key = status if status in groups else ("failed" if failed else "pending")
        groups[key].append(row)
    lost = [attrs.asdict(item) for item in unrecorded]
    for item in unrecorded:
        paid = f"task {item.task_id}; recover it with: veo download {item.task_id}; "
        stderr.print(
            safe_text(
                f"error: line {item.line}: the journal could not record the outcome "
                f"({paid if item.task_id else ''}{item.message})"
            ),
            markup=False,
        )
    if as_json:
        emit_json({**groups, "unrecorded": lost} if lost else groups)
    else:
        table = Table(title="batch summary")
        for column in ("line", "name", "result", "task", "file / message"):
            table.add_column(column)
        for row in rows:
            detail = row["path"] if row["status"] == "done" else (row["message"] or "")
            cells = (row["line"], row["name"], row["status"], row["task_id"] or "", detail)
            table.add_row(*(Text(safe_text(cell)) for cell in cells))
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(table)
        counts = ", ".join(f"{len(v)} {k}" for k, v in groups.items())
        print(counts)
    if groups["unknown"]:
        return ExitCode.OUTCOME_UNKNOWN
    if lost:
        return ExitCode.ERROR
    if groups["failed"]:
        return ExitCode.TASK_FAILED
    if groups["pending"]:
        return ExitCode.TIMEOUT
    return ExitCode.OK
