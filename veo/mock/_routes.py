"""The mock's URL map: the two API paths of the spec and the CDN stand-in."""

from __future__ import annotations

__all__ = ["CREATE_PATH", "TASK_PREFIX", "VIDEO_PREFIX", "route_of", "video_path"]

CREATE_PATH = "/v1/videos/generations"
TASK_PREFIX = "/v1/videos/tasks/"
VIDEO_PREFIX = "/cdn/videos/"


def video_path(task_id: str) -> str:
    """The path the task's video is served at."""
    return f"{VIDEO_PREFIX}{task_id}.mp4"


def route_of(method: str, path: str) -> str:
    """Name the route a request is for: ``create``, ``get``, ``video`` or ``other``."""
    if path.startswith(VIDEO_PREFIX):
        return "video"
    if method == "POST" and path == CREATE_PATH:
        return "create"
    if method == "GET" and path.startswith(TASK_PREFIX):
        return "get"
    return "other"
