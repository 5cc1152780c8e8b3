"""Python client for the Duomi Veo 3.1 video generation API.

Create a task, wait for it, download the video::

    from veo import Veo

    with Veo() as client:  # the key comes from DUOMI_API_KEY
        result = client.generate("The car moves forward at a high speed", dest="car.mp4")
        print(result.path)

``AsyncVeo`` has the same methods, as coroutines. Every error is a ``VeoError``; the
tree is drawn in the ``veo._errors`` docstring.
"""

from typing import TYPE_CHECKING

from veo import _errors
from veo._client import AsyncVeo, Veo
from veo._errors import *  # noqa: F403 (the error tree, listed once: _errors.__all__)
from veo._models import GenerationResult, TaskState, VideoRequest, VideoTask
from veo._polling import PollSchedule
from veo._retry import RetryPolicy
from veo._rules import Problem
from veo._transport import DefaultHttpxClient
from veo_api.models import AspectRatio, GenerationType

if TYPE_CHECKING:
    from veo._aiohttp import DefaultAioHttpClient

__version__ = "0.1.0"

__all__ = [
    "AspectRatio",
    "AsyncVeo",
    "DefaultAioHttpClient",
    "DefaultHttpxClient",
    "GenerationResult",
    "GenerationType",
    "PollSchedule",
    "Problem",
    "RetryPolicy",
    "TaskState",
    "Veo",
    "VideoRequest",
    "VideoTask",
]
__all__ += _errors.__all__
__all__.sort()


def __getattr__(name: str) -> object:
    # aiohttp takes a few hundred milliseconds to import: only when asked for.
    if name == "DefaultAioHttpClient":
        from veo._aiohttp import DefaultAioHttpClient

        return DefaultAioHttpClient
    raise AttributeError(f"module 'veo' has no attribute {name!r}")
