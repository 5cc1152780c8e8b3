"""File names and the whole-or-absent file guarantee (no HTTP)."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from veo import AsyncVeo, DownloadError, InvalidRequestError, Veo, VideoTask
from veo._download import (
    WRITEBACK_STEP,
    DownloadTarget,
    _open_temporary,
    _Sink,
    remove_abandoned,
    safe_filename,
    temporary_of,
    video_source,
)

from ..conftest import ClientOptions
from .conftest import VIDEO


@pytest.mark.parametrize(
    ("task_id", "name"),
    [
        ("task-1", "task-1.mp4"),
        ("../x", "x.mp4"),
        ("../../etc/passwd", "etc_passwd.mp4"),
        ("/etc/x", "etc_x.mp4"),
        ("..", "video.mp4"),
        ("", "video.mp4"),
        ("   ", "video.mp4"),
        ("a/b\\c", "a_b_c.mp4"),
        ("nul\x00byte", "nul_byte.mp4"),
        (".hidden", "hidden.mp4"),
        ("视频", "video.mp4"),
    ],
)
def test_safe_filename_cannot_escape_or_break(task_id: str, name: str) -> None:
    assert name == safe_filename(task_id)


def test_safe_filename_bounds_very_long_ids() -> None:
    name = safe_filename("a" * 10_000)

    assert 124 == len(name)


@pytest.mark.parametrize("task_id", ["../x", "/etc/x", "", "a" * 5000, "..\\..\\x"])
def test_directory_targets_stay_inside_the_directory(tmp_path: Path, task_id: str) -> None:
    target = DownloadTarget(tmp_path, task_id, overwrite=False)

    assert tmp_path.resolve() == target.path.parent.resolve()


def test_existing_file_is_refused_before_anything_else(tmp_path: Path) -> None:
    existing = tmp_path / "v.mp4"
    existing.write_bytes(b"old")

    with pytest.raises(FileExistsError, match="overwrite=True"):
        DownloadTarget(existing, "t", overwrite=False)


def fill(
    target: DownloadTarget,
    data: bytes,
    *,
    length: int | None = None,
    finish: bool = True,
    meanwhile: Callable[[], object] = lambda: None,
) -> Path | None:
    """One attempt: announce ``length``, write ``data``, run ``meanwhile``, finish."""
    with target.attempt() as sink:
        headers = {} if length is None else {"Content-Length": str(length)}
        sink.begin(httpx.Response(200, headers=headers), None)
        sink.write(data)
        meanwhile()
        return sink.finish() if finish else None


def test_failed_attempt_leaves_no_file(tmp_path: Path) -> None:
    target = DownloadTarget(tmp_path / "v.mp4", "t", overwrite=False)

    def network_goes_away() -> None:
        raise RuntimeError("network went away")

    with pytest.raises(RuntimeError):
        fill(target, b"partial", meanwhile=network_goes_away)

    assert [] == list(tmp_path.iterdir())


def test_length_mismatch_leaves_no_file(tmp_path: Path) -> None:
    target = DownloadTarget(tmp_path / "v.mp4", "t", overwrite=False)

    with pytest.raises(DownloadError, match="received 3 of 10 bytes"):
        fill(target, b"abc", length=10)

    assert [] == list(tmp_path.iterdir())


def test_finished_attempt_moves_the_file_into_place(tmp_path: Path) -> None:
    target = DownloadTarget(tmp_path / "sub" / "v.mp4", "t", overwrite=False)

    path = fill(target, b"abc", length=3)

    assert path is not None
    assert (b"abc", ["v.mp4"]) == (path.read_bytes(), [p.name for p in path.parent.iterdir()])


def test_unfinished_attempt_without_error_leaves_no_file(tmp_path: Path) -> None:
    target = DownloadTarget(tmp_path / "v.mp4", "t", overwrite=False)

    fill(target, b"abc", finish=False)

    assert [] == list(tmp_path.iterdir())


def test_file_appearing_meanwhile_is_not_clobbered(tmp_path: Path) -> None:
    final = tmp_path / "v.mp4"
    target = DownloadTarget(final, "t", overwrite=False)

    with pytest.raises(FileExistsError):
        fill(target, b"new", meanwhile=lambda: final.write_bytes(b"someone else's"))

    assert b"someone else's" == final.read_bytes()
    assert ["v.mp4"] == [p.name for p in tmp_path.iterdir()]


def stream(target: DownloadTarget, total: int, chunk: int = 64 * 1024) -> Path:
    with target.attempt() as sink:
        sink.begin(httpx.Response(200, headers={"Content-Length": str(total)}), None)
        for start in range(0, total, chunk):
            sink.write(bytes([start // chunk % 256]) * min(chunk, total - start))
        return sink.finish()


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise here")
def test_large_downloads_reach_the_disk_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writeback of each written step starts during the download, so the final fsync
    # does not flush the whole video at once (nor does the video fill the page cache).
    ranges: list[tuple[int, int]] = []
    advise = os.posix_fadvise

    def recording(fd: int, offset: int, length: int, advice: int) -> None:
        assert os.POSIX_FADV_DONTNEED == advice
        assert os.fstat(fd).st_size >= offset + length  # only bytes already written
        ranges.append((offset, length))
        advise(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", recording)
    total = 3 * WRITEBACK_STEP + 12_345

    path = stream(DownloadTarget(tmp_path / "v.mp4", "t", overwrite=False), total)

    assert [(i * WRITEBACK_STEP, WRITEBACK_STEP) for i in range(3)] == ranges
    assert total == path.stat().st_size


def test_refused_writeback_advice_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refusing(fd: int, offset: int, length: int, advice: int) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "posix_fadvise", refusing, raising=False)
    total = WRITEBACK_STEP + 1

    path = stream(DownloadTarget(tmp_path / "v.mp4", "t", overwrite=False), total)

    assert total == path.stat().st_size
    assert ["v.mp4"] == [p.name for p in tmp_path.iterdir()]


def test_task_without_video_url_is_refused() -> None:
    task = VideoTask.from_json({"id": "t", "state": "running"})

    with pytest.raises(InvalidRequestError, match="task: task t has no video URL"):
        video_source(task)


@pytest.mark.parametrize("url", ["task-1", "ftp://cdn.test/a.mp4", "https://u:p@cdn.test/a.mp4"])
def test_non_http_sources_are_refused(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="task_or_url"):
        video_source(url)


def test_url_sources_are_named_after_the_url_path() -> None:
    assert ("https://cdn.test/v/clip.mp4?sig=1", "clip", None) == video_source(
        "https://cdn.test/v/clip.mp4?sig=1"
    )


def test_saved_file_mode_follows_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = fill(DownloadTarget(tmp_path / "v.mp4", "t", overwrite=False), b"abc")
    finally:
        os.umask(previous)

    assert path is not None
    assert 0o644 == stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("call", ["open", "fsync"])
def test_an_async_download_touches_the_disk_off_the_event_loop(
    call: str, client_options: ClientOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow disk: creating the temporary file and the final flush wait until the loop
    # has run something else. Were either on the loop's thread, the loop could not run
    # it, and the call gives up.
    loop_ran = threading.Event()
    real = getattr(os, call)

    def slow(target: Any, *args: Any) -> Any:
        if call == "fsync" or str(target).endswith(".part"):
            assert loop_ran.wait(5), f"os.{call} held the event loop"
        return real(target, *args)

    async def download_beside_another_task() -> Path:
        async def another_task() -> None:
            await asyncio.sleep(0.01)
            loop_ran.set()

        async with AsyncVeo(**client_options("async")) as client:
            saved, _ = await asyncio.gather(
                client.download("https://cdn.test/v.mp4", tmp_path / "v.mp4"), another_task()
            )
            return saved

    monkeypatch.setattr(os, call, slow)

    saved = asyncio.run(download_beside_another_task())

    assert saved.read_bytes()


@pytest.mark.parametrize("call", ["open", "fsync"])
def test_an_async_download_cancelled_at_the_disk_leaves_a_whole_file_or_none(
    call: str, client_options: ClientOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cancelled while a worker thread creates the temporary file (nothing may be left)
    # or flushes it (the flush ends, and the file is whole under its name): a thread
    # cannot be stopped, so the cancellation waits for it rather than close or remove
    # the file under it.
    entered, release = threading.Event(), threading.Event()
    real = getattr(os, call)

    def held(target: Any, *args: Any) -> Any:
        if call == "fsync" or str(target).endswith(".part"):
            entered.set()
            assert release.wait(5)
        return real(target, *args)

    async def cancel_at_the_disk() -> None:
        async with AsyncVeo(**client_options("async")) as client:
            download = asyncio.create_task(
                client.download("https://cdn.test/v.mp4", tmp_path / "v.mp4")
            )
            assert await asyncio.to_thread(entered.wait, 5)
            download.cancel()
            await asyncio.sleep(0.05)
            release.set()
            with pytest.raises(asyncio.CancelledError):
                await download

    monkeypatch.setattr(os, call, held)

    asyncio.run(cancel_at_the_disk())

    left = sorted(path.name for path in tmp_path.iterdir())
    if call == "open":
        assert [] == left
    else:
        assert ["v.mp4"] == left
        assert VIDEO == (tmp_path / "v.mp4").read_bytes()


def test_a_temporary_file_names_the_video_it_becomes(tmp_path: Path) -> None:
    handle, temporary = _open_temporary(tmp_path, "scene.mp4", {})
    handle.close()

    assert "scene.mp4" == temporary_of(temporary.name)
    assert None is temporary_of("scene.mp4")
    assert None is temporary_of(".scene.mp4.not-hex-here.part")


@pytest.mark.parametrize("where", ["made", "owned"])
def test_a_stop_landing_as_the_temporary_file_is_made_leaves_nothing(
    where: str, client_options: ClientOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C (or a stop signal taking its path) lands right after the file is created,
    # before the with block that removes it on failure owns it: caught in CI, where a
    # SIGHUP mid-download left a .part file behind.
    if where == "made":

        def interrupted(fd: int, *args: Any) -> Any:
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fdopen", interrupted)
    else:

        def interrupted_enter(self: object) -> Any:
            raise KeyboardInterrupt

        monkeypatch.setattr(_Sink, "__enter__", interrupted_enter)

    with Veo(**client_options("sync")) as client, pytest.raises(KeyboardInterrupt):
        client.download("https://cdn.test/v.mp4", tmp_path / "v.mp4")

    assert [] == list(tmp_path.iterdir())


def _held_by_another_process(path: Path) -> subprocess.Popen[str]:
    """A live writer: a process holding the file open and locked, as a download does."""
    script = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT);"
        " fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert "held\n" == holder.stdout.readline()
    return holder


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")
def test_only_abandoned_temporary_files_of_the_named_videos_are_removed(tmp_path: Path) -> None:
    abandoned = tmp_path / ".scene.mp4.0123456789ab.part"  # its writer was killed
    abandoned.write_bytes(b"partial")
    writing = tmp_path / ".scene.mp4.ba9876543210.part"  # its writer is alive
    other_video = tmp_path / ".other.mp4.0123456789ab.part"
    other_video.write_bytes(b"partial")
    not_ours = tmp_path / ".scene.mp4.part"
    not_ours.write_bytes(b"someone else's")
    (tmp_path / ".scene.mp4.aaaaaaaaaaaa.part").symlink_to(not_ours)
    holder = _held_by_another_process(writing)
    try:
        remove_abandoned(tmp_path, {"scene.mp4"})
    finally:
        holder.communicate("")

    assert [
        ".other.mp4.0123456789ab.part",
        ".scene.mp4.aaaaaaaaaaaa.part",
        ".scene.mp4.ba9876543210.part",
        ".scene.mp4.part",
    ] == sorted(path.name for path in tmp_path.iterdir())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")
def test_a_download_in_progress_holds_its_temporary_file_against_removal(
    tmp_path: Path,
) -> None:
    target = DownloadTarget(tmp_path, "scene", overwrite=False)
    with target.attempt() as sink:
        sink.write(VIDEO[:100])
        DownloadTarget(tmp_path, "scene", overwrite=True).sweep()  # another run's sweep

        assert 1 == len(list(tmp_path.glob(".scene.mp4.*.part")))
        sink.write(VIDEO[100:])
        saved = sink.finish()

    assert VIDEO == saved.read_bytes()
    assert [saved] == list(tmp_path.iterdir())


@pytest.mark.parametrize("below", ["video.mp4", "sub/video.mp4"])
def test_a_file_where_a_directory_must_be_is_named(tmp_path: Path, below: str) -> None:
    """Caught before: a destination below a file said only "File exists"."""
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(DownloadError) as info:
        DownloadTarget.preflight(tmp_path / "notes.txt" / below, overwrite=False)

    assert f"{tmp_path / 'notes.txt'} is a file, not a directory" in str(info.value)
