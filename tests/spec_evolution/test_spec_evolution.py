"""When the vendor's spec changes: additive changes flow through, breaking ones fail loudly.

Each case edits a copy of the vendor's spec, runs the whole pipeline (overlay, enum
names, validation, generation, facade import check) into a temporary project, and then
checks the outcome in a separate process whose ``veo_api`` is the fresh package.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from apply_overlay import dump_yaml

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]
CREATE = ("/v1/videos/generations", "post")


def request_schema(spec: Spec) -> Spec:
    schema: Spec = spec["paths"][CREATE[0]][CREATE[1]]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


def evolve(tmp_path: Path, edit: Callable[[Spec], None]) -> subprocess.CompletedProcess[str]:
    """Copy the project's openapi/ with an edited upstream; run make gen's pipeline on it."""
    shutil.copytree(
        ROOT / "openapi", tmp_path / "openapi", ignore=shutil.ignore_patterns("veo.yaml")
    )
    upstream = yaml.safe_load((ROOT / "openapi" / "upstream.yaml").read_text(encoding="utf-8"))
    edit(upstream)
    (tmp_path / "openapi" / "upstream.yaml").write_text(dump_yaml(upstream), encoding="utf-8")
    (tmp_path / "openapi" / "veo.yaml").write_bytes((ROOT / "openapi" / "veo.yaml").read_bytes())
    return subprocess.run(
        [sys.executable, str(ROOT / "openapi" / "generate.py"), "--root", str(tmp_path)],
        capture_output=True,
        text=True,
    )


def check(tmp_path: Path, code: str) -> None:
    """Run ``code`` with the freshly generated veo_api (and this checkout's veo)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "generated"), str(ROOT)])}
    prologue = (
        "import veo_api, veo\n"
        f"assert veo_api.__file__.startswith({str(tmp_path)!r}), veo_api.__file__\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert 0 == result.returncode, result.stderr


MOCK_CREATE = """
from veo.testing import MockServer
with MockServer() as server, veo.Veo(server.api_key, base_url=server.url) as client:
    task = client.create({args})
    assert server.state.tasks[task.id].body{path} == {expected!r}, server.state.tasks[task.id].body
"""


# Values no real vendor spec will hold, so the cases also work after the committed
# upstream.yaml has been updated (say, with a real "veo3.1-pro").
NEW_MODEL, NEW_RATIO, NEW_FIELD = "veo-evolution-test", "7:3", "evolution_test_field"


def add_model(spec: Spec) -> None:
    request_schema(spec)["properties"]["model"]["enum"].append(NEW_MODEL)


def add_ratio(spec: Spec) -> None:
    request_schema(spec)["properties"]["aspect_ratio"]["enum"].append(NEW_RATIO)


def add_request_field(spec: Spec) -> None:
    request_schema(spec)["properties"][NEW_FIELD] = {"type": "integer", "description": "随机种子"}


def add_response_field(spec: Spec) -> None:
    responses = spec["paths"][CREATE[0]][CREATE[1]]["responses"]
    responses["200"]["content"]["application/json"]["schema"]["properties"][NEW_FIELD] = {
        "type": "integer"
    }


def change_prose(spec: Spec) -> None:
    operation = spec["paths"][CREATE[0]][CREATE[1]]
    operation["summary"] = "创建视频生成任务 v2"
    operation["description"] = "新的说明文字"
    properties = request_schema(spec)["properties"]
    properties["generation_type"]["description"] = "视频生成模式 已更新的说明"
    properties["generation_type"]["title"] = "生成模式"


def reorder(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: reorder(node[key]) for key in reversed(list(node))}
    if isinstance(node, list) and all(isinstance(v, str) for v in node):
        return list(reversed(node))
    if isinstance(node, list):
        return [reorder(v) for v in node]
    return node


def reorder_keys(spec: Spec) -> None:
    reordered = reorder(copy.deepcopy(spec))
    spec.clear()
    spec.update(reordered)


@pytest.mark.parametrize(
    ("edit", "summary_line", "code"),
    [
        (
            add_model,
            f"+ model: {NEW_MODEL}",
            f'body = veo.VideoRequest("p", model="{NEW_MODEL}").to_body()\n'
            f'assert body["model"] == "{NEW_MODEL}"\n'
            f"assert veo_api.models.VideoModel.VEO_EVOLUTION_TEST.value == '{NEW_MODEL}'\n"
            + MOCK_CREATE.format(
                args=f'prompt="p", model="{NEW_MODEL}"', path='["model"]', expected=NEW_MODEL
            ),
        ),
        (
            add_ratio,
            f"+ aspect_ratio: {NEW_RATIO}",
            f"assert veo.AspectRatio.RATIO_7_3.value == '{NEW_RATIO}'\n"
            "assert veo.AspectRatio.LANDSCAPE_16_9.value == '16:9'\n"
            + MOCK_CREATE.format(
                args=f'prompt="p", aspect_ratio="{NEW_RATIO}"',
                path='["aspect_ratio"]',
                expected=NEW_RATIO,
            ),
        ),
        (
            add_request_field,
            f"+ createVideoGeneration request field {NEW_FIELD}",
            "from veo._rules import known_fields\n"
            f"assert '{NEW_FIELD}' in known_fields()\n"
            f'body = veo.VideoRequest("p", extra_body={{"{NEW_FIELD}": 7}}).to_body()\n'
            f'assert body["{NEW_FIELD}"] == 7\n'
            + MOCK_CREATE.format(
                args=f'prompt="p", extra_body={{"{NEW_FIELD}": 7}}',
                path=f'["{NEW_FIELD}"]',
                expected=7,
            ),
        ),
        (
            add_response_field,
            f"+ createVideoGeneration response field {NEW_FIELD}",
            "import attrs\n"
            f"assert '{NEW_FIELD}' in [f.name for f in attrs.fields(veo_api.models.CreatedTask)]\n"
            + MOCK_CREATE.format(args='prompt="p"', path='["prompt"]', expected="p"),
        ),
        (
            change_prose,
            "spec: no operation, field or enum value added or removed",
            "assert veo.GenerationType.FIRST_AND_LAST.value == 'FIRST&LAST'\n"
            + MOCK_CREATE.format(args='prompt="p"', path='["generation_type"]', expected="TEXT"),
        ),
        (
            reorder_keys,
            "spec: no operation, field or enum value added or removed",
            "assert veo.AspectRatio.LANDSCAPE_16_9.value == '16:9'\n"
            "assert veo.AspectRatio.PORTRAIT_9_16.value == '9:16'\n"
            + MOCK_CREATE.format(
                args='prompt="p", image_urls=["https://img.test/a.jpg"] * 3',
                path='["aspect_ratio"]',
                expected="16:9",
            ),
        ),
    ],
    ids=[
        "new-model",
        "new-aspect-ratio",
        "new-request-field",
        "new-response-field",
        "prose",
        "reordered",
    ],
)
def test_additive_changes_flow_through_without_edits(
    tmp_path: Path, edit: Callable[[Spec], None], summary_line: str, code: str
) -> None:
    result = evolve(tmp_path, edit)

    assert 0 == result.returncode, result.stderr
    assert summary_line in result.stdout
    assert [] == [p for p in (tmp_path / "generated").rglob("*") if not p.name.isascii()]
    check(tmp_path, code)


def remove_image_urls(spec: Spec) -> None:
    del request_schema(spec)["properties"]["image_urls"]


def rename_path(spec: Spec) -> None:
    spec["paths"]["/v2/videos/generations"] = spec["paths"].pop(CREATE[0])


def replace_default_model(spec: Spec) -> None:
    request_schema(spec)["properties"]["model"]["enum"] = ["veo3.1-pro"]


def drop_landscape(spec: Spec) -> None:
    request_schema(spec)["properties"]["aspect_ratio"]["enum"] = ["9:16"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (remove_image_urls, "properties.image_urls: target matched nothing"),
        (rename_path, "action #1 (Tooling: the vendor's tag"),
        (
            replace_default_model,
            "no longer allows VideoModel 'veo3.1-fast', which veo uses as the default model",
        ),
        (
            drop_landscape,
            "no longer allows AspectRatio '16:9', which veo uses as REFERENCE's only aspect ratio",
        ),
    ],
    ids=["removed-image-urls", "renamed-path", "removed-default-model", "removed-reference-ratio"],
)
def test_breaking_changes_fail_make_gen_naming_the_change(
    tmp_path: Path, edit: Callable[[Spec], None], message: str
) -> None:
    result = evolve(tmp_path, edit)

    assert 1 == result.returncode
    assert message in result.stderr
    assert not (tmp_path / "generated").exists()
