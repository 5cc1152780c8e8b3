"""The ``veo`` command: generate videos, inspect tasks, run batches and the mock server.

Needs the ``cli`` extra (Typer, Rich, platformdirs); ``import veo`` never imports it.
This module imports none of it either, so that ``veo`` run without the extra says in
one line what to install instead of showing a traceback. The commands are in
``veo.cli._app``.
"""

from __future__ import annotations

import sys

__all__ = ["EXTRAS", "main", "missing_extra"]

EXTRAS: dict[str, frozenset[str]] = {
    "cli": frozenset({"typer", "click", "rich", "platformdirs", "shellingham"}),
    "mock": frozenset({"connexion", "uvicorn", "starlette", "yaml", "jsonschema"}),
    "check": frozenset({"jsonschema", "yaml"}),
    "mcp": frozenset({"mcp", "mcp_types", "pydantic", "pydantic_core"}),
    "s3": frozenset({"boto3", "botocore", "s3transfer"}),
}
"""Each extra's top-level modules: a ``ModuleNotFoundError`` naming one means the extra
is not installed."""


def missing_extra(error: ModuleNotFoundError, *extras: str) -> str | None:
    """The ``pip install`` line that fixes ``error``, when one of ``extras`` is missing.

    None when the missing module belongs to none of them (a bug, not an install).
    """
    top = (error.name or "").partition(".")[0]
    if not any(top in EXTRAS[extra] for extra in extras):
        return None
    return f"pip install 'duomi-veo[{','.join(extras)}]'"


def main() -> None:
    """Entry point of the ``veo`` console script."""
    try:
        from veo.cli._app import main as run
    except ModuleNotFoundError as exc:
        fix = missing_extra(exc, "cli")
        if fix is None:
            raise
        sys.stderr.write(f"error: the veo command needs the cli extra: {fix}\n")
        raise SystemExit(2) from None
    run()
