"""Each command's ``--help`` against docs/cli.md: every option documented, no
placeholder or markup left in what a user reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from veo.cli._app import app
from veo.cli._request import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
ROOT_COMMAND: Any = typer.main.get_command(app)  # a Click group (Typer carries its own Click)
COMMANDS = sorted(ROOT_COMMAND.commands)
# Documented once, in the sentence under the table, for every command that talks to
# the service.
SHARED = {"--mock", "--api-key-file", "--base-url", "--json"}
# The request's options, one per field of the spec: documented by the table make gen
# writes (a field the vendor adds is an option with no edit of docs/cli.md).
REQUEST_OPTIONS = {option.name for _, option in OPTIONS}
FIELDS_DOC = (ROOT / "docs" / "request-fields.md").read_text(encoding="utf-8")


def _help(name: str) -> tuple[Any, str]:
    """The command and its ``--help`` as a user sees it."""
    result = CliRunner().invoke(app, [name, "--help"], prog_name="veo")
    assert 0 == result.exit_code, result.output
    return ROOT_COMMAND.commands[name], result.output


def _row(name: str) -> str:
    (row,) = [line for line in CLI_DOC.splitlines() if line.startswith(f"| `veo {name} ")]
    return row


def test_every_command_has_a_row_in_the_table() -> None:
    assert COMMANDS == sorted(re.findall(r"^\| `veo (\w+)", CLI_DOC, flags=re.MULTILINE)), (
        "docs/cli.md's table and the commands differ"
    )


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_of_the_command_is_in_docs_cli(name: str) -> None:
    command, _ = _help(name)
    row = _row(name)
    shared = CLI_DOC.partition("Every command that talks to the service takes")[2][:200]

    for parameter in command.params:
        if parameter.param_type_name != "option" or parameter.name == "help":
            continue
        if parameter.name in REQUEST_OPTIONS:
            assert f"| `{parameter.name}` |" in FIELDS_DOC, f"{name} {parameter.name}"
            continue
        flag = max(parameter.opts, key=len)  # the long form
        where = shared if flag in SHARED else row
        assert re.search(rf"{re.escape(flag)}\b", where), f"{name} {flag}: not in docs/cli.md"


@pytest.mark.parametrize("name", COMMANDS)
def test_the_help_has_no_placeholder_or_markup_left(name: str) -> None:
    _, text = _help(name)

    assert not re.search(r"\{\w+\}", text), text  # a "{prompt}" metavar
    assert "``" not in text, text  # reStructuredText from a docstring
    usage = text.splitlines()[0]
    assert usage.startswith(f"Usage: veo {name} [OPTIONS]"), usage
    # Arguments read as the docs write them: PROMPT, TASK_ID, FILE (not "file").
    assert all(word.isupper() for word in usage.split()[4:]), usage


def test_the_image_option_states_the_counts_per_mode() -> None:
    _, text = _help("generate")
    flat = " ".join(text.split())

    # The spec's own description of image_urls, as make gen carries it into the help.
    assert "FIRST&LAST takes 1 to 2 images" in flat
    assert "REFERENCE takes 1 to 3" in flat


def test_the_commands_are_listed_making_a_video_first() -> None:
    """Caught before: ``veo --help`` began with tasks and resume."""
    from veo.cli._app import COMMANDS as ORDER

    listed = [
        line.split()[0] for line in _root_help().split("Commands:")[1].splitlines() if line.strip()
    ]

    assert list(ORDER) == listed
    assert "generate" == listed[0]


def _root_help() -> str:
    result = CliRunner().invoke(app, ["--help"], prog_name="veo")
    assert 0 == result.exit_code, result.output
    return str(result.output)
