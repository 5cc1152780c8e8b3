"""The mock's URL map: the spec's operations (``veo._operations``) and the CDN stand-in."""

from __future__ import annotations

from veo._operations import CREATE, GET_TASK, operation_of

__all__ = ["VIDEO_PREFIX", "route_of", "video_path"]

VIDEO_PREFIX = "/cdn/videos/"
"""Where the mock serves videos: its own stand-in for the vendor's CDN, not the API."""
ROUTES = {CREATE.id: "create", GET_TASK.id: "get"}


def video_path(task_id: str) -> str:
    """The path the task's video is served at."""
    return f"{VIDEO_PREFIX}{task_id}.mp4"


def route_of(method: str, path: str) -> str:
    """Name the route a request is for: ``create``, ``get``, ``video`` or ``other``."""
    if path.startswith(VIDEO_PREFIX):
        return "video"
    found = operation_of(method, path)
    return "other" if found is None else ROUTES.get(found[0].id, "other")
