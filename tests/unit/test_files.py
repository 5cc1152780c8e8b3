"""Files the project reads but may not have written, and files it writes whole: each
refusal names the file and what is wrong, and nothing is waited on or read past its
limit (``veo._files``, and the recording and baseline readers built on it)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from veo._files import DocumentError, read_json_document, validate, write_whole
from veo._recording import FORMAT, VERSION, Recording, RecordingError
from veo.check._baseline import BASELINE_FORMAT, BASELINE_VERSION, load_baseline, write_baseline

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {"type": "array", "items": {"type": ["integer", "null"]}},
        "name": {"const": "x"},
    },
}


def read(path: Path, *, max_bytes: int = 1000, max_depth: int = 4) -> Any:
    return read_json_document(path, max_bytes=max_bytes, max_depth=max_depth)


def test_a_regular_file_within_the_limits_is_read(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'\xef\xbb\xbf{"items": [1, null], "text": "[[[[[[ not nesting"}')

    document = read(path)
    validate(path, document, SCHEMA)

    assert [1, None] == document["items"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\xff\xfe", "not UTF-8 text (byte 1)"),
        (b"[[[[[1]]]]]", "nested 5 levels deep; at most 4 are read"),
        (b"{'single': 1}", "not JSON"),
        (b"x" * 1001, "1001 bytes; files of at most 1000 bytes are read"),
    ],
    ids=["not-utf8", "too-deep", "not-json", "too-large"],
)
def test_a_file_past_a_limit_or_not_json_is_refused_naming_it(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(content)

    with pytest.raises(DocumentError) as info:
        read(path)

    assert str(info.value).startswith(f"{path}: {said}")


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ({"items": 5}, "items: must be array, got number"),
        ({"items": ["1"]}, "items[0]: must be integer or null, got string"),
        ({}, "the document: 'items' is required"),
        ({"items": [], "name": "y"}, "name: 'x' was expected"),
        ([], "the document: must be object, got array"),
    ],
)
def test_a_document_of_the_wrong_shape_names_the_field(document: Any, said: str) -> None:
    with pytest.raises(DocumentError) as info:
        validate(Path("doc.json"), document, SCHEMA)

    assert f"doc.json: {said}" == str(info.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="cannot read it"):
        read(tmp_path / "absent.json")


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_what_is_not_a_regular_file_is_refused_without_reading(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "doc.json"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: opening it for reading would wait forever
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()

    with pytest.raises(DocumentError, match="not a regular file"):
        read(path)


def test_a_whole_write_replaces_a_link_and_leaves_its_target(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("mine", encoding="utf-8")
    link = tmp_path / "out.json"
    link.symlink_to(target)

    write_whole(link, b"{}")

    assert "mine" == target.read_text(encoding="utf-8")
    assert not link.is_symlink()
    assert b"{}" == link.read_bytes()
    assert ["out.json", "precious.txt"] == sorted(p.name for p in tmp_path.iterdir())


def test_a_whole_write_that_fails_leaves_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.json"
    path.write_bytes(b"old")

    def refused(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(OSError, match="No space"):
        write_whole(path, b"new")

    assert [path] == list(tmp_path.iterdir())
    assert b"old" == path.read_bytes()


def test_a_recording_with_a_wrong_typed_field_names_file_and_field(tmp_path: Path) -> None:
    exchange = {"label": "p", "operation": "getVideoTask", "method": "GET", "path": "/"}
    document = {"format": FORMAT, "version": VERSION, "exchanges": [{**exchange, "status": "200"}]}
    (tmp_path / "recording.json").write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(RecordingError) as info:
        Recording.load(tmp_path)

    assert str(info.value).endswith(
        "recording.json: exchanges[0].status: must be integer or null, got string"
    )


def test_a_recording_saved_then_loaded_is_the_same(tmp_path: Path) -> None:
    from veo._recording import RecordedExchange

    exchange = RecordedExchange("poll", "getVideoTask", "GET", "/x", 200, body={"id": "t"})
    saved = Recording(source="veo check", base_url="https://x", exchanges=(exchange,))

    loaded = Recording.load(saved.save(tmp_path / "rec").parent)

    assert saved.exchanges == loaded.exchanges


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ({"shapes": {"getVideoTask 404": 5}}, "shapes.getVideoTask 404: must be object"),
        ({"shapes": []}, "shapes: must be object, got array"),
        ({"version": 9, "shapes": {}}, "version 9"),
        ({"format": "other", "shapes": {}}, "not a duomi-veo-baseline file"),
    ],
)
def test_a_baseline_of_the_wrong_shape_names_file_and_field(
    tmp_path: Path, content: dict[str, Any], said: str
) -> None:
    path = tmp_path / "baseline.json"
    document = {"format": BASELINE_FORMAT, "version": BASELINE_VERSION, **content}
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ValueError, match=r"^--baseline: ") as info:
        load_baseline(path)

    assert said in str(info.value)
    assert str(path) in str(info.value)


def test_a_baseline_written_is_read_back(tmp_path: Path) -> None:
    shapes = {"getVideoTask 200": {"field id": ["string"], "states": ["running"]}}
    write_baseline(tmp_path / "b.json", shapes)

    assert shapes == load_baseline(tmp_path / "b.json")
