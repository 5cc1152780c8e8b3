"""``veo wait``: wait for a task with the live status line."""

from __future__ import annotations

from typing import Annotated

import typer

from veo._client import DEFAULT_WAIT_TIMEOUT
from veo.cli._command import command
from veo.cli._options import JsonOpt, Service, TimeoutOpt
from veo.cli._steps import remembered, show_task, wait_showing


@command
def wait(
    *,
    task_id: Annotated[str, typer.Argument(help="The task id.", metavar="TASK_ID")],
    timeout: TimeoutOpt = DEFAULT_WAIT_TIMEOUT,
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Wait for a task to finish, with a live status line."""
    with service.client() as client:
        show_task(wait_showing(client, remembered(service), task_id, timeout, not as_json), as_json)
