"""The ``veo`` command's commands (``veo.cli.main`` runs them).

Needs the ``cli`` extra (Typer, Rich, platformdirs); ``import veo`` never imports it.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import functools
import gc
import inspect
import logging
import os
import signal
import sys
import threading
import time
import typing
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import attrs
import typer
import typer.core
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from veo import __version__
from veo._client import DEFAULT_WAIT_TIMEOUT, AsyncVeo, Veo, paid_task
from veo._download import DownloadTarget
from veo._errors import ConfigurationError, InvalidRequestError, TaskFailedError, VeoError
from veo._logs import FORMAT as LOG_FORMAT
from veo._logs import LEVELS, enable_logging
from veo._models import TaskState, VideoTask
from veo._polling import PollSchedule
from veo._recording import Recorder
from veo._rules import Problem
from veo._secret import check_key
from veo.cli import missing_extra
from veo.cli._batch import (
    JOURNAL_NAME,
    MAX_CONNECTIONS,
    NEW_ROW,
    Job,
    Journal,
    Unrecorded,
    batch_lock,
    parse_batch,
    plan_of,
    recorded_rows,
    run_batch,
)
from veo.cli._ledger import Ledger, Remembered
from veo.cli._output import (
    EXIT_CODES,
    ExitCode,
    TaskStatusLine,
    describe_error,
    download_bar,
    emit_json,
    exit_code_for,
    safe_text,
    stderr,
    task_json,
)
from veo.cli._request import RequestArgs
from veo.mock.__main__ import FAULT_SYNTAX
from veo.mock.__main__ import HELP as MOCK_HELP
from veo.mock.__main__ import serve as serve_mock

if TYPE_CHECKING:
    from types import FrameType

    from veo.check import CheckReport

__all__ = ["app", "main"]

logger = logging.getLogger("veo")

EXIT_HELP = "\n\n".join(f"{code.value:>3}  {text}" for code, text in EXIT_CODES.items())
app = typer.Typer(
    name="veo",
    help=(
        "Generate videos with the Duomi Veo 3.1 API.\n\n"
        "The API key comes from DUOMI_API_KEY or --api-key-file (never from a flag: it "
        "would land in shell history). --mock runs everything against an embedded mock "
        "server, no key needed.\n\nExit codes:\n\n" + EXIT_HELP
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


class _Command(typer.core.TyperCommand):
    """A command whose usage line reads ``veo generate [OPTIONS] PROMPT``: Typer writes
    a required argument as ``{PROMPT}``, which reads as a placeholder left unfilled."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [
            piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
            for piece in super().collect_usage_pieces(ctx)
        ]


# Options shared by several commands (the groups below hold the ones that go together).
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(help="Read the API key from this file (default: DUOMI_API_KEY).", dir_okay=False),
]
BaseUrlOpt = Annotated[
    str | None, typer.Option(help="API base URL (default: DUOMI_BASE_URL, then the vendor's).")
]
MockOpt = Annotated[
    bool, typer.Option("--mock", help="Use an embedded mock server: no key, no cost.")
]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for the task.", min=1)]
ImageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--image",
        metavar="URL",
        help=(
            "Image URL; repeat for more: 1-2 for FIRST&LAST (first and last frame), "
            "1-3 for REFERENCE."
        ),
        show_default=False,
    ),
]
# A string, not a Path: a trailing "/" marks a directory that does not exist yet.
OutOpt = Annotated[
    str,
    typer.Option(
        metavar="PATH", help="File, or directory (ending in / or existing; named after the task)."
    ),
]


class Pace(enum.StrEnum):
    """``veo mock --pace``."""

    POLLS = "polls"
    TIME = "time"


RECORDING_HELP = (
    "Write every request and answer, redacted, to this directory (recording.json: what "
    "veo mock --replay serves)."
)
KeepVideoOpt = Annotated[
    bool,
    typer.Option(
        "--keep-video", help="Keep the video itself in the recording (else its size and boxes)."
    ),
]
OverwriteOpt = Annotated[
    bool, typer.Option("--overwrite", help="Replace a file already at the destination.")
]

# The embedded mock moves with the clock; poll it often so the demo is quick.
MOCK_POLLS = PollSchedule(initial=0.5, factor=1.5, max_delay=1.0)


def _fail(error: BaseException, as_json: bool) -> typer.Exit:
    code = exit_code_for(error)
    line = describe_error(error)
    stderr.print(f"error: {line}", markup=False)
    document: dict[str, Any] = {"error": {"type": type(error).__name__, "message": line}}
    if isinstance(error, InvalidRequestError):
        document["error"]["problems"] = [{"field": p.field, "rule": p.rule} for p in error.problems]
    task_id = getattr(error, "task_id", None)
    if task_id:
        shown = safe_text(task_id)
        stderr.print(
            f"task {shown} was paid for; recover it with: veo download {shown}", markup=False
        )
    if as_json:
        if getattr(error, "request_id", None):
            document["error"]["request_id"] = error.request_id  # type: ignore[attr-defined]
        if task_id:
            document["error"]["task_id"] = task_id
            document["error"]["recover"] = f"veo download {task_id}"
        document["exit_code"] = int(code)
        emit_json(document)
    return typer.Exit(int(code))


OUTCOME_UNKNOWN = (
    "interrupted while creating a task: it may or may not have been created (and paid "
    "for); check your tasks before creating it again (veo tasks lists the ones veo "
    "recorded; one whose answer never came is only in the vendor's console)"
)


def _interrupted(interruption: KeyboardInterrupt, as_json: bool) -> typer.Exit:
    """Ctrl-C: say what was bought (the task id and how to recover it), exit 130."""
    task_id = getattr(interruption, "task_id", None)
    document: dict[str, Any] = {"error": {"type": "KeyboardInterrupt", "message": "interrupted"}}
    if task_id:
        shown = safe_text(task_id)
        stderr.print(
            f"interrupted: task {shown} was paid for; recover it with: veo download {shown}",
            markup=False,
        )
        document["error"]["task_id"] = task_id
        document["error"]["recover"] = f"veo download {task_id}"
    elif getattr(interruption, "while_creating", False):
        stderr.print(OUTCOME_UNKNOWN, markup=False)
        document["error"]["message"] = OUTCOME_UNKNOWN
    else:
        stderr.print("interrupted", markup=False)
    if as_json:
        document["exit_code"] = int(ExitCode.INTERRUPTED)
        emit_json(document)
    return typer.Exit(int(ExitCode.INTERRUPTED))


@contextmanager
def _creating() -> Iterator[None]:
    """Mark a Ctrl-C that lands while a create is in flight: its outcome is unknown."""
    try:
        yield
    except KeyboardInterrupt as exc:
        exc.while_creating = True  # type: ignore[attr-defined]
        raise


def handles_errors(command: F) -> F:
    """Turn every error into one line on stderr and its documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json", False))
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt as exc:
            raise _interrupted(exc, as_json) from None
        except (VeoError, OSError) as exc:
            raise _fail(exc, as_json) from None
        except Exception as exc:
            # A bug: its traceback with VEO_DEBUG=1 or -vv, one line otherwise.
            if os.environ.get("VEO_DEBUG") or logger.isEnabledFor(logging.DEBUG):
                raise
            raise _fail(exc, as_json) from None

    return wrapper  # type: ignore[return-value]


def _needs_extra(error: ModuleNotFoundError, what: str, extra: str) -> Exception:
    """The error for a missing optional dependency: the one ``pip install`` that fixes it."""
    fix = missing_extra(error, "cli", extra)
    if fix is None:
        return error
    return ConfigurationError(f"{what} needs the {extra} extra: {fix}")


def _api_key(api_key_file: Path | None) -> str | None:
    if api_key_file is None:
        return None
    try:
        key = api_key_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"--api-key-file: cannot read {api_key_file}: {exc.strerror}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"--api-key-file: {api_key_file} is not UTF-8 text (byte {exc.start + 1})"
        ) from None
    return check_key(key, f"--api-key-file {api_key_file}")


@attrs.frozen
class Service:
    """Where a command's calls go: ``--mock``, ``--api-key-file``, ``--base-url``."""

    mock: MockOpt = False
    api_key_file: KeyFileOpt = None
    base_url: BaseUrlOpt = None

    @classmethod
    def parameters(cls) -> list[inspect.Parameter]:
        """The command's parameters for these options, as Typer reads them."""
        hints = typing.get_type_hints(cls, include_extras=True)
        return [
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=hints[field.name],
                default=field.default,
            )
            for field in attrs.fields(cls)
        ]

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Service:
        """Take these options out of a command's keyword arguments."""
        return cls(**{field.name: options.pop(field.name) for field in attrs.fields(cls)})

    @contextmanager
    def options(self) -> Iterator[dict[str, Any]]:
        """Client options for the real service, or for an embedded mock kept running."""
        if not self.mock:
            yield {"api_key": _api_key(self.api_key_file), "base_url": self.base_url}
            return
        try:
            from veo.mock import Lifecycle, MockServer, MockSpecError
        except ModuleNotFoundError as exc:
            raise _needs_extra(exc, "--mock", "mock") from None
        lifecycle = Lifecycle(pace="time", pending_steps=1, running_steps=4)
        try:
            server = MockServer(lifecycle=lifecycle)
        except MockSpecError as exc:
            raise ConfigurationError(f"--mock: {exc}") from None
        with server:
            stderr.print(f"using the embedded mock server at {server.url}", markup=False)
            yield {"api_key": server.api_key, "base_url": server.url, "poll_schedule": MOCK_POLLS}

    @contextmanager
    def client(self) -> Iterator[Veo]:
        """A ``Veo`` client on these options, closed (and any mock stopped) on exit."""
        with self.options() as options, Veo(**options) as client:
            yield client


OPTION_GROUPS: tuple[type[Any], ...] = (Service, RequestArgs)


def command(function: F) -> F:
    """Register ``function`` as a ``veo`` command, with the CLI's error handling.

    A parameter annotated with one of ``OPTION_GROUPS`` is shown to Typer as that
    group's options, declared once on the group; the command receives the group.
    """
    signature = inspect.signature(function, eval_str=True)
    groups: dict[str, type[Any]] = {}
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.annotation in OPTION_GROUPS:
            groups[parameter.name] = parameter.annotation
            parameters += parameter.annotation.parameters()
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    handled = handles_errors(function)

    @functools.wraps(function)
    def grouped(**kwargs: Any) -> Any:
        for name, group in groups.items():
            kwargs[name] = group.from_options(kwargs)
        return handled(**kwargs)

    grouped.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    grouped.__annotations__ = {p.name: p.annotation for p in parameters}
    app.command(cls=_Command)(grouped)
    return function


def _show_task(task: VideoTask, as_json: bool, **extra: Any) -> None:
    if as_json:
        emit_json({**task_json(task), **extra})
        return
    progress = f" {task.progress}%" if task.progress is not None else ""
    line = f"{safe_text(task.id)}\t{task.state.value}{progress}"
    if task.message:
        line += f"\t{safe_text(task.message)}"
    print(line)
    times = [
        f"{label} {moment.strftime('%Y-%m-%d %H:%M:%S UTC')}"
        for label, moment in (("created", task.created_at), ("updated", task.updated_at))
        if moment is not None
    ]
    if task.action or times:
        print("\t".join([*([f"action {safe_text(task.action)}"] if task.action else []), *times]))
    for url in task.video_urls:
        print(safe_text(url))


def _wait(client: Veo, task: VideoTask | str, timeout: float, show: bool) -> VideoTask:
    status = TaskStatusLine(enabled=show)
    with status.shown():
        return client.wait(task, timeout=timeout, on_progress=status.update)


def _download(client: Veo, task: VideoTask, out: str, show: bool, overwrite: bool) -> Path:
    with download_bar(show, "downloading") as on_progress:
        return client.download(task, out, overwrite=overwrite, on_progress=on_progress)


@contextmanager
def _recorded(client: Veo, directory: Path | None) -> Iterator[Recorder | None]:
    """``--record DIR``: every exchange of ``client``, redacted, written to ``DIR`` when
    the block ends, however it ends (a failed run's answers are the useful ones)."""
    if directory is None:
        yield None
        return
    recorder = Recorder(client._secret, str(client.base_url), "veo generate")
    try:
        with client.observing(recorder.observe):
            yield recorder
    finally:
        path = recorder.recording().save(directory)
        count = len(recorder.exchanges)
        stderr.print(f"recorded {count} exchange(s), redacted, in {path}", markup=False)


def _remembered() -> Remembered:
    """The task ledger, as the commands write it (a failed write warns once)."""
    return Remembered(Ledger(), lambda line: stderr.print(safe_text(line), markup=False))


def _destination(out: str) -> str:
    """``--out`` as an absolute path, a trailing separator (a directory) kept."""
    absolute = os.path.abspath(out)
    return absolute + os.sep if out.endswith(("/", os.sep)) else absolute


def _finish(
    client: Veo,
    ledger: Remembered,
    task_id: str,
    out: str,
    timeout: float,
    show: bool,
    overwrite: bool = False,
) -> tuple[VideoTask, Path]:
    """Wait for a task and download its video, noting both in the ledger."""
    try:
        finished = _wait(client, task_id, timeout, show)
    except TaskFailedError as exc:
        ledger.update(task_id, state=str(exc.task.state))
        raise
    ledger.update(task_id, state=str(finished.state))
    path = _download(client, finished, out, show, overwrite)
    ledger.update(task_id, file=str(path))
    return finished, path


def _since(value: str) -> float:
    """``--since``: ``90m``, ``12h``, ``7d``, or a date or time (``2026-11-30``, ISO 8601)."""
    units = {"m": 60, "h": 3600, "d": 86400}
    text = value.strip()
    if text[:-1].isdigit() and text[-1:] in units:
        return time.time() - int(text[:-1]) * units[text[-1]]
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequestError(
            [Problem("--since", f"{value!r} is not 90m, 12h, 7d or an ISO date/time")]
        ) from None
    return moment.timestamp()


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
    ledger = Ledger()
    entries = ledger.entries(state=state, since=None if since is None else _since(since))
    if as_json:
        emit_json({"ledger": str(ledger.path), "tasks": [e.to_json() for e in entries]})
        return
    table = Table(title=f"tasks ({ledger.path})")
    for column in ("created", "task", "state", "mode", "prompt", "file / destination"):
        table.add_column(column)
    for entry in entries:
        created = datetime.datetime.fromtimestamp(entry.created).strftime("%Y-%m-%d %H:%M")
        cells = (
            created,
            entry.id,
            entry.state or "",
            entry.mode or "",
            entry.prompt,
            entry.file or entry.destination or "",
        )
        table.add_row(*(Text(safe_text(cell)) for cell in cells))
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(table)


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
    entry = Ledger().entry(task_id)
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
    ledger = _remembered()
    with service.client() as client, paid_task(task_id):
        finished, path = _finish(
            client, ledger, task_id, entry.destination, timeout, not as_json, overwrite
        )
    if as_json:
        emit_json({**task_json(finished), "path": str(path)})
    else:
        print(path)


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
    as_json: JsonOpt = False,
) -> None:
    """Create a video, wait for it with a live status line, download it, print its path.

    Every task it creates is recorded in the task ledger first (veo tasks lists them).
    """
    built, body = request.build()
    DownloadTarget.preflight(out, overwrite=overwrite)
    show = not as_json
    ledger = _remembered()

    def remember(task: VideoTask) -> None:
        stderr.print(f"created task {safe_text(task.id)}", markup=False)
        ledger.record(
            task.id,
            command="generate",
            prompt=built.prompt,
            mode=body.get("generation_type"),
            destination=_destination(out),
            state=str(task.state),
        )

    with service.client() as client, _recorded(client, record) as recorder:
        with warnings.catch_warnings(), _creating():
            warnings.simplefilter("ignore")  # already shown by build()
            task = client.create(built, on_created=remember)
        if no_wait:
            if as_json:
                emit_json(task_json(task))
            else:
                print(task.id)
            return
        with paid_task(task):
            finished, path = _finish(client, ledger, task.id, out, timeout, show, overwrite)
            if recorder is not None:
                recorder.video_saved(path, keep_video)
    if as_json:
        emit_json({**task_json(finished), "path": str(path)})
    else:
        print(path)


@command
def validate(*, request: RequestArgs, as_json: JsonOpt = False) -> None:
    """Print the exact JSON body that would be sent, or every problem. No network."""
    _, body = request.build()
    emit_json({"valid": True, "body": body} if as_json else body)


@command
def status(
    *,
    task_id: Annotated[str, typer.Argument(help="The task id.", metavar="TASK_ID")],
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Show a task's state, progress and result links."""
    with service.client() as client:
        _show_task(client.get(task_id), as_json)


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
        _show_task(_wait(client, task_id, timeout, not as_json), as_json)


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
    DownloadTarget.preflight(out, overwrite=overwrite)
    with service.client() as client:
        task = client.get(task_id)
        if task.state is not TaskState.SUCCEEDED:
            raise InvalidRequestError(
                [
                    Problem(
                        "task_id",
                        f"task {task.id} is {task.state.value}, not succeeded; wait for it first",
                    )
                ]
            )
        path = _download(client, task, out, not as_json, overwrite)
    if as_json:
        emit_json({**task_json(task), "path": str(path)})
    else:
        print(path)


@command
def check(
    *,
    task: Annotated[
        str | None, typer.Option("--task", help="Also check this task of yours (free).")
    ] = None,
    spend: Annotated[
        int, typer.Option(help="Also run N real generations and check them (billed).", min=0)
    ] = 0,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before --spend.")] = False,
    image: ImageOpt = None,
    poll_interval: Annotated[
        float | None,
        typer.Option(help="Seconds between polls during --spend (default: backing off).", min=0.01),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(help=RECORDING_HELP, file_okay=False),
    ] = None,
    keep_video: KeepVideoOpt = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Compare this run's answer shapes with a saved baseline; exit 7 on a change.",
            dir_okay=False,
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(help="Save this run's answer shapes as a baseline.", dir_okay=False),
    ] = None,
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Check the service against the spec: free probes, --task, --spend N (billed)."""
    try:
        from veo.check import run_check
        from veo.check._baseline import compare, load_baseline, shapes
        from veo.check._baseline import write_baseline as write_baseline_file
    except ModuleNotFoundError as exc:
        raise _needs_extra(exc, "veo check", "check") from None
    try:
        before = None if baseline is None else load_baseline(baseline)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    if spend:
        stderr.print(
            f"--spend {spend}: {spend} video(s) will be generated by the service and billed "
            "to your key",
            markup=False,
        )
        if not yes and not (sys.stdin.isatty() and typer.confirm("Continue?", err=True)):
            raise InvalidRequestError(
                [Problem("--spend", "not confirmed; nothing was created (pass --yes to confirm)")]
            )
    with service.options() as options:
        schedule = options.get("poll_schedule")
        if poll_interval is not None:
            schedule = PollSchedule(
                initial=poll_interval,
                factor=1.0,
                max_delay=poll_interval,
                late_max_delay=poll_interval,
            )
        ledger = _remembered()

        def remember(task_id: str, body: dict[str, Any]) -> None:
            stderr.print(f"created task {safe_text(task_id)} (--spend)", markup=False)
            ledger.record(
                task_id,
                command="check",
                prompt=str(body.get("prompt", "")),
                mode=body.get("generation_type"),
            )

        report = run_check(
            api_key=options["api_key"],
            base_url=options["base_url"],
            task_id=task,
            spend=spend,
            image_urls=image or (),
            poll_schedule=schedule,
            on_created=remember,
            keep_video=keep_video,
        )
    if save is not None:
        written = report.save(save)
        count = len(report.exchanges)
        stderr.print(f"saved {count} exchange(s), redacted, in {written}", markup=False)
    found = shapes(report.exchanges)
    if write_baseline is not None:
        write_baseline_file(write_baseline, found)
        stderr.print(f"wrote the answer shapes of this run to {write_baseline}", markup=False)
    changes = [] if before is None else compare(before, found)
    code = _check_code(report)
    if changes and code is ExitCode.OK:
        code = ExitCode.DRIFT
    if as_json:
        document = {**report.to_json(), "exit_code": int(code)}
        if before is not None:
            document["baseline"] = [str(change) for change in changes]
        emit_json(document)
    else:
        _check_table(report)
        for change in changes:
            print(f"baseline: {safe_text(str(change))}")
        if before is not None and not changes:
            print(f"baseline: no change from {baseline}")
    raise typer.Exit(int(code))


def _check_code(report: CheckReport) -> ExitCode:
    if report.status == "pass":
        return ExitCode.OK
    if report.status == "drift":
        return ExitCode.DRIFT
    unreachable = {r.name for r in report.results if r.status == "fail"} & {"reach", "key"}
    return ExitCode.API_ERROR if unreachable else ExitCode.ERROR


def _check_table(report: CheckReport) -> None:
    from rich.console import Console

    table = Table(title=f"veo check {safe_text(report.base_url)}")
    for column in ("check", "result", "time", "detail"):
        table.add_column(column)
    for result in report.results:
        took = f"{result.seconds * 1000:.0f} ms" if result.seconds is not None else ""
        cells = (result.name, result.status, took, result.detail)
        table.add_row(*(Text(safe_text(cell)) for cell in cells))
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    for result in report.results:
        for drift in result.drifts:
            print(f"drift ({result.name}): {safe_text(str(drift))}")
    for run in report.spend:
        timings = ", ".join(
            f"{label} {value:.1f} s"
            for label, value in (
                ("queue", run.queue_seconds),
                ("generation", run.generation_seconds),
                ("download", run.download_seconds),
            )
            if value is not None
        )
        print(f"spent: task {safe_text(run.task_id or '-')} ({run.generation_type}): {timings}")
    print(f"result: {report.status}")


@app.command(cls=_Command, epilog=FAULT_SYNTAX)
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
) -> None:
    """Run the mock server in the foreground (the same as python -m veo.mock)."""
    try:
        import veo.mock._server  # noqa: F401  # the web framework: the mock extra
    except ModuleNotFoundError as exc:
        error = _needs_extra(exc, "veo mock", "mock")
        if error is exc:
            raise
        raise _fail(error, as_json) from None
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
    )
    raise typer.Exit(code)


@command
def batch(
    *,
    file: Annotated[
        Path, typer.Argument(help="JSONL: one request per line.", exists=True, dir_okay=False)
    ],
    out: Annotated[Path, typer.Option(help="Directory for the videos and the journal.")] = Path(
        "videos"
    ),
    concurrency: Annotated[int, typer.Option(help="Jobs in flight at once.", min=1, max=256)] = 4,
    resubmit_unknown: Annotated[
        bool,
        typer.Option(
            "--resubmit-unknown",
            help="Create again the jobs whose create outcome is unknown (may duplicate).",
        ),
    ] = False,
    timeout: TimeoutOpt = DEFAULT_WAIT_TIMEOUT,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace files already in --out that a new job would write (else: refused).",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Create without asking (on a terminal).")
    ] = False,
    max_videos: Annotated[
        int | None,
        typer.Option(
            "--max-videos",
            help="Create at most N new videos in this run; the rest stay for a later run.",
            min=0,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Check every line, say what would be created; create nothing."
        ),
    ] = False,
    service: Service,
    as_json: JsonOpt = False,
) -> None:
    """Run every request in a JSONL file; re-run the same command to resume.

    Before the first create it says how many new (billed) videos the run creates, and
    on a terminal asks first (--yes does not ask).
    """
    jobs, problems = parse_batch(file)
    if problems:
        for problem in problems:
            stderr.print(f"error: line {problem.line}: {safe_text(problem.message)}", markup=False)
        if as_json:
            emit_json(
                {
                    "error": {
                        "type": "InvalidBatchFile",
                        "problems": [{"line": p.line, "message": p.message} for p in problems],
                    },
                    "exit_code": int(ExitCode.INVALID_INPUT),
                }
            )
        raise typer.Exit(int(ExitCode.INVALID_INPUT))
    for job in jobs:
        for note in job.warnings:
            stderr.print(f"warning: line {job.line}: {safe_text(note)}", markup=False)
    if dry_run:
        recorded = recorded_rows(out)
        _spend_plan(
            jobs, recorded, out, resubmit_unknown, max_videos, overwrite, as_json, dry_run=True
        )
        raise typer.Exit(int(ExitCode.OK))
    out.mkdir(parents=True, exist_ok=True)
    interrupted = False
    unrecorded: list[Unrecorded] = []
    with batch_lock(out):
        journal = Journal(out / JOURNAL_NAME)
        try:
            journal.register(jobs)
            creating = _spend_plan(
                jobs,
                journal.rows(),
                out,
                resubmit_unknown,
                max_videos,
                overwrite,
                as_json,
                dry_run=False,
            )
            if creating and not yes and sys.stdin.isatty():
                question = f"create {creating} new video(s), each billed?"
                if not typer.confirm(question, default=False, err=True):
                    stderr.print("nothing created", markup=False)
                    raise typer.Exit(int(ExitCode.OK))
            with service.options() as options:
                try:
                    unrecorded = asyncio.run(
                        _run_jobs(
                            jobs,
                            journal,
                            out,
                            options,
                            concurrency,
                            resubmit_unknown,
                            timeout,
                            not as_json,
                            max_videos,
                        )
                    )
                except KeyboardInterrupt:
                    interrupted = True
            rows = journal.summary()
        finally:
            journal.close()
    _remembered().record_many(_batch_entries(jobs, rows, out))
    code = _batch_summary(rows, unrecorded, as_json)
    if interrupted:
        stderr.print("interrupted: re-run the same command to resume", markup=False)
        code = ExitCode.INTERRUPTED
    raise typer.Exit(int(code))


async def _run_jobs(
    jobs: list[Job],
    journal: Journal,
    out: Path,
    options: dict[str, Any],
    concurrency: int,
    resubmit_unknown: bool,
    timeout: float,
    show: bool,
    max_videos: int | None = None,
) -> list[Unrecorded]:
    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=stderr,
        disable=not show,
    )
    overall = progress.add_task("batch", total=len(jobs), count=f"0/{len(jobs)}")
    rows: dict[int, Any] = {}
    final = {"done", "failed", "unknown", "refused", "pending", "error"}
    finished = 0

    def report(job: Job, what: str, task: VideoTask | None) -> None:
        nonlocal finished
        if what in final:
            finished += 1
            progress.update(overall, completed=finished, count=f"{finished}/{len(jobs)}")
            if job.line in rows:
                progress.remove_task(rows.pop(job.line))
            return
        percent = task.progress if task is not None and task.progress is not None else 0
        label = f"  line {job.line} {safe_text(job.name)}: {what}"
        if job.line not in rows:
            rows[job.line] = progress.add_task(label, total=100, count="")
        progress.update(rows[job.line], description=label, completed=percent, count=f"{percent}%")

    # Everything made so far (the modules, the parsed batch) lives for the whole run:
    # leave it out of the collector's full passes, which otherwise walk it again and
    # again while the event loop waits (tens of milliseconds each, for 10,000 jobs).
    gc.freeze()
    try:
        with progress:
            connections = min(concurrency, MAX_CONNECTIONS)
            async with AsyncVeo(**options, max_connections=connections) as client:
                return await run_batch(
                    jobs,
                    journal,
                    client,
                    out,
                    concurrency=concurrency,
                    resubmit_unknown=resubmit_unknown,
                    timeout=timeout,
                    report=report,
                    max_videos=max_videos,
                )
    finally:
        gc.unfreeze()


def _spend_plan(
    jobs: list[Job],
    rows: dict[int, dict[str, Any]],
    out: Path,
    resubmit_unknown: bool,
    max_videos: int | None,
    overwrite: bool,
    as_json: bool,
    *,
    dry_run: bool,
) -> int:
    """Say what the run creates (billed), resumes (paid already) and skips; return the
    number of videos it creates. A dry run also lists the files; with --json, as one
    document on stdout.

    Raises:
        InvalidRequestError: a new job's file is already in ``out`` (not --overwrite).
    """
    plans = {job.line: plan_of(rows.get(job.line, NEW_ROW), resubmit_unknown) for job in jobs}
    new = [job for job in jobs if plans[job.line] == "create"]
    creating = len(new) if max_videos is None else min(len(new), max_videos)
    # A directory there fails its own job (nothing replaces a directory).
    taken = [job for job in new[:creating] if _is_file(out / job.filename)]
    if taken and not overwrite:
        raise InvalidRequestError(
            [
                Problem(
                    f"line {job.line}",
                    f"{out / job.filename} exists; pass --overwrite to replace it",
                )
                for job in taken
            ]
        )
    resumed = sum(1 for plan in plans.values() if plan == "resume")
    skipped = sum(1 for plan in plans.values() if plan == "skip")
    verb = "would create" if dry_run else "creates"
    capped = f" (of {len(new)} new; --max-videos {max_videos})" if creating < len(new) else ""
    line = (
        f"this run {verb} {creating} new video(s), each billed{capped}; resumes {resumed} "
        f"already paid for; skips {skipped} (done, failed, or outcome unknown)"
    )
    stderr.print(line, markup=False)
    if dry_run:
        files = [str(out / job.filename) for job in new[:creating]]
        if as_json:
            emit_json({"create": creating, "resume": resumed, "skip": skipped, "files": files})
        else:
            for name in files:
                print(safe_text(name))
    return creating


def _is_file(path: Path) -> bool:
    return path.exists() and not path.is_dir()


def _batch_entries(jobs: list[Job], rows: list[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    """The ledger's entries for every job of the batch that has a task."""
    by_line = {job.line: job for job in jobs}
    entries = []
    for row in rows:
        job = by_line.get(row["line"])
        if job is None or not row["task_id"]:
            continue
        entries.append(
            {
                "id": row["task_id"],
                "command": "batch",
                "prompt": job.request.prompt,
                "mode": job.mode,
                "destination": str((out / job.filename).absolute()),
                "state": {"done": "succeeded", "failed": "failed"}.get(row["status"]),
                "file": row["path"] if row["status"] == "done" else None,
            }
        )
    return entries


def _batch_summary(
    rows: list[dict[str, Any]], unrecorded: list[Unrecorded], as_json: bool
) -> ExitCode:
    groups: dict[str, list[dict[str, Any]]] = {
        "done": [],
        "failed": [],
        "unknown": [],
        "pending": [],
    }
    for row in rows:
        status = row["status"]
        failed = status in ("refused", "error")
        key = status if status in groups else ("failed" if failed else "pending")
        groups[key].append(row)
    lost = [attrs.asdict(item) for item in unrecorded]
    for item in unrecorded:
        paid = f"task {item.task_id}; recover it with: veo download {item.task_id}; "
        stderr.print(
            safe_text(
                f"error: line {item.line}: the journal could not record the outcome "
                f"({paid if item.task_id else ''}{item.message})"
            ),
            markup=False,
        )
    if as_json:
        emit_json({**groups, "unrecorded": lost} if lost else groups)
    else:
        table = Table(title="batch summary")
        for column in ("line", "name", "result", "task", "file / message"):
            table.add_column(column)
        for row in rows:
            detail = row["path"] if row["status"] == "done" else (row["message"] or "")
            cells = (row["line"], row["name"], row["status"], row["task_id"] or "", detail)
            table.add_row(*(Text(safe_text(cell)) for cell in cells))
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(table)
        counts = ", ".join(f"{len(v)} {k}" for k, v in groups.items())
        print(counts)
    if groups["unknown"]:
        return ExitCode.OUTCOME_UNKNOWN
    if lost:
        return ExitCode.ERROR
    if groups["failed"]:
        return ExitCode.TASK_FAILED
    if groups["pending"]:
        return ExitCode.TIMEOUT
    return ExitCode.OK


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


STOP_SIGNALS = ("SIGTERM", "SIGHUP", "SIGBREAK")
"""Signals that stop a command as Ctrl-C does: ``kill``, a closed terminal, a service
manager stopping it, Ctrl-Break on Windows (each where the system has it)."""


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """Hand a stop signal to whatever answers Ctrl-C at this moment: Python's handler
    raises ``KeyboardInterrupt``; ``asyncio.run``'s cancels the batch's main task."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signum, frame)
    else:  # Ctrl-C ignored (a background job): a stop is still a stop
        raise KeyboardInterrupt


@contextmanager
def _stops_as_ctrl_c() -> Iterator[None]:
    """While a command runs, ``STOP_SIGNALS`` take the Ctrl-C path: the paid task's id
    and how to recover it are printed, no temporary file is left, a batch's journal
    stays consistent. One ignored when the command started (``nohup``) stays ignored."""
    installed: list[int] = []
    if threading.current_thread() is threading.main_thread():
        for name in STOP_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) == signal.SIG_DFL:
                signal.signal(number, _as_ctrl_c)
                installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            signal.signal(number, signal.SIG_DFL)


def main() -> None:
    """Entry point of the ``veo`` console script."""
    with _stops_as_ctrl_c():
        app(prog_name="veo")


if __name__ == "__main__":  # pragma: no cover
    main()
