"""The ``veo`` Typer app and ``command``, which registers a command with the CLI's
error handling and its option groups (``Service``, ``RequestArgs``)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import typer
import typer.core

from veo.cli._failures import handles_errors
from veo.cli._options import Service
from veo.cli._output import EXIT_CODES
from veo.cli._request import RequestArgs
from veo.cli._uploads import Uploads

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


class Command(typer.core.TyperCommand):
    """A command whose usage line reads ``veo generate [OPTIONS] PROMPT``: Typer writes
    a required argument as ``{PROMPT}``, which reads as a placeholder left unfilled."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [
            piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
            for piece in super().collect_usage_pieces(ctx)
        ]


OPTION_GROUPS: tuple[type[Any], ...] = (Service, RequestArgs, Uploads)


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
    app.command(cls=Command)(grouped)
    return function
