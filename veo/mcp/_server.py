"""The MCP server of ``veo mcp``: six tools over one ``AsyncVeo``.

The request tools take one argument per field of the spec's request
(``veo_api.request_fields.FIELDS``, written by ``make gen``): a field the spec adds is in
their input schema after ``make gen``, with its description and, for an enum, its
values. What the service is told passes the library's checks first; what comes back
passes the command's redaction (``veo.cli._keys``) before a model sees it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import attrs
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from veo._client import AsyncVeo, paid_task
from veo._errors import InvalidRequestError, VeoError
from veo._logs import enable_logging
from veo._models import TaskState, VideoRequest, VideoTask
from veo.cli._keys import shown, shown_value
from veo.cli._ledger import Ledger, Remembered
from veo.cli._output import describe_error, safe_text, task_json
from veo.cli._steps import paid_for
from veo_api.request_fields import FIELDS, RequestField, RequestModel

__all__ = ["DEFAULT_MAX_VIDEOS", "VideoTools", "build_server", "serve"]

logger = logging.getLogger("veo")

DEFAULT_MAX_VIDEOS = 3
"""Videos one server may create unless the user says more (``--max-videos``)."""
DEFAULT_WAIT = 900.0
INSTRUCTIONS = """\
Generates 8-second videos with Duomi Veo 3.1. Every created video is paid for by the
user: create only what the user asked for, and never create a task again because a
call failed or was cancelled: the task is recorded (list_video_tasks), and
wait_video_task / download_video pick it up by its id. generate_video does the whole
job (create, wait with progress, download) and returns the saved file's path; videos
take minutes. Images must be public http(s) URLs."""
_PYTHON_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool}


def _annotation(field: RequestField) -> Any:
    """The Python type a tool argument for ``field`` takes (None: not a tool argument)."""
    if field.values is not None:
        return Literal[field.values]  # Literal of a tuple: one literal per value
    if field.json_type == "array" and field.items in _PYTHON_TYPES:
        return types.GenericAlias(list, (_PYTHON_TYPES[field.items],))
    return _PYTHON_TYPES.get(field.json_type)


def request_parameters() -> list[inspect.Parameter]:
    """One keyword parameter per request field, described as the spec describes it;
    required where ``VideoRequest`` has no default (the prompt)."""
    required = {f.name for f in attrs.fields(RequestModel) if f.default is attrs.NOTHING}
    parameters = []
    for field in FIELDS:
        annotation = _annotation(field)
        if annotation is None:  # an object field: extra_body= in Python carries it
            continue
        constraints: dict[str, Any] = {"description": field.description or field.name}
        if field.max_items is not None:
            constraints["max_length"] = field.max_items
        needed = field.name in required
        parameters.append(
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[
                    annotation if needed else annotation | None, Field(**constraints)
                ],
                default=inspect.Parameter.empty if needed else None,
            )
        )
    return sorted(parameters, key=lambda p: p.default is not inspect.Parameter.empty)


def _argument(name: str, annotation: Any, description: str, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[annotation, Field(description=description)],
        default=default,
    )


TASK_ID = _argument(
    "task_id", str, "A task id, as create_video_task returned it.", inspect.Parameter.empty
)
FILENAME = _argument(
    "filename",
    str | None,
    "A file name inside the server's output directory (no path); default: the task id.",
    None,
)
TIMEOUT = _argument(
    "timeout_seconds", float, "How long to wait for the video (it keeps going after).", DEFAULT_WAIT
)
OVERWRITE = _argument("overwrite", bool, "Replace a file of that name.", False)
STATE = _argument(
    "state",
    Literal[tuple(state.value for state in TaskState)] | None,
    "Only tasks last seen in this state.",
    None,
)
LIMIT = _argument("limit", int, "The most tasks to list, newest first.", 20)


def _tool(
    name: str, method: Callable[..., Awaitable[dict[str, Any]]], parameters: list[inspect.Parameter]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``method`` as a tool function with these parameters (and the MCP context)."""
    context = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)

    async def tool(**arguments: Any) -> dict[str, Any]:
        return await method(**arguments)

    signature = inspect.Signature([*parameters, context], return_annotation=dict[str, Any])
    tool.__signature__ = signature  # type: ignore[attr-defined]
    tool.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
    tool.__annotations__["return"] = dict[str, Any]
    tool.__name__ = tool.__qualname__ = name
    return tool


class VideoTools:
    """What the tools share: the client, the output directory, the spending cap and
    the ledger. One per server (``build_server``).

    Args:
        out: where videos are saved; a tool argument names a file inside it, never
            elsewhere.
        max_videos: the most creates this server makes; the next is refused.
        ledger: the task ledger, for this server's service.
    """

    def __init__(self, out: Path, max_videos: int, ledger: Remembered) -> None:
        self.out = out.expanduser().absolute()
        self.max_videos = max_videos
        self.ledger = ledger
        self.created = 0
        self.client: AsyncVeo | None = None  # set while the server runs

    @property
    def _client(self) -> AsyncVeo:
        if self.client is None:
            raise ToolError("the server is not connected to the service yet")
        return self.client

    # -- the tools ----------------------------------------------------------------

    async def create_video_task(self, ctx: Context, **fields: Any) -> dict[str, Any]:
        """Create one video task (paid) and return its id at once, without waiting.
        Pick it up with wait_video_task and download_video."""
        with _failures():
            task = await self._create(fields, self.out)
            return _shown({"task_id": task.id, "state": task.state.value})

    async def generate_video(
        self,
        ctx: Context,
        filename: str | None = None,
        timeout_seconds: float = DEFAULT_WAIT,
        overwrite: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """Create a video (paid), wait for it with progress, and save it in the server's
        output directory; returns the file's path and the task id."""
        with _failures():
            target = self._target(filename)
            task = await self._create(fields, target)
            with paid_task(task):  # whatever ends the call names the task
                finished = await self._wait(ctx, task.id, timeout_seconds)
                path = await self._client.download(finished, target, overwrite=overwrite)
            self.ledger.update(task.id, state=finished.state.value, file=str(path))
            return _shown({"task_id": task.id, "path": str(path), "state": finished.state.value})

    async def get_video_task(self, ctx: Context, task_id: str) -> dict[str, Any]:
        """A task's state, progress and video links, as the service reports it now."""
        with _failures():
            task = await self._client.get(task_id)
            self.ledger.update(task.id, state=task.state.value)
            return _shown(task_json(task))

    async def wait_video_task(
        self, ctx: Context, task_id: str, timeout_seconds: float = DEFAULT_WAIT
    ) -> dict[str, Any]:
        """Wait for a task to finish, with progress; returns it as get_video_task does."""
        with _failures():
            return _shown(task_json(await self._wait(ctx, task_id, timeout_seconds)))

    async def download_video(
        self, ctx: Context, task_id: str, filename: str | None = None, overwrite: bool = False
    ) -> dict[str, Any]:
        """Save a finished task's video in the server's output directory; its path."""
        with _failures():
            target = self._target(filename)
            task = await self._client.get(task_id)
            path = await self._client.download(task, target, overwrite=overwrite)
            self.ledger.update(task.id, state=task.state.value, file=str(path))
            return _shown({"task_id": task.id, "path": str(path)})

    async def list_video_tasks(
        self, ctx: Context, state: str | None = None, limit: int = 20
    ) -> dict[str, Any]:
        """The tasks recorded on this machine (by this server, the veo command and
        batches), newest first, with where their videos went."""
        with _failures():
            entries = await anyio.to_thread.run_sync(lambda: Ledger().entries(state=state))
            return _shown({"tasks": [entry.to_json() for entry in entries[: max(limit, 0)]]})

    # -- the steps ----------------------------------------------------------------

    async def _create(self, fields: dict[str, Any], destination: Path) -> VideoTask:
        given = {name: value for name, value in fields.items() if value is not None}
        request = VideoRequest(**given)  # the library's checks: before counting or paying
        if self.created >= self.max_videos:
            raise ToolError(
                f"this server has created {self.created} video(s), the most it may "
                f"(--max-videos {self.max_videos}); every video is paid for, so creating more "
                f"is the user's decision: they can restart it with a higher --max-videos"
            )
        self.created += 1

        def record(task: VideoTask) -> None:  # the id is on disk before anything else
            mode = request.generation_type
            paid_for(
                self.ledger,
                task.id,
                command="mcp",
                prompt=request.prompt,
                mode=getattr(mode, "value", mode),
                destination=str(destination),
                state=str(task.state),
            )

        try:
            return await self._client.create(request, on_created=record)
        except InvalidRequestError:
            self.created -= 1  # refused before sending: nothing was paid
            raise

    async def _wait(self, ctx: Context, task_id: str, timeout: float) -> VideoTask:
        reports: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()

        def on_progress(task: VideoTask) -> None:
            message = f"{task.state.value} {task.progress or 0}%"
            report = loop.create_task(ctx.report_progress(task.progress or 0, 100, message))
            reports.add(report)
            report.add_done_callback(reports.discard)

        try:
            finished = await self._client.wait(task_id, timeout=timeout, on_progress=on_progress)
        except BaseException as exc:
            for report in reports:
                report.cancel()
            if isinstance(exc, anyio.get_cancelled_exc_class()):
                _say_kept(task_id)
            raise
        await asyncio.gather(*reports, return_exceptions=True)
        self.ledger.update(finished.id, state=finished.state.value)
        return finished

    def _target(self, filename: str | None) -> Path:
        """Where a video goes: the output directory, or a file directly inside it."""
        self.out.mkdir(parents=True, exist_ok=True)
        if filename is None:
            return self.out
        plain = Path(filename).name == filename and filename not in ("", ".", "..")
        if not plain or os.sep in filename or "/" in filename or "\\" in filename:
            raise ToolError(
                f"filename: must be a file name inside the output directory, without a "
                f"path, got {filename!r}"
            )
        target = self.out / filename
        if target.is_symlink() or target.resolve().parent != self.out.resolve():
            raise ToolError(f"filename: {filename!r} is a link; name a new or plain file")
        return target


def _say_kept(task_id: str) -> None:
    """After a cancelled wait: the paid task is in the ledger, and how to pick it up
    (in the server's log, which assistants show: a cancelled call has no result)."""
    logger.warning(
        "%s",
        shown(
            f"cancelled while waiting: task {safe_text(task_id)} was paid for and stays "
            f"recorded (list_video_tasks); wait_video_task and download_video pick it up "
            f"by its id"
        ),
    )


def _shown(result: dict[str, Any]) -> dict[str, Any]:
    shown_result: dict[str, Any] = shown_value(result)
    return shown_result


class _failures:
    """Each ``veo`` error as a tool error: one line, redacted, naming the paid task and
    the tools that pick it up."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, VeoError | OSError):
            message = describe_error(exc)
            task_id = getattr(exc, "task_id", None)
            if task_id:
                message += (
                    f" (task {task_id} was paid for and is recorded: wait_video_task "
                    f"and download_video pick it up)"
                )
            raise ToolError(shown(message)) from None


def build_server(tools: VideoTools, client_options: dict[str, Any]) -> MCPServer[Any]:
    """The MCP server: ``tools`` as MCP tools, an ``AsyncVeo`` on ``client_options`` for
    as long as it runs."""

    @asynccontextmanager
    async def connected(_: MCPServer[Any]) -> AsyncIterator[None]:
        async with AsyncVeo(**client_options) as client:
            tools.client = client
            try:
                yield None
            finally:
                tools.client = None

    server: MCPServer[Any] = MCPServer(
        "veo", instructions=INSTRUCTIONS, lifespan=connected, log_level="WARNING"
    )
    request = request_parameters()
    for name, parameters in (
        ("generate_video", [*request, FILENAME, TIMEOUT, OVERWRITE]),
        ("create_video_task", request),
        ("get_video_task", [TASK_ID]),
        ("wait_video_task", [TASK_ID, TIMEOUT]),
        ("download_video", [TASK_ID, FILENAME, OVERWRITE]),
        ("list_video_tasks", [STATE, LIMIT]),
    ):
        method = getattr(tools, name)
        server.add_tool(
            _tool(name, method, parameters),
            name=name,
            description=inspect.getdoc(method),
            structured_output=True,
        )
    return server


def serve(
    tools: VideoTools,
    client_options: dict[str, Any],
    *,
    transport: Literal["stdio", "http"] = "stdio",
    port: int = 8765,
) -> None:
    """Run the server until its client goes (stdio) or it is stopped (http, on
    127.0.0.1 only)."""
    server = build_server(tools, client_options)
    # The server's log is stderr, one plain line a record (assistants show it as is).
    enable_logging(logging.INFO)
    logger.propagate = False
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=port)
