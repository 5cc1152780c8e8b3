"""The effective spec: the vendor's documents kept verbatim, merged, overlaid, valid."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate

from generate import effective_spec
from vendor_docs import LOCK_NAME, extract, lock_problems

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "openapi"
VENDOR = OPENAPI / "vendor"
CREATE = ("/v1/videos/generations", "post")
GET = ("/v1/videos/tasks/{task_id}", "get")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((OPENAPI / "veo.yaml").read_text(encoding="utf-8"))
    return loaded


def test_vendor_documents_are_the_ones_make_gen_recorded() -> None:
    """A hand edit of a vendor document fails here (and in make gen-check), naming it."""
    assert [] == lock_problems(VENDOR, OPENAPI / LOCK_NAME)


def test_a_one_byte_edit_is_named_by_gen_check(tmp_path: Path) -> None:
    shutil.copytree(OPENAPI, tmp_path / "openapi")
    shutil.copytree(ROOT / "generated", tmp_path / "generated")
    edited = tmp_path / "openapi" / "vendor" / "veo-task-status.apifox.md"
    data = edited.read_bytes()
    edited.write_bytes(data.replace(b"description: ''", b"description: '.'", 1))

    result = subprocess.run(
        [sys.executable, str(OPENAPI / "generate.py"), "--check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
    )

    assert 1 == result.returncode
    assert "openapi/vendor/veo-task-status.apifox.md was edited since the last `make gen`" in (
        result.stderr
    )


def test_committed_effective_spec_is_the_vendor_documents_plus_overlay() -> None:
    fresh = effective_spec(VENDOR, OPENAPI / "overlay.yaml")

    assert fresh == (OPENAPI / "veo.yaml").read_text(encoding="utf-8")


def test_get_video_task_requires_the_vendors_eight_fields(spec: dict[str, Any]) -> None:
    ok = spec["paths"][GET[0]]["get"]["responses"]["200"]["content"]["application/json"]

    assert {
        "id",
        "state",
        "data",
        "progress",
        "create_time",
        "update_time",
        "message",
        "action",
    } <= set(ok["schema"]["required"])


def _facts(node: Any, where: str = "") -> set[str]:
    """Every property path and enum value a schema tree lists (through anyOf too)."""
    facts: set[str] = set()
    if isinstance(node, dict):
        facts |= {f"{where} = {value!r}" for value in node.get("enum", [])}
        for name, sub in (node.get("properties") or {}).items():
            facts.add(f"{where}.{name}")
            facts |= _facts(sub, f"{where}.{name}")
        for key in ("items", "anyOf", "oneOf", "allOf"):
            for sub in node.get(key, []) if key != "items" else [node.get(key)]:
                facts |= _facts(sub, f"{where}[]" if key == "items" else where)
    return facts


def _operation_facts(spec: dict[str, Any], path: str, method: str) -> set[str]:
    operation = spec["paths"][path][method]
    facts = {f"parameter {p['name']}" for p in operation.get("parameters", [])}
    for media, content in (operation.get("requestBody") or {}).get("content", {}).items():
        facts |= {f"request {media}{f}" for f in _facts(content.get("schema"))}
    for status, response in operation["responses"].items():
        for media, content in (response.get("content") or {}).items():
            facts |= {f"{status} {media}{f}" for f in _facts(content.get("schema"))}
    return facts


@pytest.mark.parametrize("document", sorted(p.name for p in VENDOR.iterdir()))
def test_everything_a_vendor_document_lists_is_in_the_effective_spec(
    spec: dict[str, Any], document: str
) -> None:
    published = extract(VENDOR / document)
    missing = []
    for path, item in published["paths"].items():
        for method in item:
            missing += sorted(
                _operation_facts(published, path, method) - _operation_facts(spec, path, method)
            )

    assert [] == missing


def test_effective_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


@pytest.mark.parametrize(
    ("where", "operation_id"), [(CREATE, "createVideoGeneration"), (GET, "getVideoTask")]
)
def test_operations_exist_with_their_operation_ids(
    spec: dict[str, Any], where: tuple[str, str], operation_id: str
) -> None:
    path, method = where

    assert operation_id == spec["paths"][path][method]["operationId"]


def test_create_response_links_its_id_to_get_video_task(spec: dict[str, Any]) -> None:
    links = spec["paths"][CREATE[0]]["post"]["responses"]["200"]["links"]

    assert {"operationId": "getVideoTask", "parameters": {"task_id": "$response.body#/id"}} == {
        k: v for k, v in links["GetVideoTask"].items() if k != "description"
    }


def test_request_body_is_required(spec: dict[str, Any]) -> None:
    assert spec["paths"][CREATE[0]]["post"]["requestBody"]["required"] is True


@pytest.mark.parametrize("status", ["400", "401", "402", "403", "429", "default"])
def test_create_documents_error_responses(spec: dict[str, Any], status: str) -> None:
    assert status in spec["paths"][CREATE[0]]["post"]["responses"]


@pytest.mark.parametrize("status", ["401", "404", "429", "default"])
def test_get_documents_error_responses(spec: dict[str, Any], status: str) -> None:
    assert status in spec["paths"][GET[0]]["get"]["responses"]


@pytest.mark.parametrize("field", ["state", "action"])
def test_task_state_and_action_list_the_vendors_values_and_accept_others(
    spec: dict[str, Any], field: str
) -> None:
    ok = spec["paths"][GET[0]]["get"]["responses"]["200"]["content"]["application/json"]
    schema = ok["schema"]["properties"][field]
    validator = jsonschema.Draft4Validator(schema)

    assert schema["anyOf"][0]["enum"]
    assert all(validator.is_valid(value) for value in schema["anyOf"][0]["enum"])
    assert validator.is_valid("a-word-added-later")
    assert not validator.is_valid(3)


def test_names_that_reach_generated_code_are_ascii(spec: dict[str, Any]) -> None:
    names: list[str] = []
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            names += [*operation.get("tags", []), operation["operationId"]]

    def titles(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):
                names.append(node["title"])
            for value in node.values():
                titles(value)
        elif isinstance(node, list):
            for value in node:
                titles(value)

    titles(spec["paths"])
    titles(spec["components"])

    assert [] == [name for name in names if not name.isascii()]


def test_observed_additions_are_marked_as_such(spec: dict[str, Any]) -> None:
    created = spec["paths"][CREATE[0]]["post"]["responses"]["200"]["content"]["application/json"]

    assert "observed, not in the vendor's spec" in created["schema"]["description"].lower()
    assert "observed" in spec["components"]["schemas"]["ErrorBody"]["description"].lower()


def test_veo_uses_the_specs_operations_and_writes_no_api_path(spec: dict[str, Any]) -> None:
    """Method and path come from the spec through make gen; veo/ never spells a path."""
    from veo._operations import OPERATIONS

    in_spec = {
        operation["operationId"]: (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    assert {op.id: (op.method, op.path) for op in OPERATIONS}.items() <= in_spec.items()
    written = [
        f"{source.relative_to(ROOT)}: {prefix}"
        for source in sorted((ROOT / "veo").rglob("*.py"))
        for prefix in {path.rsplit("{", 1)[0] for _, path in in_spec.values()}
        if prefix in source.read_text(encoding="utf-8")
    ]
    assert [] == written


def test_operations_match_their_request_lines_and_escape_parameters() -> None:
    from veo._operations import CREATE, GET_TASK, operation_of

    path = GET_TASK.url_path(task_id="a/b ..")

    assert (GET_TASK, {"task_id": "a/b .."}) == operation_of("GET", path)
    assert (CREATE, {}) == operation_of("post", CREATE.path)
    assert operation_of("GET", CREATE.path) is None
    assert operation_of("GET", path + "/more") is None
