"""``veo mock``: the mock server in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veo.cli._command import Command, app
from veo.cli._failures import exit_for
from veo.cli._options import Pace, needs_extra
from veo.mock.__main__ import FAULT_SYNTAX
from veo.mock.__main__ import HELP as MOCK_HELP
from veo.mock.__main__ import serve as serve_mock


@app.command(cls=Command, epilog=FAULT_SYNTAX)
def mock(
    *,
    host: Annotated[str, typer.Option(help=MOCK_HELP["host"])] = "127.0.0.1",
    port: Annotated[int, typer.Option(help=MOCK_HELP["port"], min=0, max=65535)] = 8000,
    api_key: Annotated[
        list[str] | None,
        typer.Option("--api-key", metavar="KEY", help=MOCK_HELP["api_key"], show_default=False),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option("--fault", metavar="FAULT", help=MOCK_HELP["fault"], show_default=False),
    ] = None,
    seed: Annotated[int, typer.Option(help=MOCK_HELP["seed"])] = 0,
    pace: Annotated[Pace, typer.Option(help=MOCK_HELP["pace"])] = Pace.POLLS,
    pending: Annotated[float, typer.Option(help=MOCK_HELP["pending"], min=0)] = 1,
    running: Annotated[float, typer.Option(help=MOCK_HELP["running"], min=0)] = 3,
    as_json: Annotated[bool, typer.Option("--json", help=MOCK_HELP["json"])] = False,
    replay: Annotated[
        Path | None,
        typer.Option(help=MOCK_HELP["replay"], metavar="DIR", show_default=False),
    ] = None,
    allow_drift: Annotated[
        bool, typer.Option("--allow-drift", help=MOCK_HELP["allow_drift"])
    ] = False,
    speed: Annotated[float, typer.Option(help=MOCK_HELP["speed"], min=0.001)] = 1.0,
    fetch_images: Annotated[
        bool, typer.Option("--fetch-images", help=MOCK_HELP["fetch_images"])
    ] = False,
) -> None:
    """Run the mock server in the foreground (the same as python -m veo.mock)."""
    try:
        import veo.mock._server  # noqa: F401  # the web framework: the mock extra
    except ModuleNotFoundError as exc:
        error = needs_extra(exc, "veo mock", "mock")
        if error is exc:
            raise
        raise exit_for(error, as_json) from None
    code = serve_mock(
        host=host,
        port=port,
        api_keys=api_key,
        fault=fault or (),
        seed=seed,
        pace=pace.value,
        pending=pending,
        running=running,
        as_json=as_json,
        replay=None if replay is None else str(replay),
        allow_drift=allow_drift,
        speed=speed,
        fetch_images=fetch_images,
    )
    raise typer.Exit(code)
