"""``veo download``: a finished task's video."""

from __future__ import annotations

from typing import Annotated

import typer

from veo._errors import InvalidRequestError
from veo._models import TaskState
from veo._rules import Problem
from veo.cli._command import command
from veo.cli._options import JsonOpt, OutOpt, OverwriteOpt, Service
from veo.cli._output import emit_json, task_json
from veo.cli._steps import download_showing, preflight, remembered, seen


@command
def download(
    *,
    task_id: Annotated[str, typer.Argument(help="The task id.", metavar="TASK_ID")],
    out: OutOpt = ".",
    overwrite: OverwriteOpt = False,
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Download a finished task's video; print its path."""
    preflight(out, overwrite)
    ledger = remembered(service)
    with service.client() as client:
        task = client.get(task_id)
        seen(ledger, task)
        if task.state is not TaskState.SUCCEEDED:
            raise InvalidRequestError(
                [
                    Problem(
                        "task_id",
                        f"task {task.id} is {task.state.value}, not succeeded; wait for it first",
                    )
                ]
            )
        path = download_showing(client, ledger, task, out, not as_json, overwrite)
    if as_json:
        emit_json({**task_json(task), "path": str(path)})
    else:
        print(path)
