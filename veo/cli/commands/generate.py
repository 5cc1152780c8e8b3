"""``veo generate``: create, wait with a live status line, download."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from veo._client import DEFAULT_WAIT_TIMEOUT, paid_task
from veo._models import VideoTask
from veo.cli._command import command
from veo.cli._failures import creating
from veo.cli._options import (
    RECORDING_HELP,
    JsonOpt,
    KeepVideoOpt,
    OutOpt,
    OverwriteOpt,
    Service,
    TimeoutOpt,
)
from veo.cli._output import emit_json, task_json
from veo.cli._request import RequestArgs
from veo.cli._steps import destination_of, finish, paid_for, preflight, recorded, remembered
from veo.cli._uploads import Uploads, planned


@command
def generate(
    *,
    request: RequestArgs,
    out: OutOpt = ".",
    overwrite: OverwriteOpt = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait", help="Create the task, print its id alone (--json: the task), and stop."
        ),
    ] = False,
    timeout: TimeoutOpt = DEFAULT_WAIT_TIMEOUT,
    record: Annotated[
        Path | None,
        typer.Option(help=RECORDING_HELP, file_okay=False),
    ] = None,
    keep_video: KeepVideoOpt = False,
    service: Service,
    uploads: Uploads,
    as_json: JsonOpt = False,
) -> None:
    """Create a video, wait for it with a live status line, download it, print its path.

    Every task it creates is recorded in the task ledger first (veo tasks lists them).
    """
    built, body = request.build(uploading=uploads.upload is not None)
    planned(built)  # every local image readable and of a kind the service takes
    preflight(out, overwrite)
    show = not as_json
    ledger = remembered(service)

    def remember(task: VideoTask) -> None:
        paid_for(
            ledger,
            task.id,
            command="generate",
            prompt=built.prompt,
            mode=body.get("generation_type"),
            destination=destination_of(out),
            state=str(task.state),
            service=service.where(),
        )

    with (
        uploads.uploader(show) as uploading,
        service.client(**uploading) as client,
        recorded(client, record) as recorder,
    ):
        with warnings.catch_warnings(), creating():
            warnings.simplefilter("ignore")  # already shown by build()
            task = client.create(built, on_created=remember)
        if no_wait:
            if as_json:
                emit_json(task_json(task))
            else:
                print(task.id)
            return
        with paid_task(task):
            finished, path = finish(client, ledger, task.id, out, timeout, show, overwrite)
            if recorder is not None and isinstance(path, Path):  # an object: not read back
                recorder.video_saved(path, keep_video)
    if as_json:
        emit_json({**task_json(finished), "path": str(path)})
    else:
        print(path)
