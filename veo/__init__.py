"""Python client for the Duomi Veo 3.1 video generation API.

Create a task, wait for it, download the video::

    from veo import Veo

    with Veo() as client:  # the key comes from DUOMI_API_KEY
        result = client.generate("The car moves forward at a high speed", dest="car.mp4")
        print(result.path)

``AsyncVeo`` has the same methods, as coroutines. Every error is a ``VeoError``; the
tree is drawn in the ``veo._errors`` docstring.
"""

from veo._client import AsyncVeo, Veo
from veo._errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    CreateOutcomeUnknownError,
    DownloadError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    NoVideoError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    TaskFailedError,
    UnexpectedResponseError,
    UnprocessableEntityError,
    VeoError,
    VideoLinkExpiredError,
    WaitTimeoutError,
)
from veo._models import GenerationResult, TaskState, VideoRequest, VideoTask
from veo._polling import PollSchedule
from veo._retry import RetryPolicy
from veo._rules import Problem
from veo_api.models import AspectRatio, GenerationType

__version__ = "0.1.0"

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AspectRatio",
    "AsyncVeo",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "CreateOutcomeUnknownError",
    "DownloadError",
    "GenerationResult",
    "GenerationType",
    "InternalServerError",
    "InvalidRequestError",
    "NoVideoError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PollSchedule",
    "Problem",
    "RateLimitError",
    "RequestTimeoutError",
    "RetryPolicy",
    "TaskFailedError",
    "TaskState",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "Veo",
    "VeoError",
    "VideoLinkExpiredError",
    "VideoRequest",
    "VideoTask",
    "WaitTimeoutError",
]
