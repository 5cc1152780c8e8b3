"""The tools of ``veo mcp`` in-process (the SDK's in-memory client against the server
``build_server`` makes), on the mock: each tool's result and refusals. The process as
an assistant starts it is tested in ``tests/cli/test_mcp.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from veo.cli._ledger import Ledger, Remembered
from veo.mock import Lifecycle
from veo.testing import MockServer

from ..helpers import is_playable_mp4, tool_error, tool_result

pytest.importorskip("mcp", reason="the mcp extra")
from mcp import Client

from veo.mcp import VideoTools, build_server


@pytest.fixture
def tools(tmp_path: Path, veo_mock: MockServer) -> VideoTools:
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=1)
    warnings: list[str] = []
    ledger = Remembered(Ledger(tmp_path / "tasks.sqlite3"), warnings.append, veo_mock.url)
    return VideoTools(tmp_path / "videos", 2, ledger)


@asynccontextmanager
async def connected(tools: VideoTools, veo_mock: MockServer) -> AsyncIterator[Any]:
    options = {"api_key": veo_mock.api_key, "base_url": veo_mock.url}
    async with Client(build_server(tools, options)) as client:
        yield client


def test_each_tool_does_its_part_of_the_job(
    tools: VideoTools, veo_mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEO_HOME", str(tmp_path))  # list_video_tasks reads this ledger

    async def job() -> None:
        async with connected(tools, veo_mock) as client:
            made = tool_result(await client.call_tool("generate_video", {"prompt": "a cat"}))
            created = tool_result(await client.call_tool("create_video_task", {"prompt": "a dog"}))
            waited = tool_result(
                await client.call_tool("wait_video_task", {"task_id": created["task_id"]})
            )
            got = tool_result(
                await client.call_tool("get_video_task", {"task_id": created["task_id"]})
            )
            saved = tool_result(
                await client.call_tool(
                    "download_video", {"task_id": created["task_id"], "filename": "dog.mp4"}
                )
            )
            listed = tool_result(await client.call_tool("list_video_tasks", {"limit": 5}))
            succeeded = tool_result(
                await client.call_tool("list_video_tasks", {"state": "succeeded"})
            )

        assert is_playable_mp4(Path(made["path"]).read_bytes())
        assert "succeeded" == waited["state"] == got["state"]
        assert tmp_path / "videos" / "dog.mp4" == Path(saved["path"])
        assert {made["task_id"], created["task_id"]} == {t["id"] for t in listed["tasks"]}
        assert 2 == len(succeeded["tasks"])
        assert all(t["command"] == "mcp" for t in listed["tasks"])

    anyio.run(job)


def test_refusals_name_the_rule_the_cap_and_the_paid_task(
    tools: VideoTools, veo_mock: MockServer, tmp_path: Path
) -> None:
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "link.mp4").symlink_to(tmp_path / "elsewhere.mp4")

    async def refusals() -> None:
        async with connected(tools, veo_mock) as client:
            broken = tool_error(
                await client.call_tool(
                    "create_video_task",
                    {"prompt": "a", "generation_type": "REFERENCE", "image_urls": []},
                )
            )
            created = [
                tool_result(await client.call_tool("create_video_task", {"prompt": f"cat {n}"}))
                for n in range(2)
            ]
            capped = tool_error(await client.call_tool("create_video_task", {"prompt": "one more"}))
            escapes = [
                tool_error(
                    await client.call_tool("download_video", {"task_id": "t", "filename": name})
                )
                for name in ("../x.mp4", "a/b.mp4", "..", "link.mp4")
            ]
            missing = tool_error(await client.call_tool("get_video_task", {"task_id": "no-such"}))
            early = tool_error(
                await client.call_tool(
                    "wait_video_task", {"task_id": "no-such", "timeout_seconds": 1}
                )
            )

        assert "image_urls" in broken
        assert 2 == len(created)
        assert "--max-videos 2" in capped
        assert all("filename" in text for text in escapes)
        assert "404" in missing or "not found" in missing.lower()
        assert early

    anyio.run(refusals)


def test_a_failed_download_names_the_paid_task_and_the_tools_that_pick_it_up(
    tools: VideoTools, veo_mock: MockServer, tmp_path: Path
) -> None:
    from veo.mock import parse_rule

    veo_mock.faults.add(parse_rule("server-error,route=video,status=410"))

    async def gone() -> None:
        async with connected(tools, veo_mock) as client:
            said = tool_error(await client.call_tool("generate_video", {"prompt": "a cat"}))

        (task_id,) = veo_mock.state.tasks
        assert f"task {task_id} was paid for and is recorded" in said
        assert "download_video" in said

    anyio.run(gone)
