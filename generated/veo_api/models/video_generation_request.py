from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.aspect_ratio import AspectRatio
from ..models.generation_type import GenerationType
from ..models.video_duration import VideoDuration
from ..models.video_model import VideoModel
from ..types import UNSET, Unset

T = TypeVar("T", bound="VideoGenerationRequest")


@_attrs_define
class VideoGenerationRequest:
    """
    Attributes:
        model (VideoModel): Model that renders the video.
        prompt (str): Text description of the video to generate; must not be blank.
        aspect_ratio (AspectRatio | Unset): Aspect ratio of the video. REFERENCE mode supports 16:9 only (vendor prose).
        duration (VideoDuration | Unset): Video length in seconds; the vendor states it is always 8.
        image_urls (list[str] | Unset): Absolute http(s) URLs of input images. FIRST&LAST takes 1 to 2 images, REFERENCE
            takes 1 to 3, TEXT takes none (vendor prose).
        generation_type (GenerationType | Unset): Video generation mode (视频生成模式). By default the service infers it from
            the number of images; choosing it explicitly is recommended. TEXT: text to video. FIRST&LAST: first/last-frame
            video, 1 to 2 images. REFERENCE: reference-image video, at most 3 images that become elements of the video; 16:9
            only.
    """

    model: VideoModel
    prompt: str
    aspect_ratio: AspectRatio | Unset = UNSET
    duration: VideoDuration | Unset = UNSET
    image_urls: list[str] | Unset = UNSET
    generation_type: GenerationType | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model.value

        prompt = self.prompt

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio.value

        duration: int | Unset = UNSET
        if not isinstance(self.duration, Unset):
            duration = self.duration.value

        image_urls: list[str] | Unset = UNSET
        if not isinstance(self.image_urls, Unset):
            image_urls = self.image_urls

        generation_type: str | Unset = UNSET
        if not isinstance(self.generation_type, Unset):
            generation_type = self.generation_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "prompt": prompt,
            }
        )
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio
        if duration is not UNSET:
            field_dict["duration"] = duration
        if image_urls is not UNSET:
            field_dict["image_urls"] = image_urls
        if generation_type is not UNSET:
            field_dict["generation_type"] = generation_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        model = VideoModel(d.pop("model"))

        prompt = d.pop("prompt")

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: AspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = AspectRatio(_aspect_ratio)

        _duration = d.pop("duration", UNSET)
        duration: VideoDuration | Unset
        if isinstance(_duration, Unset):
            duration = UNSET
        else:
            duration = VideoDuration(_duration)

        image_urls = cast(list[str], d.pop("image_urls", UNSET))

        _generation_type = d.pop("generation_type", UNSET)
        generation_type: GenerationType | Unset
        if isinstance(_generation_type, Unset):
            generation_type = UNSET
        else:
            generation_type = GenerationType(_generation_type)

        video_generation_request = cls(
            model=model,
            prompt=prompt,
            aspect_ratio=aspect_ratio,
            duration=duration,
            image_urls=image_urls,
            generation_type=generation_type,
        )

        video_generation_request.additional_properties = d
        return video_generation_request

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
