"""How a command ends when something goes wrong: one line (or one JSON document) and
its documented exit code; an interruption names the paid task and its recovery."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer

from veo._errors import InvalidRequestError, UnusableVideoLinkError, VeoError
from veo.cli._ledger import recovery_command
from veo.cli._output import ExitCode, describe_error, emit_json, exit_code_for, safe_text, stderr
from veo.cli._signals import answering_a_stop

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("veo")


def exit_for(error: BaseException, as_json: bool) -> typer.Exit:
    code = exit_code_for(error)
    line = describe_error(error)
    stderr.print(f"error: {line}", markup=False)
    message = describe_error(error, named=False)  # the type is a field of its own
    document: dict[str, Any] = {"error": {"type": type(error).__name__, "message": message}}
    if isinstance(error, InvalidRequestError):
        document["error"]["problems"] = [{"field": p.field, "rule": p.rule} for p in error.problems]
    task_id = getattr(error, "task_id", None)
    recover = recovery_command(task_id) if task_id else None
    if recover is not None and isinstance(error, UnusableVideoLinkError):
        recover = f"veo status {task_id}"  # shows the link: no veo command can fetch it
    if task_id:
        stderr.print(_bought(task_id, recover), markup=False)
    if as_json:
        if getattr(error, "request_id", None):
            document["error"]["request_id"] = error.request_id  # type: ignore[attr-defined]
        if task_id:
            document["error"]["task_id"] = task_id
            document["error"]["recover"] = recover
        document["exit_code"] = int(code)
        emit_json(document)
    return typer.Exit(int(code))


def _bought(task_id: str, recover: str | None) -> str:
    """What was bought and how to recover it; a task of the embedded mock cost nothing
    and went with the mock."""
    shown = safe_text(task_id)
    if recover is None:
        return (
            f"task {shown} was created on the embedded mock (nothing was paid); the mock "
            f"stopped with this command, so there is nothing to recover: run it again"
        )
    return f"task {shown} was paid for; recover it with: {safe_text(recover)}"


OUTCOME_UNKNOWN = (
    "interrupted while creating a task: it may or may not have been created (and paid "
    "for); check your tasks before creating it again (veo tasks lists the ones veo "
    "recorded; one whose answer never came is only in the vendor's console)"
)


def exit_for_interrupt(interruption: KeyboardInterrupt, as_json: bool) -> typer.Exit:
    """Ctrl-C: say what was bought (the task id and how to recover it), exit 130."""
    answering_a_stop()
    task_id = getattr(interruption, "task_id", None)
    document: dict[str, Any] = {"error": {"type": "KeyboardInterrupt", "message": "interrupted"}}
    if task_id:
        recover = recovery_command(task_id)
        stderr.print(f"interrupted: {_bought(task_id, recover)}", markup=False)
        document["error"]["task_id"] = task_id
        document["error"]["recover"] = recover
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
def creating() -> Iterator[None]:
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
            raise exit_for_interrupt(exc, as_json) from None
        except (VeoError, OSError) as exc:
            raise exit_for(exc, as_json) from None
        except Exception as exc:
            # A bug: its traceback with VEO_DEBUG=1 or -vv, one line otherwise.
            if os.environ.get("VEO_DEBUG") or logger.isEnabledFor(logging.DEBUG):
                raise
            raise exit_for(exc, as_json) from None

    return wrapper  # type: ignore[return-value]
