"""``veo tasks``: the tasks this machine's ``veo`` bought (the ledger)."""

from __future__ import annotations

import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from veo._errors import InvalidRequestError
from veo._models import TaskState
from veo._rules import Problem
from veo.cli._command import command
from veo.cli._ledger import MOCK, Ledger
from veo.cli._options import JsonOpt
from veo.cli._output import emit_json, safe_text
from veo.cli._steps import since_seconds


@command
def tasks(
    *,
    state: Annotated[
        str | None,
        typer.Option(help="Only tasks last seen in this state (pending, succeeded, ...)."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only tasks created since: 90m, 12h, 7d, or a date.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the tasks this machine's veo created, newest first (the task ledger)."""
    states = [state.value for state in TaskState]
    if state is not None and state not in states:
        raise InvalidRequestError(
            [Problem("--state", f"must be one of {', '.join(states)}, got {state!r}")]
        )
    ledger = Ledger()
    entries = ledger.entries(state=state, since=None if since is None else since_seconds(since))
    if as_json:
        emit_json({"ledger": str(ledger.path), "tasks": [e.to_json() for e in entries]})
        return
    table = Table(title=f"tasks ({ledger.path})")
    for column in ("created", "task", "where", "state", "mode", "prompt", "file / destination"):
        table.add_column(column)
    for entry in entries:
        created = datetime.datetime.fromtimestamp(entry.created).strftime("%Y-%m-%d %H:%M")
        cells = (
            created,
            entry.id,
            _where(entry.service),
            entry.state or "",
            entry.mode or "",
            entry.prompt,
            entry.file or entry.destination or "",
        )
        table.add_row(*(Text(safe_text(cell)) for cell in cells))
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(table)


def _where(service: str | None) -> str:
    """The service column: ``mock``, or the API's host (its scheme too when plain http)."""
    if service is None or service == MOCK:
        return service or ""
    return service.removeprefix("https://")
