"""max_connections: requests in flight at once, a hard cap on connections open at once."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

import veo

from ..helpers import HoldingServer

BODY_WAITS = 0.05  # seconds the server holds each answer
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy in the environment (httpx makes one transport per proxy it finds)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_an_async_fan_out_never_opens_more_connections_than_allowed() -> None:
    with HoldingServer(hold=BODY_WAITS) as server:

        async def fan_out() -> list[veo.VideoTask]:
            async with veo.AsyncVeo("k", base_url=server.url, max_connections=4) as client:
                return await asyncio.gather(*(client.get("t1") for _ in range(40)))

        tasks = asyncio.run(fan_out())

    assert 40 == len(tasks) == server.requests
    assert all(task.state is veo.TaskState.SUCCEEDED for task in tasks)
    assert server.peak <= 4


def test_threads_sharing_a_sync_client_never_exceed_its_connections() -> None:
    with (
        HoldingServer(hold=BODY_WAITS) as server,
        veo.Veo("k", base_url=server.url, max_connections=2) as client,
    ):
        threads = [threading.Thread(target=client.get, args=("t1",)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert 8 == server.requests
    assert server.peak <= 2


def test_a_create_that_waits_out_its_deadline_for_a_connection_was_never_sent(
    tmp_path: Path,
) -> None:
    # The one connection is busy with a download (held 2 s); a create with a 0.3 s
    # deadline waits for it in vain. It was never sent: a plain timeout, safe to retry,
    # not "outcome unknown", and the server saw no create.
    with HoldingServer(hold=2.0) as server:

        async def download_and_create() -> BaseException:
            async with veo.AsyncVeo(
                "k", base_url=server.url, max_connections=1, deadline=0.3
            ) as client:
                download = asyncio.create_task(
                    client.download(f"{server.url}/video.mp4", tmp_path / "v.mp4")
                )
                await asyncio.sleep(0.1)
                with pytest.raises(veo.APITimeoutError) as caught:
                    await client.create("a cat")
                await download
                return caught.value

        error = asyncio.run(download_and_create())

    assert not isinstance(error, veo.CreateOutcomeUnknownError)
    assert error.request_sent is False
    assert "free connection" in str(error)
    assert 1 == server.requests  # the download only


def test_a_sync_create_that_waits_out_its_deadline_for_a_connection_was_never_sent(
    tmp_path: Path,
) -> None:
    with (
        HoldingServer(hold=2.0) as server,
        veo.Veo("k", base_url=server.url, max_connections=1, deadline=0.3) as client,
    ):
        download = threading.Thread(
            target=client.download, args=(f"{server.url}/video.mp4", tmp_path / "v.mp4")
        )
        download.start()
        time.sleep(0.1)
        with pytest.raises(veo.APITimeoutError) as caught:
            client.create("a cat")
        download.join()

    assert caught.value.request_sent is False
    assert 1 == server.requests


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "10"])
def test_max_connections_must_be_a_positive_whole_number(value: object) -> None:
    with pytest.raises(veo.ConfigurationError, match="max_connections"):
        veo.Veo("k", max_connections=value)  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_proxy")
def test_a_busy_async_client_keeps_its_connections_open() -> None:
    # More connections than httpx keeps idle by default (20): under load, httpcore's
    # own pool closed idle connections and opened new ones, request after request.
    with HoldingServer(hold=0.01) as server:

        async def rounds() -> None:
            async with veo.AsyncVeo("k", base_url=server.url, max_connections=30) as client:
                for _ in range(5):
                    await asyncio.gather(*(client.get("t1") for _ in range(60)))

        asyncio.run(rounds())

    assert 300 == server.requests
    assert server.connections <= 30


@pytest.mark.usefixtures("no_proxy")
def test_a_sync_client_reuses_one_connection_for_calls_in_turn() -> None:
    with (
        HoldingServer(hold=0) as server,
        veo.Veo("k", base_url=server.url) as client,
    ):
        for _ in range(20):
            client.get("t1")

    assert 1 == server.connections


@pytest.mark.usefixtures("no_proxy")
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_proxy_named_in_the_environment_is_used(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HoldingServer(hold=0) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        options = {"base_url": "http://api.test", "allow_insecure_http": True}
        if kind == "sync":
            with veo.Veo("k", **options) as client:
                task = client.get("t1")
        else:

            async def get() -> veo.VideoTask:
                async with veo.AsyncVeo("k", **options) as client:
                    return await client.get("t1")

            task = asyncio.run(get())

    assert veo.TaskState.SUCCEEDED is task.state
    assert 1 == proxy.requests
