"""``veo resume``: wait for a task from the ledger and download it where it was meant to go."""

from __future__ import annotations

from typing import Annotated

import typer

from veo._client import DEFAULT_WAIT_TIMEOUT, paid_task
from veo._errors import InvalidRequestError
from veo._rules import Problem
from veo.cli._command import command
from veo.cli._ledger import MOCK, Ledger
from veo.cli._options import JsonOpt, OverwriteOpt, Service, TimeoutOpt
from veo.cli._output import emit_json, task_json
from veo.cli._steps import finish, remembered


@command
def resume(
    *,
    task_id: Annotated[str, typer.Argument(help="A task id from veo tasks.", metavar="TASK_ID")],
    timeout: TimeoutOpt = DEFAULT_WAIT_TIMEOUT,
    overwrite: OverwriteOpt = False,
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Wait for a recorded task and download it to where it was meant to go."""
    entry = Ledger().entry(task_id, service.where()) or Ledger().entry(task_id)
    if entry is None or entry.destination is None:
        raise InvalidRequestError(
            [
                Problem(
                    "task_id",
                    f"{task_id!r} is not in the task ledger with a destination (veo tasks "
                    f"lists it); veo download {task_id} fetches any task by id",
                )
            ]
        )
    if entry.service == MOCK:
        raise InvalidRequestError(
            [
                Problem(
                    "task_id",
                    f"task {task_id} was made by the embedded mock (--mock), which stopped "
                    f"with its command: there is nothing to resume (nothing was paid)",
                )
            ]
        )
    if entry.service is not None and entry.service != service.where():
        raise InvalidRequestError(
            [
                Problem(
                    "task_id",
                    f"task {task_id} was created at {entry.service}, not at "
                    f"{service.where()}: resume it there (--base-url {entry.service})",
                )
            ]
        )
    ledger = remembered(service)
    with service.client() as client, paid_task(task_id):
        finished, path = finish(
            client, ledger, task_id, entry.destination, timeout, not as_json, overwrite
        )
    if as_json:
        emit_json({**task_json(finished), "path": str(path)})
    else:
        print(path)
