"""Every documented failure of every public client method raises a ``veo.VeoError``.

The README promises it: ``except veo.VeoError`` catches whatever goes wrong. Each
scenario below drives one failure a method's docstring lists (its ``Raises:``
section), on both clients, against the live mock; the last test checks that the
scenarios and the docstrings name the same errors, so a new documented failure
without a scenario (or a new error outside the tree) fails here.
"""

from __future__ import annotations

import inspect
import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import veo
from veo.mock import Lifecycle, parse_rule
from veo.testing import MockServer

MakeClient = Callable[..., Any]


@attrs.frozen
class Scenario:
    method: str
    error: type[veo.VeoError]
    run: Callable[[MakeClient, MockServer, Path], object]

    def __str__(self) -> str:
        return f"{self.method}-{self.error.__name__}"


def _fault(server: MockServer, spec: str) -> None:
    server.faults.add(parse_rule(spec))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _finished(make: MakeClient, server: MockServer, fault: str | None = None) -> Any:
    if fault:
        _fault(server, fault)
    client = make()
    return client.wait(client.create("a cat"), timeout=10)


def _unwritable(tmp: Path) -> Path:
    blocked = tmp / "file-not-dir"
    blocked.write_bytes(b"")
    return blocked / "sub" / "out.mp4"  # a path through a file: never writable


class _StorageDown:
    """An uploader whose storage cannot be reached."""

    def upload(self, image: veo.LocalImage) -> str:
        raise ConnectionRefusedError("storage down")


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16

SCENARIOS = [
    # The constructor (the class docstring's Raises:).
    Scenario("__init__", veo.ConfigurationError, lambda m, s, t: m(api_key=" ")),
    Scenario(
        "__init__",
        veo.ConfigurationError,
        lambda m, s, t: m(base_url="http://example.com"),  # the key in clear text
    ),
    # create
    Scenario("create", veo.InvalidRequestError, lambda m, s, t: m().create("")),
    Scenario("create", veo.APIStatusError, lambda m, s, t: m(api_key="wrong-key").create("a cat")),
    Scenario(
        "create",
        veo.CreateOutcomeUnknownError,
        lambda m, s, t: (_fault(s, "reset-after,route=create"), m().create("a cat")),
    ),
    Scenario(
        "create",
        veo.APIConnectionError,
        lambda m, s, t: m(base_url=f"http://127.0.0.1:{_closed_port()}").create("a cat"),
    ),
    Scenario(
        "create",
        veo.UploadError,
        lambda m, s, t: m(uploader=_StorageDown()).create("a cat", image_urls=[PNG]),
    ),
    # get
    Scenario("get", veo.NotFoundError, lambda m, s, t: m().get("no-such-task")),
    Scenario(
        "get",
        veo.APIError,
        lambda m, s, t: (_fault(s, "malformed,route=get"), m().get(m().create("a cat"))),
    ),
    Scenario("get", veo.InvalidRequestError, lambda m, s, t: m().get("..")),
    # wait
    Scenario(
        "wait",
        veo.TaskFailedError,
        lambda m, s, t: _finished(m, s, "task-failed,route=create"),
    ),
    Scenario(
        "wait",
        veo.WaitTimeoutError,
        lambda m, s, t: (
            setattr(s.state, "lifecycle", Lifecycle(pending_steps=10_000)),
            m().wait(m().create("a cat"), timeout=0.2),
        ),
    ),
    # download
    Scenario(
        "download",
        veo.DestinationExistsError,
        lambda m, s, t: (
            (t / "taken.mp4").write_bytes(b"mine"),
            m().download(_finished(m, s), t / "taken.mp4"),
        ),
    ),
    Scenario(
        "download",
        veo.NoVideoError,
        lambda m, s, t: m().download(
            veo.VideoTask.from_json({"id": "t-1", "state": "succeeded", "data": {"videos": []}}), t
        ),
    ),
    Scenario(
        "download",
        veo.VideoLinkExpiredError,
        lambda m, s, t: m().download(_finished(m, s, "expired-link,route=create"), t),
    ),
    Scenario(  # the host hangs up mid-body, every retry: a connection failure
        "download",
        veo.APIConnectionError,
        lambda m, s, t: m().download(_finished(m, s, "truncated-video,route=create"), t),
    ),
    Scenario(
        "download",
        veo.DownloadError,
        lambda m, s, t: m().download(_finished(m, s), _unwritable(t)),
    ),
    # generate: its own checks before paying, then everything create, wait and download raise
    Scenario(
        "generate",
        veo.DestinationExistsError,
        lambda m, s, t: (
            (t / "taken.mp4").write_bytes(b"mine"),
            m().generate("a cat", dest=t / "taken.mp4"),
        ),
    ),
    Scenario(
        "generate", veo.DownloadError, lambda m, s, t: m().generate("a cat", dest=_unwritable(t))
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_each_documented_failure_raises_a_veo_error(
    scenario: Scenario, make_client: MakeClient, veo_mock: MockServer, tmp_path: Path
) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the point is what it is
        scenario.run(make_client, veo_mock, tmp_path)

    assert isinstance(raised.value, veo.VeoError), repr(raised.value)
    assert isinstance(raised.value, scenario.error), repr(raised.value)


def test_an_existing_destination_is_still_a_file_exists_error(
    make_client: MakeClient, veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "taken.mp4").write_bytes(b"mine")

    with pytest.raises(FileExistsError) as raised:
        make_client().generate("a cat", dest=tmp_path / "taken.mp4")

    assert 0 == veo_mock.state.tasks_created  # refused before paying
    assert (tmp_path / "taken.mp4").read_bytes() == b"mine"
    assert str(tmp_path / "taken.mp4") == raised.value.filename


def _documented(method: Any) -> set[str]:
    """The error names in a docstring's ``Raises:`` section."""
    doc = inspect.getdoc(method) or ""
    section = doc.partition("Raises:")[2]
    return set(re.findall(r"^\s{4}(\w+):", section, flags=re.MULTILINE))


def test_the_docstrings_and_the_scenarios_name_the_same_errors() -> None:
    """``AsyncVeo``'s methods are documented as ``Veo``'s (test_surface keeps the two
    alike); the scenarios run on both."""
    driven: dict[str, set[str]] = {}
    for scenario in SCENARIOS:
        driven.setdefault(scenario.method, set()).add(scenario.error.__name__)
    documented = {"__init__": _documented(veo.Veo)}
    for name in ("create", "get", "wait", "download", "generate"):
        documented[name] = _documented(getattr(veo.Veo, name))

    for method, names in documented.items():
        assert names, f"{method} documents no failure"
        for name in names:
            assert issubclass(getattr(veo, name), veo.VeoError), f"{method} documents {name}"
        assert names == driven[method], method
