"""Reading the vendor's exports and merging them: one document out, conflicts named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apply_overlay import dump_yaml
from vendor_docs import VendorError, extract, lock_problems, merge, write_lock


def export(document: dict[str, Any], title: str = "接口") -> str:
    """A page in the vendor's export format: Markdown holding a yaml block, no final newline."""
    return f"# {title}\n\n## OpenAPI Specification\n\n```yaml\n{dump_yaml(document)}\n```"


def operation(summary: str) -> dict[str, Any]:
    return {"summary": summary, "responses": {"200": {"description": ""}}}


def document(paths: dict[str, Any], **schemas: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.1",
        "info": {"title": "", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {}},
    }


def test_extract_reads_the_yaml_block_of_an_export(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    doc = document({"/a": {"get": operation("查询")}})
    page.write_text(export(doc), encoding="utf-8")

    assert doc == extract(page)


def test_extract_reads_a_bare_openapi_file(tmp_path: Path) -> None:
    page = tmp_path / "a.yaml"
    doc = document({"/a": {"get": operation("a")}})
    page.write_text(dump_yaml(doc), encoding="utf-8")

    assert doc == extract(page)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"# a page\n\nno block here\n", "a.md: no OpenAPI document"),
        (b"```yaml\nkey: [unclosed\n```", "a.md: its OpenAPI block is not YAML"),
        (b"\xff\xfe", "a.md: not UTF-8 text (byte 1)"),
    ],
)
def test_extract_names_the_file_it_cannot_use(tmp_path: Path, content: bytes, message: str) -> None:
    page = tmp_path / "a.md"
    page.write_bytes(content)

    with pytest.raises(VendorError) as info:
        extract(page)

    assert str(info.value).startswith(message)


def test_merge_unions_operations_and_components() -> None:
    create = document({"/v": {"post": operation("create")}}, A={"type": "string"})
    status = document({"/v": {"get": operation("get")}, "/t": {"get": operation("t")}})

    merged = merge([("create.md", create), ("status.md", status)])

    assert {"post", "get"} == set(merged["paths"]["/v"])
    assert ["/v", "/t"] == list(merged["paths"])
    assert {"A": {"type": "string"}} == merged["components"]["schemas"]


def test_merge_accepts_the_same_part_defined_identically() -> None:
    same = document({"/v": {"post": operation("create")}})

    assert merge([("a.md", same), ("b.md", same)])["paths"] == same["paths"]


@pytest.mark.parametrize(
    ("second", "where"),
    [
        (document({"/v": {"post": operation("other")}}), "paths /v post"),
        (document({}, A={"type": "integer"}), "components schemas A"),
        ({**document({}), "servers": [{"url": "https://other.test"}]}, "servers"),
    ],
)
def test_merge_conflicts_name_both_documents(second: dict[str, Any], where: str) -> None:
    first = {
        **document({"/v": {"post": operation("create")}}, A={"type": "string"}),
        "servers": [{"url": "https://duomiapi.com"}],
    }

    with pytest.raises(VendorError) as info:
        merge([("create.md", first), ("later.md", second)])

    assert f"{where}: defined differently in create.md and later.md" in str(info.value)


def test_lock_names_edited_added_and_removed_documents(tmp_path: Path) -> None:
    vendor, lock = tmp_path / "vendor", tmp_path / "vendor.sha256"
    vendor.mkdir()
    for name in ("a.md", "b.md"):
        (vendor / name).write_text(name, encoding="utf-8")
    write_lock(vendor, lock)
    assert [] == lock_problems(vendor, lock)

    (vendor / "a.md").write_text("a.md!", encoding="utf-8")
    (vendor / "b.md").unlink()
    (vendor / "c.md").write_text("c", encoding="utf-8")

    assert [
        "tmp/vendor/a.md was edited since the last `make gen` (its SHA-256 is not the one in "
        f"{tmp_path.name}/vendor.sha256)",
        "tmp/vendor/c.md was added since the last `make gen`",
        "tmp/vendor/b.md was removed since the last `make gen`",
    ] == [
        line.replace(f"{tmp_path.name}/vendor/", "tmp/vendor/")
        for line in lock_problems(vendor, lock)
    ]
