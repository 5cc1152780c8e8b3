"""``veo mcp``, driven as an assistant drives it: a real ``veo mcp`` process, the MCP
SDK's own stdio client. Tools listed with the spec's request fields, a video generated
with progress, a cancelled wait that keeps its paid task, the spending cap, paths that
try to leave the output directory, and the key in no result."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from veo.testing import MockServer
from veo_api.request_fields import FIELDS

from ..helpers import RewritingService, is_playable_mp4, tool_error, tool_result
from .test_key_echoed import KEY, echo_the_key, shows_no_key

mcp_client = pytest.importorskip("mcp.client.stdio", reason="the mcp extra")
from mcp.client.session import ClientSession  # noqa: E402

TOOLS = {
    "generate_video",
    "create_video_task",
    "get_video_task",
    "wait_video_task",
    "download_video",
    "list_video_tasks",
}


@asynccontextmanager
async def veo_mcp(env: dict[str, str], cwd: Path, *options: str) -> AsyncIterator[ClientSession]:
    """A ``veo mcp`` process and a session with it (its stderr in the log file
    ``server.log`` under ``cwd``)."""
    parameters = mcp_client.StdioServerParameters(
        command=sys.executable,
        args=["-m", "veo", "mcp", "--out", str(cwd / "videos"), *options],
        env=env,
        cwd=cwd,
    )
    with (cwd / "server.log").open("a", encoding="utf-8") as log:
        async with (
            mcp_client.stdio_client(parameters, errlog=log) as streams,
            ClientSession(*streams) as session,
        ):
            await session.initialize()
            yield session


@pytest.fixture
def mcp_env(veo_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {**veo_env, "VEO_HOME": str(tmp_path / "home")}


def test_the_tools_take_the_specs_request_fields_and_never_a_key(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    async def listed() -> None:
        async with veo_mcp(mcp_env, tmp_path, "--mock") as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}

        assert TOOLS == set(tools)
        schema = tools["generate_video"].input_schema
        assert {field.name for field in FIELDS} <= set(schema["properties"])
        assert ["prompt"] == schema["required"]
        ratio = json.dumps(schema["properties"]["aspect_ratio"])
        assert '"16:9"' in ratio
        assert '"9:16"' in ratio
        arguments = {name for tool in tools.values() for name in tool.input_schema["properties"]}
        assert [] == [name for name in arguments if "key" in name]
        assert all(tool.description for tool in tools.values())

    anyio.run(listed)


def test_generate_video_reports_progress_and_saves_a_whole_mp4(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    progress: list[tuple[float, float | None]] = []

    async def generate() -> None:
        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total))

        async with veo_mcp(mcp_env, tmp_path, "--mock") as session:
            made = tool_result(
                await session.call_tool(
                    "generate_video",
                    {"prompt": "a cat", "aspect_ratio": "9:16", "filename": "cat.mp4"},
                    progress_callback=on_progress,
                )
            )
            tasks = tool_result(await session.call_tool("list_video_tasks", {}))["tasks"]

        path = Path(made["path"])
        assert tmp_path / "videos" / "cat.mp4" == path
        assert is_playable_mp4(path.read_bytes())
        assert "succeeded" == made["state"]
        assert [made["task_id"]] == [task["id"] for task in tasks]
        assert str(path) == tasks[0]["file"]
        assert progress[-1] == (100, 100)
        assert len(progress) >= 2

    anyio.run(generate)


def test_the_cap_refuses_the_create_past_it_and_counts_no_refused_request(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    async def create_four() -> None:
        async with veo_mcp(mcp_env, tmp_path, "--mock", "--max-videos", "3") as session:
            bad = tool_error(await session.call_tool("create_video_task", {"prompt": "  "}))
            made = [
                tool_result(await session.call_tool("create_video_task", {"prompt": f"cat {n}"}))
                for n in range(3)
            ]
            refused = tool_error(await session.call_tool("generate_video", {"prompt": "one more"}))
            tasks = tool_result(await session.call_tool("list_video_tasks", {}))["tasks"]

        assert "prompt" in bad  # a broken rule, named; not counted against the cap
        assert 3 == len({task["task_id"] for task in made})
        assert "--max-videos 3" in refused
        assert "user's decision" in refused
        assert 3 == len(tasks)

    anyio.run(create_four)


@pytest.mark.parametrize(
    "filename", ["../escaped.mp4", "/tmp/escaped.mp4", "sub/dir.mp4", "..", "link.mp4"]
)
def test_a_filename_that_leaves_the_output_directory_is_refused(
    mcp_env: dict[str, str], tmp_path: Path, filename: str
) -> None:
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "link.mp4").symlink_to(tmp_path / "outside.mp4")

    async def escape() -> None:
        async with veo_mcp(mcp_env, tmp_path, "--mock") as session:
            created = tool_result(await session.call_tool("create_video_task", {"prompt": "a cat"}))
            said = [
                tool_error(
                    await session.call_tool("generate_video", {"prompt": "a", "filename": filename})
                ),
                tool_error(
                    await session.call_tool(
                        "download_video", {"task_id": created["task_id"], "filename": filename}
                    )
                ),
            ]

        assert all("filename" in text for text in said), said
        assert not (tmp_path / "outside.mp4").exists()
        assert not (tmp_path / "escaped.mp4").exists()
        assert not Path("/tmp/escaped.mp4").exists()

    anyio.run(escape)


def test_a_cancelled_wait_keeps_the_paid_task_and_other_calls_go_on_meanwhile(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    # The embedded mock takes some 5 s a video: the call is cancelled once its first
    # progress notification came, after another call was answered meanwhile.
    async def cancel() -> None:
        async with veo_mcp(mcp_env, tmp_path, "--mock") as session:
            waiting = anyio.Event()

            async def notified(done: float, total: float | None, message: str | None) -> None:
                waiting.set()

            async with anyio.create_task_group() as group:
                arguments = {"prompt": "a slow cat"}
                group.start_soon(
                    functools.partial(
                        session.call_tool,
                        "generate_video",
                        arguments,
                        progress_callback=notified,
                    )
                )
                with anyio.fail_after(30):
                    await waiting.wait()
                started = time.monotonic()
                meanwhile = tool_result(await session.call_tool("list_video_tasks", {}))["tasks"]
                answered_in = time.monotonic() - started
                group.cancel_scope.cancel()
            await anyio.sleep(0.5)
            after = tool_result(await session.call_tool("list_video_tasks", {}))["tasks"]

        assert 1 == len(meanwhile)
        assert answered_in < 2
        assert [meanwhile[0]["id"]] == [task["id"] for task in after]
        assert not list((tmp_path / "videos").glob("*.mp4"))
        log = (tmp_path / "server.log").read_text(encoding="utf-8")
        assert f"task {meanwhile[0]['id']} was paid for and stays recorded" in log

    anyio.run(cancel)


def test_the_key_is_in_no_result_or_log_even_when_the_service_echoes_it(
    mcp_env: dict[str, str],
    veo_mock: MockServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(veo_mock.state, "api_keys", frozenset({KEY}))
    results: list[str] = []

    async def echoed() -> None:
        with RewritingService(veo_mock.url, echo_the_key) as service:
            env = {**mcp_env, "DUOMI_BASE_URL": service.url, "DUOMI_API_KEY": KEY}
            async with veo_mcp(env, tmp_path) as session:
                made = await session.call_tool("generate_video", {"prompt": "a cat"})
                task_id = tool_result(made)["task_id"]
                for name, arguments in (
                    ("get_video_task", {"task_id": task_id}),
                    ("get_video_task", {"task_id": "no-such-task"}),
                    ("list_video_tasks", {}),
                ):
                    called = await session.call_tool(name, arguments)
                    results.append(json.dumps(called.model_dump(mode="json")))
                results.append(json.dumps(made.model_dump(mode="json")))

    anyio.run(echoed)

    shows_no_key(*results, (tmp_path / "server.log").read_text())
    assert any("***" in text for text in results)
    assert [] == [p for p in (tmp_path / "videos").iterdir() if KEY in p.name]


def test_without_the_extra_one_line_names_the_pip_install(run_veo: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "mcp.py").write_text("raise ModuleNotFoundError('no mcp', name='mcp')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}

    result = run_veo("mcp", "--mock", env=env)

    assert 2 == result.returncode, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert line.endswith("veo mcp needs the mcp extra: pip install 'duomi-veo[mcp]'")


def test_the_http_transport_serves_the_same_tools_on_loopback(
    mcp_env: dict[str, str], tmp_path: Path
) -> None:
    import socket
    import subprocess

    from mcp import Client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "veo", "mcp", "--mock", "--transport", "http", "--port", str(port)],
        env=mcp_env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    async def listed() -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                    names = {tool.name for tool in (await client.list_tools()).tools}
                    made = tool_result(await client.call_tool("create_video_task", {"prompt": "a"}))
                break
            except Exception:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "the server never answered"
                await anyio.sleep(0.2)
        assert TOOLS == names
        assert made["task_id"]

    try:
        anyio.run(listed)
    finally:
        server.terminate()
        server.communicate(timeout=30)
