"""``veo mcp``: the video tools for AI assistants, over the Model Context Protocol."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from veo._errors import ConfigurationError
from veo.cli import missing_extra
from veo.cli._command import command
from veo.cli._options import Service
from veo.cli._steps import remembered


class Transport(enum.StrEnum):
    STDIO = "stdio"
    HTTP = "http"


@command
def mcp(
    *,
    out: Annotated[
        Path, typer.Option(help="Where videos are saved; tools write nowhere else.", metavar="DIR")
    ] = Path("videos"),
    max_videos: Annotated[
        int,
        typer.Option(
            min=0, help="The most videos (each one paid) this server may create; then it refuses."
        ),
    ] = 3,
    transport: Annotated[
        Transport,
        typer.Option(help="stdio (an assistant starts the server) or http (streamable HTTP)."),
    ] = Transport.STDIO,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="With --transport http: the port on 127.0.0.1.")
    ] = 8765,
    service: Service,
) -> None:
    """Serve the video tools to AI assistants (Claude Desktop, VS Code, Cursor) over MCP.

    Tools: generate_video, create_video_task, get_video_task, wait_video_task,
    download_video, list_video_tasks. The key comes from DUOMI_API_KEY or
    --api-key-file, never from a tool's arguments.
    """
    try:
        from veo.mcp import VideoTools, serve
    except ModuleNotFoundError as exc:
        fix = missing_extra(exc, "mcp")
        if fix is None:
            raise
        raise ConfigurationError(f"veo mcp needs the mcp extra: {fix}") from None
    tools = VideoTools(out, max_videos, remembered(service))
    with service.options() as options:
        serve(tools, options, transport=transport.value, port=port)
