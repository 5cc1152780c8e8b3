from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.video_task_data import VideoTaskData


T = TypeVar("T", bound="VideoTask")


@_attrs_define
class VideoTask:
    """Observed, not in the vendor's spec.

    Attributes:
        id (str):
        state (str): Task state. Seen: pending, running, succeeded, error; sibling services also use queued, processing,
            completed, success, failed. Kept a plain string because the set is observed, not published.
        progress (int | Unset): Percent complete.
        message (None | str | Unset): Failure reason or status text.
        data (VideoTaskData | Unset): Observed, not in the vendor's spec.
    """

    id: str
    state: str
    progress: int | Unset = UNSET
    message: None | str | Unset = UNSET
    data: VideoTaskData | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.video_task_data import VideoTaskData  # noqa: PLC0415

        id = self.id

        state = self.state

        progress = self.progress

        message: None | str | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "state": state,
            }
        )
        if progress is not UNSET:
            field_dict["progress"] = progress
        if message is not UNSET:
            field_dict["message"] = message
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.video_task_data import VideoTaskData  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        state = d.pop("state")

        progress = d.pop("progress", UNSET)

        def _parse_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        _data = d.pop("data", UNSET)
        data: VideoTaskData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = VideoTaskData.from_dict(_data)

        video_task = cls(
            id=id,
            state=state,
            progress=progress,
            message=message,
            data=data,
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
