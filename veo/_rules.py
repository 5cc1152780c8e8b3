"""The request rules the vendor states in prose, as one table and one pure function.

Shared by the client (before anything is sent) and the mock server (to answer 400).

========== ====== ====================== =============================
mode        images aspect ratio           chosen when omitted
========== ====== ====================== =============================
TEXT        0 *    any the spec allows    0 images
FIRST&LAST  1-2    any the spec allows    1-2 images
REFERENCE   1-3    16:9 (filled in)       3 images
========== ====== ====================== =============================

\\* TEXT accepts images with a warning: the vendor's own example sends one.

Allowed models, ratios, durations and modes come from the generated enums, so a
regenerated spec widens them without edits here. ``duration`` and the resolved
``generation_type`` are always sent explicitly.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import types
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from veo_api.models import (
    AspectRatio,
    GenerationType,
    VideoDuration,
    VideoGenerationRequest,
    VideoModel,
)

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_MODEL",
    "MAX_IMAGES",
    "RULES",
    "ModeRule",
    "Problem",
    "Resolution",
    "allowed_values",
    "check_http_url",
    "known_fields",
    "resolve_body",
]

MAX_IMAGES = 3
"""The spec's ``maxItems`` for ``image_urls``."""

E = TypeVar("E", bound=enum.Enum)


def required_member(enum_class: type[E], value: object, use: str) -> E:
    """The member of a generated enum that this module relies on, by value.

    A regenerated spec may add, reorder or rename members freely; only removing a value
    ``veo`` depends on is fatal, and then the error names the value and its use.
    """
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum_class)
        raise ImportError(
            f"the spec no longer allows {enum_class.__name__} {value!r}, which veo uses as "
            f"{use} (allowed now: {allowed}); update veo/_rules.py for the new spec"
        ) from None


DEFAULT_MODEL: str = required_member(VideoModel, "veo3.1-fast", "the default model").value
"""The model used when none is given: the vendor's first published model."""

DEFAULT_DURATION: int = required_member(VideoDuration, 8, "the default duration").value
"""The vendor's prose: duration is hard-coded to 8."""

_TEXT = required_member(GenerationType, "TEXT", "the text-to-video mode")
_FIRST_AND_LAST = required_member(GenerationType, "FIRST&LAST", "the first/last-frame mode")
_REFERENCE = required_member(GenerationType, "REFERENCE", "the reference-image mode")
_LANDSCAPE = required_member(AspectRatio, "16:9", "REFERENCE's only aspect ratio")


@attrs.frozen
class Problem:
    """One broken rule, printed as ``field: rule``."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


@attrs.frozen
class ModeRule:
    """What one generation mode accepts."""

    min_images: int
    max_images: int
    aspect_ratios: frozenset[str] | None = None
    """None: every ratio the spec allows."""
    default_aspect_ratio: str | None = None
    images_warning: str | None = None
    """When set, images beyond ``max_images`` are a warning, not a problem."""


RULES: Mapping[GenerationType, ModeRule] = {
    _TEXT: ModeRule(
        min_images=0,
        max_images=0,
        images_warning=(
            "generation_type TEXT does not use images; they are sent as given "
            "(the vendor's own example does this), but the service may ignore them"
        ),
    ),
    _FIRST_AND_LAST: ModeRule(min_images=1, max_images=2),
    _REFERENCE: ModeRule(
        min_images=1,
        max_images=3,
        aspect_ratios=frozenset({_LANDSCAPE.value}),
        default_aspect_ratio=_LANDSCAPE.value,
    ),
}


def infer_generation_type(image_count: int) -> GenerationType | None:
    """The mode chosen when none is given: by image count, as the vendor describes."""
    if image_count == 0:
        return _TEXT
    if image_count <= 2:
        return _FIRST_AND_LAST
    if image_count == 3:
        return _REFERENCE
    return None


@functools.cache
def allowed_values() -> Mapping[str, tuple[Any, ...]]:
    """The enum-valued request fields and the values the installed spec allows."""
    return types.MappingProxyType(
        {
            "model": tuple(m.value for m in VideoModel),
            "aspect_ratio": tuple(m.value for m in AspectRatio),
            "duration": tuple(m.value for m in VideoDuration),
            "generation_type": tuple(m.value for m in GenerationType),
        }
    )


@functools.cache
def _modes() -> Mapping[object, GenerationType]:
    return types.MappingProxyType({mode.value: mode for mode in GenerationType})


@functools.cache
def known_fields() -> tuple[str, ...]:
    """The request body fields the installed spec knows, in spec order."""
    return tuple(
        field.name
        for field in attrs.fields(VideoGenerationRequest)
        if field.name != "additional_properties"
    )


def check_http_url(value: object, field: str, *, allow_userinfo: bool = False) -> Problem | None:
    """Check that ``value`` is an absolute http(s) URL with a host and no credentials."""
    if not isinstance(value, str) or not value.strip():
        return Problem(field, "must be a non-empty URL string")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (parsing the port raises on a malformed one)
    except ValueError:
        return Problem(field, f"is not a valid URL: {value!r}")
    if parts.scheme not in ("http", "https"):
        return Problem(field, f"must be an absolute http(s) URL, got {value!r}")
    if not parts.hostname:
        return Problem(field, f"must name a host, got {value!r}")
    if not allow_userinfo and (parts.username is not None or parts.password is not None):
        return Problem(field, "must not embed credentials (user:password@)")
    if any(ch.isspace() for ch in value):
        return Problem(field, "must not contain whitespace")
    return None


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@attrs.frozen
class Resolution:
    """The outcome of checking a request body.

    Attributes:
        body: the body to send, with the inferred mode, the REFERENCE ratio and the
            default duration filled in (only meaningful when ``problems`` is empty).
        problems: every broken rule; the request must not be sent if there are any.
        warnings: things that are allowed but probably not what was meant.
    """

    body: dict[str, Any]
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]


def _check_enum(body: Mapping[str, Any], field: str, problems: list[Problem]) -> None:
    if field not in body or body[field] is None:
        return
    allowed = allowed_values()[field]
    value = body[field]
    # bool is an int in Python; reject it for the integer enum explicitly.
    if value not in allowed or isinstance(value, bool):
        listed = ", ".join(repr(v) for v in allowed)
        problems.append(Problem(field, f"must be one of {listed}, got {value!r}"))


def resolve_body(body: Mapping[str, Any]) -> Resolution:
    """Apply the rules table to a JSON request body.

    Collects every problem instead of stopping at the first. ``None`` values count as
    omitted. Fields the spec does not know are passed through unchecked.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    resolved = {key: value for key, value in body.items() if value is not None}

    prompt = resolved.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append(Problem("prompt", "must be a non-blank string"))

    resolved.setdefault("model", DEFAULT_MODEL)
    resolved.setdefault("duration", DEFAULT_DURATION)
    for field in ("model", "duration", "aspect_ratio", "generation_type"):
        _check_enum(resolved, field, problems)

    images = resolved.get("image_urls", [])
    if not isinstance(images, list | tuple):
        problems.append(Problem("image_urls", "must be a list of URLs"))
        images = []
    images = list(images)
    if len(images) > MAX_IMAGES:
        problems.append(Problem("image_urls", f"at most {MAX_IMAGES} images, got {len(images)}"))
    for index, url in enumerate(images):
        problem = check_http_url(url, f"image_urls[{index}]")
        if problem:
            problems.append(problem)
    if "image_urls" in resolved:
        resolved["image_urls"] = images

    mode_value = resolved.get("generation_type")
    known = _modes().get(mode_value)
    mode = infer_generation_type(len(images)) if mode_value is None else known
    if mode is not None:
        resolved["generation_type"] = mode.value
        _check_mode(mode, images, resolved, problems, warnings)

    return Resolution(body=resolved, problems=tuple(problems), warnings=tuple(warnings))


def _check_mode(
    mode: GenerationType,
    images: list[Any],
    resolved: dict[str, Any],
    problems: list[Problem],
    warnings: list[str],
) -> None:
    rule = RULES.get(mode)
    if rule is None:
        # A mode a newer spec added and this table does not describe yet: let the
        # service decide rather than refuse a value the spec allows.
        return
    count = len(images)
    if count < rule.min_images:
        problems.append(
            Problem("image_urls", f"{mode.value} needs at least {rule.min_images} image(s)")
        )
    elif count > rule.max_images:
        if rule.images_warning:
            warnings.append(rule.images_warning)
        elif count <= MAX_IMAGES:
            problems.append(
                Problem(
                    "image_urls",
                    f"{mode.value} takes at most {rule.max_images} image(s), got {count}",
                )
            )
    if rule.aspect_ratios is not None:
        ratio = resolved.setdefault("aspect_ratio", rule.default_aspect_ratio)
        if ratio not in rule.aspect_ratios and ratio in allowed_values()["aspect_ratio"]:
            allowed = ", ".join(sorted(rule.aspect_ratios))
            problems.append(
                Problem("aspect_ratio", f"{mode.value} supports only {allowed}, got {ratio!r}")
            )
