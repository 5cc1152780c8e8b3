"""The promises about paid tasks and files, attacked at their edges.

Each test names, in its docstring, what it caught in the code before the fix. Every
test runs for ``Veo`` and ``AsyncVeo``; every failing download checks the directory.
"""

from __future__ import annotations

import asyncio
import errno
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import veo
import veo._download

from .conftest import VIDEO, FakeService, LazyStream, task_json

MakeClient = Callable[..., Any]


def finished() -> veo.VideoTask:
    return veo.VideoTask.from_json(task_json())


class FullDisk(io.RawIOBase):
    """A file whose disk fills after ``room`` bytes: writes, flush and close all fail."""

    def __init__(self, real: Any, room: int) -> None:
        self.real, self.room = real, room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return int(self.real.write(data))

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def fileno(self) -> int:
        return int(self.real.fileno())

    def close(self) -> None:
        # As a real file: its first close() closes it even when the flush in it fails
        # (and says so); closing again does nothing. Python 3.13 reports a close() that
        # raises again when the file is finalized.
        if self.real.closed:
            return
        self.real.close()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = veo._download.os.fdopen

    def fdopen(fd: int, mode: str) -> Any:
        return FullDisk(real_fdopen(fd, mode), room=16)

    monkeypatch.setattr(veo._download.os, "fdopen", fdopen)


def test_full_disk_is_a_download_error_and_leaves_no_temporary_file(
    make_client: MakeClient, service: FakeService, tmp_path: Path, full_disk: None
) -> None:
    """Caught: close() raised again in the clean-up, the .part file stayed and a bare
    OSError escaped."""
    with pytest.raises(veo.DownloadError) as info:
        make_client().download(finished(), tmp_path / "v.mp4")

    assert (errno.ENOSPC, "task-1") == (info.value.errno, info.value.task_id)
    assert "No space left on device" in str(info.value)
    assert [] == list(tmp_path.iterdir())
    assert 1 == service.count("video")  # a disk error is not retried


def test_permission_denied_is_a_download_error(
    make_client: MakeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught: a PermissionError escaped as a bare OSError (root ignores modes, so the
    refusal is injected at the open)."""

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(veo._download.os, "open", refuse)

    with pytest.raises(veo.DownloadError) as info:
        make_client().download(finished(), tmp_path / "v.mp4")

    assert errno.EACCES == info.value.errno
    assert [] == list(tmp_path.iterdir())


def cut_mp4(size: int) -> httpx.Response:
    # No Content-Length: the body ends when the connection closes, as a cut one does.
    return httpx.Response(200, stream=LazyStream(VIDEO[:size]))


def test_mp4_cut_without_content_length_is_refused(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    """Caught: a close-delimited body cut at half its length was saved as whole."""
    service.script("video", *[cut_mp4(len(VIDEO) // 2) for _ in range(3)])

    with pytest.raises(veo.DownloadError, match="ends at byte") as info:
        make_client().download(finished(), tmp_path / "v.mp4")

    assert (None, 3) == (info.value.errno, service.count("video"))  # retried, then refused
    assert [] == list(tmp_path.iterdir())


def test_mp4_cut_once_is_fetched_again_whole(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    service.script("video", cut_mp4(len(VIDEO) - 1))

    path = make_client().download(finished(), tmp_path / "v.mp4")

    assert VIDEO == path.read_bytes()


def test_a_body_that_is_not_mp4_is_saved_as_it_comes(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    service.script("video", httpx.Response(200, stream=LazyStream(b"not a video at all")))

    path = make_client().download(finished(), tmp_path / "v.bin")

    assert b"not a video at all" == path.read_bytes()


def test_succeeded_without_a_video_url_is_a_typed_error_with_the_task_id(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    """Caught: InvalidRequestError ("nothing was sent") after a paid create."""
    service.script("get", httpx.Response(200, json={"id": "task-1", "state": "succeeded"}))

    with pytest.raises(veo.NoVideoError) as info:
        make_client().generate("a cat", dest=tmp_path)

    assert "task-1" == info.value.task_id
    assert not isinstance(info.value, veo.InvalidRequestError)


@pytest.mark.parametrize("link", ["ftp://cdn.test/v.mp4", "javascript:alert(1)", "/v.mp4"])
def test_a_video_link_that_is_no_http_url_is_a_paid_tasks_error_not_a_bad_request(
    make_client: MakeClient, service: FakeService, tmp_path: Path, link: str
) -> None:
    """Caught: InvalidRequestError ("nothing was sent") after a paid create."""
    service.script("get", httpx.Response(200, json=task_json(data={"videos": [{"url": link}]})))

    with pytest.raises(veo.UnusableVideoLinkError) as info:
        make_client().generate("a cat", dest=tmp_path)

    assert "task-1" == info.value.task_id
    assert isinstance(info.value, veo.NoVideoError)
    assert "http(s)" in str(info.value)
    assert "veo status task-1" in str(info.value)
    assert [] == list(tmp_path.iterdir())


@pytest.mark.parametrize("task_id", [".", "..", " .. "])
def test_a_created_task_whose_id_no_url_can_hold_is_an_unknown_outcome_naming_it(
    make_client: MakeClient, service: FakeService, task_id: str
) -> None:
    """Caught: the create 'succeeded', then waiting said InvalidRequestError ("nothing
    was sent") about a task that had been paid for."""
    service.script("create", httpx.Response(200, json={"id": task_id}))

    with pytest.raises(veo.CreateOutcomeUnknownError) as info:
        make_client().generate("a cat")

    assert repr(task_id) in str(info.value)
    assert "cannot be polled" in str(info.value)
    assert 1 == service.count("create")
    assert 0 == service.count("get")


def test_generate_checks_that_the_directory_can_be_written_before_paying(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    """Caught: generate created (paid for) the task, then failed to write the file."""
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")

    with pytest.raises(veo.DownloadError) as info:
        make_client().generate("a cat", dest=blocker / "sub" / "v.mp4")

    assert info.value.errno in (errno.ENOTDIR, errno.EEXIST)
    assert [] == service.requests


def test_generate_preflight_leaves_nothing_behind(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    make_client().generate("a cat", dest=tmp_path / "new" / "v.mp4")

    assert ["v.mp4"] == [p.name for p in (tmp_path / "new").iterdir()]


def test_every_error_after_a_paid_create_names_the_task(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    service.script("video", httpx.Response(410, text="gone"))

    with pytest.raises(veo.VideoLinkExpiredError) as info:
        make_client().generate("a cat", dest=tmp_path)

    assert "task-1" == info.value.task_id
    assert any("veo download task-1" in note for note in info.value.__notes__)


def test_create_respects_the_call_deadline_across_retries(
    make_client: MakeClient, service: FakeService
) -> None:
    """A Retry-After that would outlive the deadline is not waited for."""
    service.script("create", httpx.Response(429, headers={"Retry-After": "30"}))

    with pytest.raises(veo.RateLimitError):
        make_client(deadline=10).create("a cat")

    assert 1 == service.count("create")


def test_oversized_api_responses_are_not_read_to_the_end(
    make_client: MakeClient, service: FakeService
) -> None:
    body = b'{"id": "task-1", "pad": "' + b"x" * 5000 + b'"}'
    service.script("get", httpx.Response(200, stream=LazyStream(body)))

    with pytest.raises(veo.UnexpectedResponseError, match="larger than the 1024 bytes"):
        make_client(max_response_bytes=1024).get("task-1")


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit])
def test_an_interruption_after_a_paid_create_keeps_its_type_and_names_the_task(
    make_client: MakeClient, tmp_path: Path, interruption: type[BaseException]
) -> None:
    """Caught before: paid_task caught Exception only, so Ctrl-C during the wait left
    without the task's id or the note that recovers it."""

    def interrupted(task: veo.VideoTask) -> None:
        raise interruption()

    with pytest.raises(interruption) as info:
        make_client().generate("a cat", dest=tmp_path, on_progress=interrupted)

    assert interruption is type(info.value)
    assert "task-1" == info.value.task_id  # type: ignore[attr-defined]
    assert any("veo download task-1" in note for note in info.value.__notes__)


def test_on_created_gets_the_task_before_any_wait(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    seen: list[tuple[str, int]] = []

    def store(task: veo.VideoTask) -> None:
        seen.append((task.id, service.count("get")))

    make_client().generate("a cat", dest=tmp_path, on_created=store)

    assert [("task-1", 0)] == seen


def test_an_error_in_on_created_keeps_the_task_id_and_waits_for_nothing(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    def broken(task: veo.VideoTask) -> None:
        raise RuntimeError("the database is down")

    with pytest.raises(RuntimeError) as info:
        make_client().generate("a cat", dest=tmp_path, on_created=broken)

    assert "task-1" == info.value.task_id  # type: ignore[attr-defined]
    assert any("veo download task-1" in note for note in info.value.__notes__)
    assert 0 == service.count("get")


def test_the_async_client_awaits_an_async_on_created(service: FakeService) -> None:
    seen: list[str] = []

    async def store(task: veo.VideoTask) -> None:
        await asyncio.sleep(0)
        seen.append(task.id)

    async def create() -> veo.VideoTask:
        http = httpx.AsyncClient(transport=httpx.MockTransport(service))
        async with veo.AsyncVeo("k", base_url="https://api.test", http_client=http) as client:
            task = await client.create("a cat", on_created=store)
        await http.aclose()
        return task

    task = asyncio.run(create())

    assert [task.id] == seen
