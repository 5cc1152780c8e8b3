from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.video_task_action import VideoTaskAction
from ..models.video_task_state import VideoTaskState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.video_task_data import VideoTaskData


T = TypeVar("T", bound="VideoTask")


@_attrs_define
class VideoTask:
    """
    Attributes:
        id (str):
        state (str | VideoTaskState): Task state (generated as VideoTaskState).
        data (VideoTaskData):
        progress (int): Percent complete.
        create_time (int): When the task was created, in Unix seconds (observed).
        update_time (int): When the task last changed, in Unix seconds (observed).
        message (str): Failure reason or status text; may be empty.
        action (str | VideoTaskAction): What the task does; generate for a new video (generated as VideoTaskAction).
    """

    id: str
    state: str | VideoTaskState
    data: VideoTaskData
    progress: int
    create_time: int
    update_time: int
    message: str
    action: str | VideoTaskAction
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.video_task_data import VideoTaskData  # noqa: PLC0415

        id = self.id

        state: str
        if isinstance(self.state, VideoTaskState):
            state = self.state.value
        else:
            state = self.state

        data = self.data.to_dict()

        progress = self.progress

        create_time = self.create_time

        update_time = self.update_time

        message = self.message

        action: str
        if isinstance(self.action, VideoTaskAction):
            action = self.action.value
        else:
            action = self.action

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "state": state,
                "data": data,
                "progress": progress,
                "create_time": create_time,
                "update_time": update_time,
                "message": message,
                "action": action,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.video_task_data import VideoTaskData  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_state(data: object) -> str | VideoTaskState:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                state_state = VideoTaskState(data)

                return state_state
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | VideoTaskState, data)

        state = _parse_state(d.pop("state"))

        data = VideoTaskData.from_dict(d.pop("data"))

        progress = d.pop("progress")

        create_time = d.pop("create_time")

        update_time = d.pop("update_time")

        message = d.pop("message")

        def _parse_action(data: object) -> str | VideoTaskAction:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                action_action = VideoTaskAction(data)

                return action_action
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | VideoTaskAction, data)

        action = _parse_action(d.pop("action"))

        video_task = cls(
            id=id,
            state=state,
            data=data,
            progress=progress,
            create_time=create_time,
            update_time=update_time,
            message=message,
            action=action,
        )

        video_task.additional_properties = d
        return video_task

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
