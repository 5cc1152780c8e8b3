"""Helpers shared by the test suites."""

from __future__ import annotations

import asyncio
import inspect
import struct
from pathlib import Path
from typing import Any

import yaml

import veo


class SyncView:
    """Calls an ``AsyncVeo`` as if it were a ``Veo``, on one event loop per test."""

    def __init__(self, client: veo.AsyncVeo, runner: asyncio.Runner) -> None:
        self._client = client
        self._runner = runner

    def __repr__(self) -> str:
        return repr(self._client)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(attribute(*args, **kwargs))

        return call


def mp4_boxes(data: bytes) -> list[bytes]:
    """The top-level box types of an MP4 file (raises on a malformed box table)."""
    boxes, offset = [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        if size < 8 or offset + size > len(data):
            raise ValueError(f"malformed box {kind!r} at {offset}")
        boxes.append(kind)
        offset += size
    return boxes


def is_playable_mp4(data: bytes) -> bool:
    """An ftyp box first, a moov with a video track ('vide' handler), and media data."""
    boxes = mp4_boxes(data)
    return boxes[:1] == [b"ftyp"] and b"moov" in boxes and b"mdat" in boxes and b"vide" in data


def vendor_example() -> dict[str, Any]:
    """The request example in the vendor's spec (openapi/upstream.yaml)."""
    upstream = Path(__file__).resolve().parents[1] / "openapi" / "upstream.yaml"
    spec = yaml.safe_load(upstream.read_text(encoding="utf-8"))
    content = spec["paths"]["/v1/videos/generations"]["post"]["requestBody"]["content"]
    example: dict[str, Any] = content["application/json"]["example"]
    return example
