"""The overlay applier: Overlay 1.0 semantics, loud failures, action order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from apply_overlay import OverlayError, apply_overlay, dump_yaml, load_yaml
from vendor_docs import vendor_spec

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "openapi" / "overlay.yaml"


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """The vendor's documents merged into one file, as make gen feeds the overlay."""
    merged = tmp_path / "upstream.yaml"
    merged.write_text(dump_yaml(vendor_spec(ROOT / "openapi" / "vendor")), encoding="utf-8")
    return merged


def overlay(*actions: dict[str, object]) -> dict[str, object]:
    return {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


def test_update_merges_objects_recursively_and_replaces_primitives() -> None:
    doc = {"info": {"title": "old", "contact": {"name": "a"}}}

    result = apply_overlay(
        doc, overlay({"target": "$.info", "update": {"title": "new", "contact": {"url": "u"}}})
    )

    assert {"info": {"title": "new", "contact": {"name": "a", "url": "u"}}} == result


def test_update_appends_to_arrays() -> None:
    doc = {"tags": [{"name": "a"}]}

    result = apply_overlay(doc, overlay({"target": "$.tags", "update": [{"name": "b"}]}))

    assert [{"name": "a"}, {"name": "b"}] == result["tags"]


def test_update_does_not_mutate_the_input_document() -> None:
    doc = {"info": {"title": "old"}}

    apply_overlay(doc, overlay({"target": "$.info", "update": {"title": "new"}}))

    assert {"info": {"title": "old"}} == doc


def test_update_at_root_adds_top_level_keys() -> None:
    result = apply_overlay({"a": 1}, overlay({"target": "$", "update": {"b": 2}}))

    assert {"a": 1, "b": 2} == result


def test_remove_true_deletes_every_match() -> None:
    doc = {"paths": {"/a": {"get": {"x": 1}}, "/b": {"get": {"x": 2}}}}

    result = apply_overlay(doc, overlay({"target": "$.paths.*.get.x", "remove": True}))

    assert {"paths": {"/a": {"get": {}}, "/b": {"get": {}}}} == result


def test_remove_deletes_several_array_elements_without_shifting() -> None:
    doc = {"items": [1, 2, 3, 4]}

    result = apply_overlay(doc, overlay({"target": "$.items[?@ > 1]", "remove": True}))

    assert {"items": [1]} == result


def test_remove_false_with_update_updates_instead_of_deleting() -> None:
    doc = {"info": {"title": "old"}}

    result = apply_overlay(
        doc, overlay({"target": "$.info", "remove": False, "update": {"title": "new"}})
    )

    assert {"info": {"title": "new"}} == result


@pytest.mark.parametrize("value", ["false", "true", 0, 1, None])
def test_remove_must_be_a_real_boolean(value: object) -> None:
    with pytest.raises(OverlayError, match="remove must be a boolean"):
        apply_overlay({"info": {}}, overlay({"target": "$.info", "remove": value}))


def test_unmatched_target_fails_naming_the_action() -> None:
    actions = (
        {"target": "$.info", "update": {"title": "x"}},
        {"target": "$.paths['/gone'].post", "description": "Fix the gone op", "update": {}},
    )

    with pytest.raises(OverlayError) as info:
        apply_overlay({"info": {}, "paths": {}}, overlay(*actions))

    assert "action #1 (Fix the gone op)" in str(info.value)
    assert "$.paths['/gone'].post" in str(info.value)
    assert "matched nothing" in str(info.value)


def test_actions_apply_in_order_so_later_ones_see_earlier_results() -> None:
    actions = (
        {"target": "$.tags", "remove": True},
        {"target": "$", "update": {"tags": ["new"]}},
    )

    result = apply_overlay({"tags": ["old"]}, overlay(*actions))

    assert {"tags": ["new"]} == result


def test_merging_an_object_into_a_string_is_an_error() -> None:
    with pytest.raises(OverlayError, match="cannot merge"):
        apply_overlay({"info": {"title": "t"}}, overlay({"target": "$.info.title", "update": {}}))


def test_invalid_jsonpath_is_reported_with_the_action() -> None:
    with pytest.raises(OverlayError, match=r"action #0 .*invalid JSONPath"):
        apply_overlay({}, overlay({"target": "$.[", "update": {}}))


def test_wrong_overlay_version_is_rejected() -> None:
    with pytest.raises(OverlayError, match="unsupported overlay version"):
        apply_overlay({}, {"overlay": "2.0.0", "actions": [{"target": "$", "update": {}}]})


def test_every_project_overlay_action_explains_itself() -> None:
    actions = load_yaml(OVERLAY)["actions"]

    undocumented = [a["target"] for a in actions if not str(a.get("description", "")).strip()]
    unsourced = [
        a["target"]
        for a in actions
        if not str(a.get("description", ""))
        .lower()
        .startswith(("vendor prose", "tooling", "observed"))
    ]

    assert [] == undocumented
    assert [] == unsourced, "each action says: vendor prose, tooling or observed"


def test_project_overlay_fails_loudly_when_the_vendor_renames_the_path(upstream: Path) -> None:
    renamed = upstream.read_text(encoding="utf-8").replace(
        "/v1/videos/generations:", "/v2/videos/generations:"
    )
    upstream.write_text(renamed, encoding="utf-8")

    result = subprocess.run(
        [sys.executable, str(ROOT / "openapi" / "apply_overlay.py"), str(upstream), str(OVERLAY)],
        capture_output=True,
        text=True,
    )

    assert 1 == result.returncode
    assert "action #3 (Tooling: a stable operationId" in result.stderr
    assert "$.paths['/v1/videos/generations'].post" in result.stderr
    assert "matched nothing" in result.stderr


def test_cli_writes_the_effective_spec(tmp_path: Path, upstream: Path) -> None:
    out = tmp_path / "veo.yaml"

    script = str(ROOT / "openapi" / "apply_overlay.py")

    subprocess.run(
        [sys.executable, script, str(upstream), str(OVERLAY), "-o", str(out)], check=True
    )

    assert (
        "createVideoGeneration"
        in yaml.safe_load(out.read_text(encoding="utf-8"))["paths"]["/v1/videos/generations"][
            "post"
        ]["operationId"]
    )
