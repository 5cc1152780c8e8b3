"""The ``veo`` command's entry point (``veo.cli.main`` runs it): the root options,
the logs, and the commands, registered in the order ``veo --help`` lists them
(``veo.cli.commands``, one module each)."""

from __future__ import annotations

import importlib
import logging
import os
from typing import Annotated

import typer

from veo import __version__
from veo._logs import FORMAT as LOG_FORMAT
from veo._logs import LEVELS, enable_logging
from veo.cli._command import app
from veo.cli._keys import redacted_streams
from veo.cli._output import safe_text, stderr
from veo.cli._signals import stops_as_ctrl_c

COMMANDS = (
    "generate",
    "validate",
    "status",
    "wait",
    "download",
    "batch",
    "tasks",
    "resume",
    "check",
    "mock",
    "mcp",
)
"""The commands (``veo.cli.commands``), in the order ``veo --help`` lists them: making
a video first, then following tasks, then the tools."""
for _name in COMMANDS:
    importlib.import_module(f"veo.cli.commands.{_name}")  # registers the command


def _version(value: bool) -> None:
    if value:
        print(f"veo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help=(
                "Log what the client does on stderr: -v each task's steps, -vv every HTTP "
                "exchange too (the same as VEO_LOG=info, VEO_LOG=debug). Never the key."
            ),
        ),
    ] = 0,
) -> None:
    """Generate videos with the Duomi Veo 3.1 API."""
    _logging(verbose)


def _logging(verbose: int) -> None:
    """-v/-vv or VEO_LOG: the veo logger's lines above the progress bars."""
    asked = [LEVELS["info"] if verbose == 1 else LEVELS["debug"]] if verbose else []
    from_env = LEVELS.get(os.environ.get("VEO_LOG", "").strip().lower())
    if from_env is not None:
        asked.append(from_env)
    if asked:
        handler = _ConsoleHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        enable_logging(min(asked), handler)


class _ConsoleHandler(logging.Handler):
    """Log lines on stderr through Rich, so that they print above the progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stderr.print(safe_text(self.format(record)), markup=False)
        except Exception:
            self.handleError(record)


def main() -> None:
    """Entry point of the ``veo`` console script."""
    with stops_as_ctrl_c(), redacted_streams():
        app(prog_name="veo")


if __name__ == "__main__":  # pragma: no cover
    main()
