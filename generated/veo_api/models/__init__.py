"""Contains all the data models used in inputs/outputs"""

from .aspect_ratio import AspectRatio
from .created_task import CreatedTask
from .error_body import ErrorBody
from .error_detail import ErrorDetail
from .generation_type import GenerationType
from .video_duration import VideoDuration
from .video_file import VideoFile
from .video_generation_request import VideoGenerationRequest
from .video_model import VideoModel
from .video_task import VideoTask
from .video_task_action import VideoTaskAction
from .video_task_data import VideoTaskData
from .video_task_state import VideoTaskState

__all__ = (
    "AspectRatio",
    "CreatedTask",
    "ErrorBody",
    "ErrorDetail",
    "GenerationType",
    "VideoDuration",
    "VideoFile",
    "VideoGenerationRequest",
    "VideoModel",
    "VideoTask",
    "VideoTaskAction",
    "VideoTaskData",
    "VideoTaskState",
)
