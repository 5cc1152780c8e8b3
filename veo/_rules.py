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

What exists, and each field's type, enum values, ``required`` and ``maxItems``, comes
from the spec through ``make gen`` (``veo_api.request_fields.FIELDS``), so a
regenerated spec adds or widens fields without edits here; this module holds only what
the spec says in prose. ``duration`` and the resolved ``generation_type`` are always
sent explicitly.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

from veo_api.models import AspectRatio, GenerationType, VideoDuration, VideoModel
from veo_api.request_fields import FIELDS, RequestField

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

_FIELDS_BY_NAME: Mapping[str, RequestField] = types.MappingProxyType(
    {field.name: field for field in FIELDS}
)
MAX_IMAGES: int = _FIELDS_BY_NAME["image_urls"].max_items or 0
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


NEEDS_UPLOADER = (
    "is a local file, and the service fetches images only from public http(s) URLs: "
    "give the client an uploader (Veo(uploader=veo.S3Uploader('s3://bucket/prefix')), "
    "the command's --upload s3://bucket/prefix) or upload it yourself and pass its URL"
)
"""What a local image in a request without an uploader is told."""


def is_local(value: object) -> bool:
    """Whether an ``image_urls`` item is a local image rather than a URL: a path, bytes,
    or a string naming an existing file (a string that is neither stays a URL, and the
    URL check says what is wrong with it)."""
    if isinstance(value, bytes | os.PathLike):
        return True
    if not isinstance(value, str) or value.startswith(("http://", "https://")):
        return False
    try:
        return Path(value).expanduser().is_file()
    except (OSError, ValueError):
        return False


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
        {field.name: field.values for field in FIELDS if field.values is not None}
    )


@functools.cache
def _modes() -> Mapping[object, GenerationType]:
    return types.MappingProxyType({mode.value: mode for mode in GenerationType})


@functools.cache
def known_fields() -> tuple[str, ...]:
    """The request body fields the installed spec knows, in spec order."""
    return tuple(field.name for field in FIELDS)


def task_id_problem(task_id: str) -> str | None:
    """Why ``task_id`` cannot name a task in its URL, or None when it can: ``.`` and
    ``..`` would be read as path steps, and an id must be encodable as UTF-8."""
    if task_id.strip() in (".", ".."):
        return f"{task_id!r} is not a task id (it would change the URL path)"
    try:
        task_id.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"cannot be encoded as UTF-8 (position {exc.start + 1})"
    return None


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


_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (Mapping,),
}


def _check_field(field: RequestField, value: Any, problems: list[Problem]) -> None:
    """The spec's word on one field: its enum values, else its JSON type."""
    if field.values is not None:
        # bool is an int in Python; an integer enum never takes True.
        if value not in field.values or isinstance(value, bool):
            listed = ", ".join(repr(v) for v in field.values)
            problems.append(Problem(field.name, f"must be one of {listed}, got {value!r}"))
        return
    if field.json_type == "array":
        if not isinstance(value, list | tuple):
            problems.append(Problem(field.name, f"must be a list, got {value!r}"))
            return
        if field.max_items is not None and len(value) > field.max_items:
            problems.append(
                Problem(field.name, f"at most {field.max_items} items, got {len(value)}")
            )
        for index, item in enumerate(value):
            _check_type(f"{field.name}[{index}]", field.items or "", item, problems)
        return
    _check_type(field.name, field.json_type, value, problems)


def _check_type(name: str, json_type: str, value: Any, problems: list[Problem]) -> None:
    expected = _JSON_TYPES.get(json_type)
    if expected is None:  # a type the spec leaves open
        return
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        problems.append(Problem(name, f"must be a JSON {json_type}, got {value!r}"))


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
    for field in FIELDS:
        if field.name in ("prompt", "image_urls"):
            continue  # the prose rules below say more than the spec's type
        if field.name in resolved:
            _check_field(field, resolved[field.name], problems)
        elif field.required:
            problems.append(Problem(field.name, "is required by the spec"))

    images = resolved.get("image_urls", [])
    if not isinstance(images, list | tuple):
        problems.append(Problem("image_urls", "must be a list of URLs"))
        images = []
    images = list(images)
    if len(images) > MAX_IMAGES:
        problems.append(Problem("image_urls", f"at most {MAX_IMAGES} images, got {len(images)}"))
    for index, url in enumerate(images):
        place = f"image_urls[{index}]"
        if is_local(url):  # a client with an uploader has replaced it by now
            shown = "bytes" if isinstance(url, bytes) else repr(os.fspath(url))
            problems.append(Problem(place, f"{shown} {NEEDS_UPLOADER}"))
            continue
        problem = check_http_url(url, place)
        if problem and isinstance(url, str) and "://" not in url:
            # Meant as a file, most likely, and there is none by that name.
            rule = f"{problem.rule}, or a local image file (there is no file {url!r})"
            problem = attrs.evolve(problem, rule=rule)
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
