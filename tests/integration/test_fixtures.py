"""The fixtures users write their tests with: bound to the mock, never really sleeping."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from veo import AsyncVeo, Veo, WaitTimeoutError
from veo.mock import Lifecycle
from veo.testing import MockServer

from ..helpers import is_playable_mp4


@pytest.fixture
def no_real_sleep(monkeypatch: pytest.MonkeyPatch, veo_mock: MockServer) -> None:
    """A real pause in the test's thread fails the test (the default poll schedule would
    wait 2 + 3 + 4.5 s); the mock's own thread sleeps as it likes. The mock is up
    first: starting it may poll for its socket on the wall clock."""
    real_sleep, real_asleep = time.sleep, asyncio.sleep
    test_thread = threading.current_thread()

    def refuse(seconds: float) -> None:
        if seconds > 0 and threading.current_thread() is test_thread:
            raise AssertionError(f"slept {seconds} s for real")
        real_sleep(seconds)

    async def refuse_async(seconds: float, *args: object) -> None:
        if seconds > 0 and threading.current_thread() is test_thread:
            raise AssertionError(f"slept {seconds} s for real")
        await real_asleep(seconds, *args)

    monkeypatch.setattr(time, "sleep", refuse)
    monkeypatch.setattr(asyncio, "sleep", refuse_async)


@pytest.mark.usefixtures("no_real_sleep")
def test_veo_client_generates_without_sleeping(
    veo_client: Veo, veo_mock: MockServer, tmp_path: Path
) -> None:
    result = veo_client.generate("a cat", dest=tmp_path)

    assert is_playable_mp4(result.path.read_bytes())
    assert 1 == veo_mock.state.tasks_created
    assert veo_mock.state.requests_per_route()["get"] >= 4


@pytest.mark.usefixtures("no_real_sleep")
def test_veo_async_client_generates_without_sleeping(
    veo_async_client: AsyncVeo, veo_mock: MockServer, tmp_path: Path
) -> None:
    result = asyncio.run(veo_async_client.generate("a cat", dest=tmp_path))

    assert is_playable_mp4(result.path.read_bytes())
    assert 1 == veo_mock.state.tasks_created


@pytest.mark.usefixtures("no_real_sleep")
def test_a_time_paced_mock_follows_the_clients_virtual_clock(
    veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=30, running_steps=120)

    with veo_mock.client() as client:
        result = client.generate("a cat", dest=tmp_path)

    task = veo_mock.state.tasks[result.task.id]
    assert 150 <= task.update_time - task.create_time < 200


def test_a_task_that_never_ends_times_out_on_the_virtual_clock(
    veo_mock: MockServer, veo_client: Veo
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=10**6, running_steps=0)
    task = veo_client.create("a cat")

    with pytest.raises(WaitTimeoutError, match="did not finish within 600s"):
        veo_client.wait(task, timeout=600)


def test_asking_a_stopped_server_for_a_client_says_so() -> None:
    with pytest.raises(RuntimeError, match="start the mock server"):
        MockServer().client()


def test_many_concurrent_generates_on_veo_async_client_all_finish(
    veo_async_client: AsyncVeo, veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught before: every caller's pause moved one shared clock that every deadline
    read, so 60 concurrent generates all raised WaitTimeoutError."""

    async def sixty() -> list[Path]:
        results = await asyncio.gather(
            *(veo_async_client.generate(f"cat {n}", dest=tmp_path / f"{n}.mp4") for n in range(60))
        )
        return [result.path for result in results]

    paths = asyncio.run(sixty())

    assert 60 == len(set(paths)) == veo_mock.state.tasks_created
    assert all(is_playable_mp4(path.read_bytes()) for path in paths)


def test_many_threads_sharing_one_fixture_client_all_finish(
    veo_mock: MockServer, tmp_path: Path
) -> None:
    """Caught before: 30 threads (60 here) on MockServer.client() got spurious
    CreateOutcomeUnknownError (one thread's pauses passed another's call deadline)."""
    errors: list[BaseException] = []

    with veo_mock.client() as client:

        def one(n: int) -> None:
            try:
                client.generate(f"cat {n}", dest=tmp_path / f"{n}.mp4")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert [] == errors
    assert 60 == veo_mock.state.tasks_created
