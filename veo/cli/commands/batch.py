"""``veo batch``: many videos from a JSONL file, resumable."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from veo._client import DEFAULT_WAIT_TIMEOUT
from veo._errors import InvalidRequestError
from veo._rules import Problem
from veo._s3 import S3Destination
from veo.cli._batch import (
    JOURNAL_NAME,
    Job,
    Journal,
    Unrecorded,
    Videos,
    batch_lock,
    parse_batch,
    recorded_rows,
)
from veo.cli._batch_run import batch_entries, batch_summary, run_jobs, spend_plan
from veo.cli._command import command
from veo.cli._ledger import ledger_path
from veo.cli._options import JsonOpt, Service, TimeoutOpt
from veo.cli._output import ExitCode, emit_json, safe_text, stderr
from veo.cli._signals import answering_a_stop, asyncio_ctrl_c
from veo.cli._steps import remembered
from veo.cli._uploads import Uploads, planned


@command
def batch(
    *,
    file: Annotated[
        Path,
        typer.Argument(
            help="JSONL: one request per line.", exists=True, dir_okay=False, metavar="FILE"
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            metavar="DIR",
            help=(
                "Directory for the videos and the journal; or s3://bucket/prefix/ for the "
                "videos (the journal then lives under VEO_HOME)."
            ),
        ),
    ] = "videos",
    concurrency: Annotated[int, typer.Option(help="Jobs in flight at once.", min=1, max=256)] = 4,
    resubmit_unknown: Annotated[
        bool,
        typer.Option(
            "--resubmit-unknown",
            help="Create again the jobs whose create outcome is unknown (may duplicate).",
        ),
    ] = False,
    timeout: TimeoutOpt = DEFAULT_WAIT_TIMEOUT,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace files already in --out that a new job would write (else: refused).",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Create without asking (on a terminal).")
    ] = False,
    max_videos: Annotated[
        int | None,
        typer.Option(
            "--max-videos",
            help="Create at most N new videos in this run; the rest stay for a later run.",
            min=0,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check every line, say what would be created; create nothing."
        ),
    ] = False,
    service: Service,
    uploads: Uploads,
    as_json: JsonOpt = False,
) -> None:
    """Run every request in a JSONL file; re-run the same command to resume.

    Before the first create it says how many new (billed) videos the run creates, and
    on a terminal asks first (--yes does not ask).
    """
    videos, state = outputs(out)
    jobs, problems = parse_batch(file, uploading=uploads.upload is not None)
    if problems:
        for problem in problems:
            stderr.print(f"error: line {problem.line}: {safe_text(problem.message)}", markup=False)
        if as_json:
            emit_json(
                {
                    "error": {
                        "type": "InvalidBatchFile",
                        "problems": [{"line": p.line, "message": p.message} for p in problems],
                    },
                    "exit_code": int(ExitCode.INVALID_INPUT),
                }
            )
        raise typer.Exit(int(ExitCode.INVALID_INPUT))
    for job in jobs:
        for note in job.warnings:
            stderr.print(f"warning: line {job.line}: {safe_text(note)}", markup=False)
    if dry_run:
        if uploads.upload is not None:
            say_uploads(jobs, uploads)
        recorded = recorded_rows(state)
        spend_plan(
            jobs, recorded, videos, resubmit_unknown, max_videos, overwrite, as_json, dry_run=True
        )
        raise typer.Exit(int(ExitCode.OK))
    # On a terminal, ask before anything is written, so that a refusal leaves nothing
    # behind: the plan from the journal as it is. Under the lock the plan is made
    # again; a run that would now create more than was agreed stops.
    agreed: int | None = None
    if not yes and sys.stdin.isatty():
        recorded = recorded_rows(state)
        agreed = spend_plan(
            jobs, recorded, videos, resubmit_unknown, max_videos, overwrite, as_json, dry_run=False
        )
        question = f"create {agreed} new video(s), each billed?"
        if agreed and not typer.confirm(question, default=False, err=True):
            stderr.print("nothing created", markup=False)
            raise typer.Exit(int(ExitCode.OK))
    state.mkdir(parents=True, exist_ok=True)
    interrupted = False
    unrecorded: list[Unrecorded] = []
    with batch_lock(state):
        journal = Journal(state / JOURNAL_NAME)
        try:
            journal.register(jobs)
            creating = spend_plan(
                jobs,
                journal.rows(),
                videos,
                resubmit_unknown,
                max_videos,
                overwrite,
                as_json,
                dry_run=False,
                said=agreed is not None,
            )
            if agreed is not None and creating > agreed:
                raise InvalidRequestError(
                    [
                        Problem(
                            "--out",
                            f"another run changed {out} while you were asked: this run would "
                            f"now create {creating} video(s), not {agreed}; run it again",
                        )
                    ]
                )
            uploading = uploads.upload is not None
            with (
                uploads.uploader(False) as uploader,  # the batch's own bars show progress
                service.options(fetch_images=uploading) as options,
            ):
                try:
                    with asyncio_ctrl_c():
                        unrecorded = asyncio.run(
                            run_jobs(
                                jobs,
                                journal,
                                videos,
                                {**options, **uploader},
                                concurrency,
                                resubmit_unknown,
                                timeout,
                                not as_json,
                                max_videos,
                            )
                        )
                except KeyboardInterrupt:
                    answering_a_stop()  # the journal's summary and the ledger come first
                    interrupted = True
            rows = journal.summary()
        finally:
            journal.close()
    remembered(service).record_many(batch_entries(jobs, rows, videos, service.where()))
    code = batch_summary(rows, unrecorded, as_json)
    if interrupted:
        stderr.print("interrupted: re-run the same command to resume", markup=False)
        code = ExitCode.INTERRUPTED
    raise typer.Exit(int(code))


def say_uploads(jobs: list[Job], uploads: Uploads) -> None:
    """``--dry-run --upload``: each distinct local image the run would upload, once."""
    seen: dict[str, str] = {}
    for job in jobs:
        for field, image in planned(job.request):
            if image.sha256 not in seen:
                seen[image.sha256] = f"line {job.line} {field}: {safe_text(image.name)}"
                where = uploads.where(image)
                stderr.print(f"would upload {seen[image.sha256]} to {where}", markup=False)
    stderr.print(f"{len(seen)} image(s) to upload, each once", markup=False)


def outputs(out: str) -> tuple[Videos, Path]:
    """Where the videos go (a directory, or a bucket prefix) and where the journal and
    the lock live: the directory itself, or for a bucket a directory of this machine's
    own under ``VEO_HOME`` (one per ``s3://`` location), so that a re-run resumes it.

    Raises:
        ConfigurationError: not a usable ``s3://`` URL, or the ``s3`` extra missing.
    """
    if not out.startswith("s3://"):
        return Path(out), Path(out)
    bucket = S3Destination(out if out.endswith("/") else out + "/")
    digest = hashlib.sha256(bucket.location.encode()).hexdigest()[:16]
    return bucket, ledger_path().parent / "batches" / f"{bucket.bucket}-{digest}"
