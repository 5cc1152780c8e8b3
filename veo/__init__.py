"""Python client for the Duomi Veo 3.1 video generation API.

Create a task, wait for it, download the video::

    from veo import Veo

    with Veo() as client:  # the key comes from DUOMI_API_KEY
        result = client.generate("The car moves forward at a high speed", dest="car.mp4")
        print(result.path)

``AsyncVeo`` has the same methods, as coroutines. Every error is a ``VeoError``; the
tree is drawn in the ``veo._errors`` docstring. Everything public is named from here
(``veo.WaitTimeoutError`` in a traceback, not the private module that defines it).
"""

from typing import TYPE_CHECKING

from veo import _errors
from veo._client import AsyncVeo, Veo
from veo._errors import *  # noqa: F403 (the error tree, listed once: _errors.__all__)
from veo._http import ObservedExchange
from veo._images import AsyncUploader, LocalImage, Uploader
from veo._models import GenerationResult, TaskState, VideoRequest, VideoTask
from veo._polling import PollSchedule
from veo._retry import RetryPolicy
from veo._rules import Problem
from veo._s3 import S3Destination, S3Uploader
from veo._transport import DefaultHttpxClient
from veo._version import __version__ as __version__
from veo_api.models import AspectRatio, GenerationType

if TYPE_CHECKING:
    from veo._aiohttp import DefaultAioHttpClient


__all__ = [
    "AspectRatio",
    "AsyncUploader",
    "AsyncVeo",
    "DefaultAioHttpClient",
    "DefaultHttpxClient",
    "GenerationResult",
    "GenerationType",
    "LocalImage",
    "ObservedExchange",
    "PollSchedule",
    "Problem",
    "RetryPolicy",
    "S3Destination",
    "S3Uploader",
    "TaskState",
    "Uploader",
    "Veo",
    "VideoRequest",
    "VideoTask",
]
__all__ += _errors.__all__
__all__.sort()

# Tracebacks, reprs and pickles name the public module (as openai-python does).
for _name in __all__:
    _value = globals().get(_name)
    if getattr(_value, "__module__", "").startswith("veo._"):
        _value.__module__ = "veo"
del _name, _value


def __getattr__(name: str) -> object:
    # aiohttp takes a few hundred milliseconds to import: only when asked for.
    if name == "DefaultAioHttpClient":
        from veo._aiohttp import DefaultAioHttpClient

        return DefaultAioHttpClient
    raise AttributeError(f"module 'veo' has no attribute {name!r}")
