"""The request fields of ``createVideoGeneration``, as the effective spec defines them.

Written by ``make gen`` (``openapi/request_surface.py``); never edit it by hand.
``veo`` builds ``VideoRequest``, the keyword arguments of ``create``/``generate``, the
CLI's request options, a batch line's fields and their checks from this module, so a
field the spec adds is usable everywhere after ``make gen``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, Literal, TypedDict

import attrs

from .models.aspect_ratio import AspectRatio
from .models.generation_type import GenerationType
from .models.video_duration import VideoDuration
from .models.video_model import VideoModel

__all__ = ["FIELDS", "RequestField", "RequestFields", "RequestModel"]


@attrs.frozen
class RequestField:
    """One field of the request body.

    Attributes:
        name: the JSON name (also the Python keyword).
        json_type: its JSON Schema type (``string``, ``integer``, ``array``, ...).
        description: the spec's description.
        required: whether the spec requires it.
        values: the values an enum field allows, in the spec's order.
        enum: the generated enum class of an enum field.
        max_items: an array's ``maxItems``.
        items: an array's item type.
    """

    name: str
    json_type: str
    description: str
    required: bool = False
    values: tuple[Any, ...] | None = None
    enum: type[Enum] | None = None
    max_items: int | None = None
    items: str | None = None


FIELDS: tuple[RequestField, ...] = (
    RequestField(
        "model",
        "string",
        "Model that renders the video.",
        required=True,
        values=("veo3.1-fast",),
        enum=VideoModel,
    ),
    RequestField(
        "prompt",
        "string",
        "Text description of the video to generate; must not be blank.",
        required=True,
    ),
    RequestField(
        "aspect_ratio",
        "string",
        "Aspect ratio of the video. REFERENCE mode supports 16:9 only (vendor prose).",
        values=("16:9", "9:16"),
        enum=AspectRatio,
    ),
    RequestField(
        "duration",
        "integer",
        "Video length in seconds; the vendor states it is always 8.",
        values=(8,),
        enum=VideoDuration,
    ),
    RequestField(
        "image_urls",
        "array",
        "Absolute http(s) URLs of input images. FIRST&LAST takes 1 to 2 images, REFERENCE takes 1 to 3, TEXT takes none (vendor prose).",
        max_items=3,
        items="string",
    ),
    RequestField(
        "generation_type",
        "string",
        "Video generation mode (视频生成模式). By default the service infers it from the number of images; choosing it explicitly is recommended. TEXT: text to video. FIRST&LAST: first/last-frame video, 1 to 2 images. REFERENCE: reference-image video, at most 3 images that become elements of the video; 16:9 only.",
        values=("TEXT", "FIRST&LAST", "REFERENCE"),
        enum=GenerationType,
    ),
)
"""Every field of the request body, in the spec's order."""


def _as_tuple(value: str | Iterable[Any] | None) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class RequestModel:
    """The request's fields; ``None`` (an empty tuple for a list) means "not given"."""

    prompt: str
    model: VideoModel | Literal["veo3.1-fast"] | None = attrs.field(
        default=None, kw_only=True
    )
    aspect_ratio: AspectRatio | Literal["16:9", "9:16"] | None = attrs.field(
        default=None, kw_only=True
    )
    duration: VideoDuration | Literal[8] | None = attrs.field(
        default=None, kw_only=True
    )
    image_urls: tuple[str, ...] = attrs.field(
        default=(), converter=_as_tuple, kw_only=True
    )
    generation_type: (
        GenerationType | Literal["TEXT", "FIRST&LAST", "REFERENCE"] | None
    ) = attrs.field(default=None, kw_only=True)


class RequestFields(TypedDict, total=False):
    """The request's fields as keyword arguments, as ``Veo.create`` takes them."""

    prompt: str
    model: VideoModel | Literal["veo3.1-fast"] | None
    aspect_ratio: AspectRatio | Literal["16:9", "9:16"] | None
    duration: VideoDuration | Literal[8] | None
    image_urls: str | Iterable[str] | None
    generation_type: GenerationType | Literal["TEXT", "FIRST&LAST", "REFERENCE"] | None
