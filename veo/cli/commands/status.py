"""``veo status``: a task's state."""

from __future__ import annotations

from typing import Annotated

import typer

from veo.cli._command import command
from veo.cli._options import JsonOpt, Service
from veo.cli._steps import remembered, seen, show_task


@command
def status(
    *,
    task_id: Annotated[str, typer.Argument(help="The task id.", metavar="TASK_ID")],
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Show a task's state, progress and result links."""
    with service.client() as client:
        task = client.get(task_id)
    seen(remembered(service), task)
    show_task(task, as_json)
