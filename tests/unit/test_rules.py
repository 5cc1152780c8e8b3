"""The rules table, checked against an independent reading of the vendor's prose."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

import pytest

from vendor_docs import vendor_spec
from veo import AspectRatio, GenerationType, InvalidRequestError, VideoRequest
from veo._rules import allowed_values, known_fields, resolve_body

from ..helpers import vendor_example

ROOT = Path(__file__).resolve().parents[2]
IMAGES = [f"https://img.test/{i}.jpg" for i in range(4)]
INFERRED = {0: "TEXT", 1: "FIRST&LAST", 2: "FIRST&LAST", 3: "REFERENCE"}


def oracle(count: int, mode: str | None, ratio: str | None) -> tuple[set[str], dict[str, Any]]:
    """What the rules table (``veo/_rules.py``) says: problem fields, or the resolved fields."""
    problems: set[str] = set()
    if count > 3:
        problems.add("image_urls")
    resolved_mode = mode or INFERRED.get(count)
    resolved_ratio = ratio
    if resolved_mode == "FIRST&LAST" and not 1 <= count <= 2:
        problems.add("image_urls")
    if resolved_mode == "REFERENCE":
        if count < 1:
            problems.add("image_urls")
        resolved_ratio = ratio or "16:9"
        if resolved_ratio != "16:9":
            problems.add("aspect_ratio")
    return problems, {"generation_type": resolved_mode, "aspect_ratio": resolved_ratio}


CASES = list(
    itertools.product(range(5), [None, "TEXT", "FIRST&LAST", "REFERENCE"], [None, "16:9", "9:16"])
)


@pytest.mark.parametrize(("count", "mode", "ratio"), CASES)
def test_rules_table(count: int, mode: str | None, ratio: str | None) -> None:
    request = VideoRequest(
        "a prompt", image_urls=IMAGES[:count], generation_type=mode, aspect_ratio=ratio
    )
    problems, resolved = oracle(count, mode, ratio)

    if problems:
        with pytest.raises(InvalidRequestError) as info:
            request.to_body()
        assert problems == {p.field for p in info.value.problems}
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = request.to_body()

    assert resolved["generation_type"] == body["generation_type"]
    assert resolved["aspect_ratio"] == body.get("aspect_ratio")
    text_with_images = resolved["generation_type"] == "TEXT" and count > 0
    assert text_with_images == any(issubclass(w.category, UserWarning) for w in caught)


def test_vendor_example_passes_unchanged_with_a_warning() -> None:
    example = vendor_example()
    request = VideoRequest(
        example["prompt"],
        image_urls=example["image_urls"],
        generation_type=example["generation_type"],
        aspect_ratio=example["aspect_ratio"],
        model=example["model"],
        duration=example["duration"],
    )

    with pytest.warns(UserWarning, match="TEXT does not use images"):
        body = request.to_body()

    assert example == body


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"prompt": "a cat"},
            {"model": "veo3.1-fast", "prompt": "a cat", "duration": 8, "generation_type": "TEXT"},
        ),
        (
            {"prompt": "a cat", "aspect_ratio": "9:16"},
            {
                "model": "veo3.1-fast",
                "prompt": "a cat",
                "aspect_ratio": "9:16",
                "duration": 8,
                "generation_type": "TEXT",
            },
        ),
        (
            {"prompt": "fly", "image_urls": IMAGES[:2]},
            {
                "model": "veo3.1-fast",
                "prompt": "fly",
                "duration": 8,
                "image_urls": IMAGES[:2],
                "generation_type": "FIRST&LAST",
            },
        ),
        (
            {"prompt": "mix", "image_urls": IMAGES[:3]},
            {
                "model": "veo3.1-fast",
                "prompt": "mix",
                "aspect_ratio": "16:9",
                "duration": 8,
                "image_urls": IMAGES[:3],
                "generation_type": "REFERENCE",
            },
        ),
        (
            {"prompt": "one", "image_urls": IMAGES[:1], "generation_type": "REFERENCE"},
            {
                "model": "veo3.1-fast",
                "prompt": "one",
                "aspect_ratio": "16:9",
                "duration": 8,
                "image_urls": IMAGES[:1],
                "generation_type": "REFERENCE",
            },
        ),
    ],
)
def test_golden_bodies(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    body = VideoRequest(**fields).to_body()

    assert expected == body
    assert list(expected) == list(body)


def test_enum_members_are_accepted_like_their_values() -> None:
    request = VideoRequest(
        "p",
        image_urls=IMAGES[:1],
        generation_type=GenerationType.REFERENCE,
        aspect_ratio=AspectRatio.LANDSCAPE_16_9,
    )

    body = request.to_body()

    assert ("REFERENCE", "16:9") == (body["generation_type"], body["aspect_ratio"])
    assert str is type(body["generation_type"])


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_blank_prompt_is_refused(prompt: str) -> None:
    with pytest.raises(InvalidRequestError, match="prompt: must be a non-blank string"):
        VideoRequest(prompt).to_body()


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("ftp://img.test/a.jpg", "absolute http(s) URL"),
        ("/relative/a.jpg", "absolute http(s) URL"),
        ("img.test/a.jpg", "absolute http(s) URL"),
        ("https:///a.jpg", "must name a host"),
        ("https://user:secret@img.test/a.jpg", "must not embed credentials"),
        ("https://user@img.test/a.jpg", "must not embed credentials"),
        ("", "non-empty URL"),
        ("https://img.test:99999/a.jpg", "not a valid URL"),
        ("https://img.test/a b.jpg", "whitespace"),
        ("javascript:alert(1)", "absolute http(s) URL"),
    ],
)
def test_bad_image_urls_are_refused_naming_the_index(url: str, rule: str) -> None:
    request = VideoRequest("p", image_urls=[IMAGES[0], url], generation_type="FIRST&LAST")

    with pytest.raises(InvalidRequestError) as info:
        request.to_body()

    assert ["image_urls[1]"] == [p.field for p in info.value.problems]
    assert rule in info.value.problems[0].rule


def test_non_string_image_url_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match=r"image_urls\[0\]: must be a non-empty URL"):
        resolve_body_or_raise({"prompt": "p", "image_urls": [42]})


def resolve_body_or_raise(body: dict[str, Any]) -> dict[str, Any]:
    resolution = resolve_body(body)
    if resolution.problems:
        raise InvalidRequestError(resolution.problems)
    return resolution.body


@pytest.mark.parametrize("duration", [7, 0, 16, -8])
def test_duration_other_than_8_is_refused(duration: int) -> None:
    with pytest.raises(InvalidRequestError, match=f"duration: must be one of 8, got {duration}"):
        VideoRequest("p", duration=duration).to_body()


def test_boolean_duration_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="duration"):
        resolve_body_or_raise({"prompt": "p", "duration": True})


def test_unknown_model_is_refused_listing_the_allowed_ones() -> None:
    with pytest.raises(InvalidRequestError, match=r"model: must be one of 'veo3\.1-fast'"):
        VideoRequest("p", model="veo2").to_body()


@pytest.mark.parametrize(("field", "value"), [("aspect_ratio", "4:3"), ("generation_type", "X")])
def test_unknown_enum_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"{field}: must be one of"):
        VideoRequest("p", **{field: value}).to_body()


def test_every_problem_is_reported_at_once() -> None:
    request = VideoRequest(
        " ",
        image_urls=["ftp://a", *IMAGES[:3]],
        generation_type="REFERENCE",
        aspect_ratio="9:16",
        duration=7,
        model="m",
    )

    with pytest.raises(InvalidRequestError) as info:
        request.to_body()

    fields = [p.field for p in info.value.problems]
    assert ["prompt", "model", "duration", "image_urls", "image_urls[0]", "aspect_ratio"] == fields
    assert all(str(p) in str(info.value) for p in info.value.problems)
    assert isinstance(info.value, ValueError)


def test_extra_body_is_forwarded_verbatim() -> None:
    body = VideoRequest("p", extra_body={"seed": 7, "negative_prompt": "rain"}).to_body()

    assert {"seed": 7, "negative_prompt": "rain"} == {
        k: body[k] for k in ("seed", "negative_prompt")
    }


def test_extra_body_may_not_repeat_a_request_field() -> None:
    with pytest.raises(InvalidRequestError, match=r"extra_body\.prompt: duplicates"):
        VideoRequest("p", extra_body={"prompt": "q"}).to_body()


def test_single_string_image_counts_as_one_image() -> None:
    assert (IMAGES[0],) == VideoRequest("p", image_urls=IMAGES[0]).image_urls


def test_resolve_fills_in_the_inferred_mode_and_ratio() -> None:
    resolved = VideoRequest("p", image_urls=IMAGES[:3]).resolve()

    assert (GenerationType.REFERENCE, AspectRatio.LANDSCAPE_16_9) == (
        resolved.generation_type,
        resolved.aspect_ratio,
    )


def test_resolve_raises_for_invalid_requests() -> None:
    with pytest.raises(InvalidRequestError):
        VideoRequest("").resolve()


def test_allowed_values_are_the_specs_enums_in_its_order_and_the_generated_enums() -> None:
    from veo_api.models import AspectRatio as A
    from veo_api.models import GenerationType as G
    from veo_api.models import VideoDuration as D
    from veo_api.models import VideoModel as M

    spec = vendor_spec(ROOT / "openapi" / "vendor")
    content = spec["paths"]["/v1/videos/generations"]["post"]["requestBody"]["content"]
    properties = content["application/json"]["schema"]["properties"]
    enums = {name: tuple(schema["enum"]) for name, schema in properties.items() if "enum" in schema}

    assert enums == dict(allowed_values())
    assert {
        "model": {m.value for m in M},
        "aspect_ratio": {a.value for a in A},
        "duration": {d.value for d in D},
        "generation_type": {g.value for g in G},
    } == {
        name: set(allowed_values()[name])
        for name in ("model", "aspect_ratio", "duration", "generation_type")
    }


def test_known_fields_are_the_vendors_request_fields() -> None:
    """Derived from the vendor's document, so a field the vendor adds does not break it."""
    spec = vendor_spec(ROOT / "openapi" / "vendor")
    content = spec["paths"]["/v1/videos/generations"]["post"]["requestBody"]["content"]
    listed = set(content["application/json"]["schema"]["properties"])

    assert listed == set(known_fields())
    assert {
        "model",
        "prompt",
        "aspect_ratio",
        "duration",
        "image_urls",
        "generation_type",
    } <= listed


def test_request_is_frozen_and_compares_by_value() -> None:
    a = VideoRequest("p", image_urls=[IMAGES[0]])
    b = VideoRequest("p", image_urls=(IMAGES[0],))

    assert a == b
    with pytest.raises(AttributeError):
        a.prompt = "q"  # type: ignore[misc]


def test_a_name_that_is_neither_a_url_nor_a_file_says_both() -> None:
    with pytest.raises(InvalidRequestError) as info:
        VideoRequest("p", image_urls=["frame.png", "ftp://img.test/a.jpg"]).to_body()

    local, other = (str(problem) for problem in info.value.problems)
    assert local.startswith("image_urls[0]: must be an absolute http(s) URL, got 'frame.png', ")
    assert "or a local image file (there is no file 'frame.png')" in local
    assert "file" not in other  # a URL of another scheme is not a file


@pytest.mark.parametrize("kind", ["path", "path-string", "bytes"])
def test_a_local_image_without_an_uploader_says_how_to_get_one(tmp_path: Path, kind: str) -> None:
    frame = tmp_path / "frame.png"
    frame.write_bytes(b"\x89PNG\r\n\x1a\n")
    image = {"path": frame, "path-string": str(frame), "bytes": frame.read_bytes()}[kind]

    with pytest.raises(InvalidRequestError) as info:
        VideoRequest("p", image_urls=[image]).to_body()

    (problem,) = info.value.problems
    assert "image_urls[0]" == problem.field
    assert "is a local file" in problem.rule
    assert "uploader" in problem.rule
    assert "--upload s3://" in problem.rule
