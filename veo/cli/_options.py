"""Options several commands share, and ``Service``: where a command's calls go."""

from __future__ import annotations

import contextlib
import enum
import inspect
import os
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Self

import attrs
import typer

from veo._client import Veo, base_url_of, base_url_problem
from veo._errors import ConfigurationError
from veo._polling import PollSchedule
from veo._secret import check_key
from veo.cli import missing_extra
from veo.cli._keys import protect
from veo.cli._ledger import MOCK
from veo.cli._output import stderr

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
        metavar="PATH",
        help=(
            "File, or directory (ending in / or existing; named after the task); or "
            "s3://bucket/prefix/ (or .../key.mp4): an object, whole or absent (s3 extra)."
        ),
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


def needs_extra(error: ModuleNotFoundError, what: str, extra: str) -> Exception:
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


class OptionGroup:
    """Options declared once, as the fields of an attrs class, that several commands
    take (``veo.cli._command.command`` shows them to Typer and hands the command the
    group)."""

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
            for field in attrs.fields(cls)  # type: ignore[arg-type]
        ]

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Self:
        """Take these options out of a command's keyword arguments."""
        fields = attrs.fields(cls)  # type: ignore[arg-type]
        return cls(**{field.name: options.pop(field.name) for field in fields})


@attrs.frozen
class Service(OptionGroup):
    """Where a command's calls go: ``--mock``, ``--api-key-file``, ``--base-url``."""

    mock: MockOpt = False
    api_key_file: KeyFileOpt = None
    base_url: BaseUrlOpt = None

    @contextmanager
    def options(self, *, fetch_images: bool = False) -> Iterator[dict[str, Any]]:
        """Client options for the real service, or for an embedded mock kept running
        (which fetches the images of each create with ``fetch_images``, as the service
        does: images uploaded with ``--upload`` are tested end to end)."""
        if not self.mock:
            key = self._key()
            with contextlib.suppress(ConfigurationError):  # Veo() says what is wrong
                protect(check_key(key or os.environ.get("DUOMI_API_KEY", "")))
            yield {"api_key": key, "base_url": self._base_url()}
            return
        try:
            from veo.mock import Lifecycle, MockServer, MockSpecError
        except ModuleNotFoundError as exc:
            raise needs_extra(exc, "--mock", "mock") from None
        lifecycle = Lifecycle(pace="time", pending_steps=1, running_steps=4)
        try:
            server = MockServer(lifecycle=lifecycle, fetch_images=fetch_images)
        except MockSpecError as exc:
            raise ConfigurationError(f"--mock: {exc}") from None
        with server:
            stderr.print(f"using the embedded mock server at {server.url}", markup=False)
            yield {"api_key": server.api_key, "base_url": server.url, "poll_schedule": MOCK_POLLS}

    def where(self) -> str:
        """Where this command's tasks are created, as the ledger records it: ``MOCK``
        for the embedded mock, else the API's base URL."""
        if self.mock:
            return MOCK
        return base_url_of(self.base_url).rstrip("/")

    def _key(self) -> str | None:
        """The key from --api-key-file, else None for DUOMI_API_KEY; with neither, the
        error says what a command line user can do (not what ``Veo()`` takes)."""
        key = _api_key(self.api_key_file)
        if key is None and not os.environ.get("DUOMI_API_KEY", "").strip():
            raise ConfigurationError(
                "no API key: set DUOMI_API_KEY, or pass --api-key-file FILE "
                "(or try any command with --mock, which needs none)"
            )
        return key

    def _base_url(self) -> str | None:
        """--base-url, else DUOMI_BASE_URL, checked in the command's words."""
        field = "--base-url" if self.base_url else "DUOMI_BASE_URL"
        problem = base_url_problem(base_url_of(self.base_url), field, insecure_fix="use https://")
        if problem:
            raise ConfigurationError(problem)
        return self.base_url

    @contextmanager
    def client(self, **extra: Any) -> Iterator[Veo]:
        """A ``Veo`` client on these options (and ``extra``: an ``uploader``), closed
        (and any mock stopped) on exit."""
        fetch_images = extra.get("uploader") is not None
        with self.options(fetch_images=fetch_images) as options, Veo(**options, **extra) as client:
            yield client
