"""When the vendor's documents change: additive changes flow through, breaking ones fail.

Each case edits a copy of a vendor document (re-exported in the vendor's format) or adds
one, runs the whole pipeline (merge, overlay, enum names, validation, generation, facade
import check) into a temporary project, and then checks the outcome in a separate
process whose ``veo_api`` is the fresh package.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apply_overlay import dump_yaml
from vendor_docs import extract

ROOT = Path(__file__).resolve().parents[2]
Spec = dict[str, Any]
CREATE = ("/v1/videos/generations", "post")


def request_schema(spec: Spec) -> Spec:
    schema: Spec = spec["paths"][CREATE[0]][CREATE[1]]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


CREATE_DOCUMENT = "000_9cc4eef52057ac1a.txt"
TASK_DOCUMENT = "veo-task-status.apifox.md"
GET = ("/v1/videos/tasks/{task_id}", "get")


def task_schema(spec: Spec) -> Spec:
    schema: Spec = spec["paths"][GET[0]][GET[1]]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    return schema


def export(document: Spec, title: str) -> str:
    """A page in the vendor's export format: Markdown holding the OpenAPI yaml block."""
    return f"# {title}\n\n## OpenAPI Specification\n\n```yaml\n{dump_yaml(document)}\n```"


def evolve(
    tmp_path: Path,
    edit: Callable[[Spec], None],
    *,
    project: bool = False,
    document: str = CREATE_DOCUMENT,
    overlay: Callable[[str], str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Copy openapi/ (all of the project, with ``project``), re-export a vendor document
    (the create one unless told) after ``edit``, edit the overlay's text with
    ``overlay``, and run make gen's pipeline on the copy."""
    parts = ["openapi", "generated"] + (["veo", "tests"] if project else [])
    for part in parts:
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    if project:
        shutil.copy(ROOT / "pyproject.toml", tmp_path)
    page = tmp_path / "openapi" / "vendor" / document
    exported = extract(page)
    edit(exported)
    page.write_text(export(exported, "vendor document"), encoding="utf-8")
    if overlay is not None:
        overlay_file = tmp_path / "openapi" / "overlay.yaml"
        overlay_file.write_text(overlay(overlay_file.read_text(encoding="utf-8")), "utf-8")
    return make_gen(tmp_path)


def make_gen(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "openapi" / "generate.py"), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=300,  # a step that hangs fails the test, it does not hold the suite
    )


def fresh_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a process whose veo_api is the fresh one (veo: this checkout's)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "generated"), str(ROOT)])}


def veo_command(tmp_path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``veo ARGS`` run with the fresh veo_api, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "veo", *args],
        capture_output=True,
        text=True,
        env={**fresh_env(tmp_path), "VEO_HOME": str(tmp_path / "home")},
        cwd=cwd,
        timeout=120,
    )


def check(tmp_path: Path, code: str) -> None:
    """Run ``code`` with the freshly generated veo_api (and this checkout's veo)."""
    env = fresh_env(tmp_path)
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
# vendor documents have been updated (say, with a real "veo3.1-pro").
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
            f'body = veo.VideoRequest("p", {NEW_FIELD}=7).to_body()\n'
            f'assert body["{NEW_FIELD}"] == 7\n'
            + MOCK_CREATE.format(
                args=f'prompt="p", {NEW_FIELD}=7',
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
        (rename_path, "action #3 (Tooling: a stable operationId"),
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
    assert_untouched(tmp_path)


def assert_untouched(tmp_path: Path) -> None:
    """A failed make gen leaves the committed spec and package as they were."""
    assert (ROOT / "openapi" / "veo.yaml").read_bytes() == (
        tmp_path / "openapi" / "veo.yaml"
    ).read_bytes()
    assert (ROOT / "generated" / "veo_api" / "openapi.yaml").read_bytes() == (
        tmp_path / "generated" / "veo_api" / "openapi.yaml"
    ).read_bytes()


def add_resolution(spec: Spec) -> None:
    request_schema(spec)["properties"]["resolution"] = {
        "type": "string",
        "enum": ["720p", "1080p"],
        "x-apifox-enum": [{"value": "720p", "name": ""}, {"value": "1080p", "name": ""}],
    }


def test_a_new_optional_enum_field_gets_readable_names_and_the_suite_stays_green(
    tmp_path: Path,
) -> None:
    result = evolve(tmp_path, add_resolution, project=True)

    assert 0 == result.returncode, result.stderr
    assert "+ createVideoGeneration request field resolution" in result.stdout
    check(
        tmp_path,
        "from veo_api.models import VideoGenerationRequestResolution as R\n"
        "assert {m.name: m.value for m in R} == {'RESOLUTION_720P': '720p', "
        "'RESOLUTION_1080P': '1080p'}\n"
        + MOCK_CREATE.format(
            args='prompt="p", resolution="1080p"',
            path='["resolution"]',
            expected="1080p",
        ),
    )
    suite = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "tests/unit",
            "tests/pipeline/test_spec.py",
            "tests/pipeline/test_generated.py",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tmp_path / "generated"), str(tmp_path)]),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert 0 == suite.returncode, suite.stdout[-3000:]
    assert (
        str(tmp_path)
        in subprocess.run(
            [sys.executable, "-c", "import veo_api; print(veo_api.__file__)"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(tmp_path / "generated")},
            capture_output=True,
            text=True,
        ).stdout
    )


REMIX = """\
openapi: 3.0.1
info:
  title: ''
  description: ''
  version: 1.0.0
paths:
  /v1/videos/remix:
    post:
      summary: 视频混剪
      deprecated: false
      description: ''
      tags:
        - API文档/VEO
      parameters: []
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                task_id:
                  type: string
                style:
                  type: string
                  enum:
                    - anime
                    - 3d
              required:
                - task_id
      responses:
        '200':
          description: ''
          content:
            application/json:
              schema:
                type: object
                properties:
                  id:
                    type: string
          headers: {}
      security: []
components:
  schemas: {}
  securitySchemes: {}
servers:
  - url: https://duomiapi.com
    description: 开发环境
security: []
"""


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_new_vendor_document_becomes_a_new_operation_with_no_other_edit(
    tmp_path: Path,
) -> None:
    result = evolve(tmp_path, lambda spec: None)
    assert 0 == result.returncode, result.stderr
    before = _tree(tmp_path)
    page = f"# 视频混剪\n\n## OpenAPI Specification\n\n```yaml\n{REMIX}\n```"
    (tmp_path / "openapi" / "vendor" / "veo-remix.apifox.md").write_text(page, encoding="utf-8")

    result = make_gen(tmp_path)

    assert 0 == result.returncode, result.stderr
    assert "+ operation POST /v1/videos/remix: POST /v1/videos/remix" in result.stdout
    after = _tree(tmp_path)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert "openapi/vendor/veo-remix.apifox.md" in changed
    assert {"openapi/veo.yaml", "openapi/vendor.sha256"} <= changed
    assert all(
        name.startswith("generated/")
        or name.startswith("openapi/vendor")
        or name == "openapi/veo.yaml"
        for name in changed
    ), changed
    assert "generated/veo_api/api/videos/post_v1_videos_remix.py" in changed
    check(
        tmp_path,
        "from veo_api.api.videos import post_v1_videos_remix\n"
        "from veo_api.models import PostV1VideosRemixBodyStyle as S\n"
        "assert {m.name: m.value for m in S} == {'ANIME': 'anime', 'STYLE_3D': '3d'}\n",
    )


def test_a_document_redefining_an_operation_fails_naming_both(tmp_path: Path) -> None:
    result = evolve(tmp_path, lambda spec: None)
    assert 0 == result.returncode, result.stderr
    create = extract(tmp_path / "openapi" / "vendor" / CREATE_DOCUMENT)
    create["paths"][CREATE[0]][CREATE[1]]["summary"] = "另一个定义"
    page = tmp_path / "openapi" / "vendor" / "zz-copy.apifox.md"
    page.write_text(export(create, "创建视频生成任务"), encoding="utf-8")

    result = make_gen(tmp_path)

    assert 1 == result.returncode
    assert (
        "paths /v1/videos/generations post: defined differently in "
        f"{CREATE_DOCUMENT} and zz-copy.apifox.md"
    ) in result.stderr
    assert_untouched(tmp_path)


def rename(path: str, new: str) -> Callable[[Spec], None]:
    """An edit renaming the task answer's field at ``path`` (dotted) to ``new``."""

    def edit(spec: Spec) -> None:
        *parents, name = path.split(".")
        schema = task_schema(spec)
        for parent in parents:
            schema = schema["properties"][parent]
        schema["properties"][new] = schema["properties"].pop(name)
        schema["required"] = [new if r == name else r for r in schema.get("required", [])]

    return edit


@pytest.mark.parametrize(
    ("path", "new"),
    [("data.videos", "outputs"), ("state", "status"), ("id", "task_id")],
    ids=["data.videos", "state", "id"],
)
def test_a_renamed_task_field_veo_reads_fails_make_gen_naming_it_and_its_document(
    tmp_path: Path, path: str, new: str
) -> None:
    result = evolve(tmp_path, rename(path, new), document=TASK_DOCUMENT)

    assert 1 == result.returncode
    assert f"getVideoTask response field {path} " in result.stderr
    assert f"vendor document {TASK_DOCUMENT} no longer defines it" in result.stderr
    assert_untouched(tmp_path)


def test_a_retyped_task_field_veo_reads_fails_make_gen_naming_the_types(tmp_path: Path) -> None:
    def retype(spec: Spec) -> None:
        task_schema(spec)["properties"]["progress"] = {"type": "string"}

    result = evolve(tmp_path, retype, document=TASK_DOCUMENT)

    assert 1 == result.returncode
    assert "getVideoTask response field progress (integer)" in result.stderr
    assert "the spec gives it string" in result.stderr


def test_a_new_required_task_field_flows_through_the_mock_without_edits(tmp_path: Path) -> None:
    def add_required(spec: Spec) -> None:
        schema = task_schema(spec)
        schema["properties"][NEW_FIELD] = {"type": "integer", "example": 7}
        schema["required"].append(NEW_FIELD)

    result = evolve(tmp_path, add_required, document=TASK_DOCUMENT)

    assert 0 == result.returncode, result.stderr
    assert f"+ getVideoTask response field {NEW_FIELD}" in result.stdout
    check(
        tmp_path,
        """
from veo.testing import MockServer
with MockServer() as server, server.client() as client:
    task = client.wait(client.create("p"))
    assert task.raw["evolution_test_field"] == 7, task.raw
""",
    )


def test_a_mock_answer_field_the_spec_lost_stops_the_mock_naming_it() -> None:
    from veo._spec import load_spec
    from veo.mock import MockSpecError, create_app

    spec = load_spec()
    schema = task_schema(spec)
    schema["properties"]["data"]["properties"]["outputs"] = schema["properties"]["data"][
        "properties"
    ].pop("videos")
    schema["properties"]["data"]["required"] = ["outputs"]

    with pytest.raises(MockSpecError, match=r"getVideoTask answer \(pending\) sends data\.videos"):
        create_app(spec=spec)


def test_generate_on_a_mock_whose_answers_left_the_spec_ends_at_once_naming_the_field(
    tmp_path: Path,
) -> None:
    # The spec renamed data.videos but nobody regenerated the mock's answers: every
    # poll would be a response-validation 500, retried until the wait's deadline.
    package = tmp_path / "gen" / "veo_api"
    shutil.copytree(ROOT / "generated" / "veo_api", package)
    spec_file = package / "openapi.yaml"
    spec_file.write_text(
        spec_file.read_text(encoding="utf-8").replace("  videos:\n", "  outputs:\n", 1),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "gen")}

    result = subprocess.run(
        [sys.executable, "-m", "veo", "generate", "--mock", "a cat", "--out", "car.mp4"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )

    assert 2 == result.returncode, result.stderr
    assert "getVideoTask answer (pending) sends data.videos" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "car.mp4").exists()


RESOLUTION_EVERYWHERE = """
import asyncio
from veo.testing import MockServer

assert veo.VideoRequest("p", resolution="1080p").to_body()["resolution"] == "1080p"
try:
    veo.VideoRequest("p", resolution="4k").to_body()
except veo.InvalidRequestError as exc:
    assert "resolution: must be one of '720p', '1080p', got '4k'" in str(exc), str(exc)
else:
    raise AssertionError("an out-of-enum resolution was accepted")

with MockServer() as server:
    fast = veo.PollSchedule(0.01)
    with veo.Veo(server.api_key, base_url=server.url, poll_schedule=fast) as client:
        created = client.create("p", resolution="1080p")
        generated = client.generate("p", resolution="720p", dest="sync.mp4")

    async def main():
        async with veo.AsyncVeo(server.api_key, base_url=server.url, poll_schedule=fast) as client:
            created = await client.create("p", resolution="720p")
            generated = await client.generate("p", resolution="1080p", dest="async.mp4")
            return created, generated

    async_created, async_generated = asyncio.run(main())
    sent = {
        task.id: server.state.tasks[task.id].body["resolution"]
        for task in (created, generated.task, async_created, async_generated.task)
    }
assert list(sent.values()) == ["1080p", "720p", "720p", "1080p"], sent
"""

USER_CODE = """\
import veo


def make(client: veo.Veo) -> veo.VideoTask:
    return client.create("p", resolution="1080p")


async def make_async(client: veo.AsyncVeo) -> veo.GenerationResult:
    return await client.generate("p", resolution="720p", dest="v.mp4")


request = veo.VideoRequest("p", resolution="1080p")
"""


def mypy_strict(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """``mypy --strict`` on a user's module, with the fresh veo_api and this veo."""
    user = tmp_path / "user"
    user.mkdir(exist_ok=True)
    (user / "app.py").write_text(code, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            os.devnull,
            "app.py",
        ],
        capture_output=True,
        text=True,
        cwd=user,
        env={**os.environ, "MYPYPATH": os.pathsep.join([str(tmp_path / "generated"), str(ROOT)])},
        timeout=300,
    )


def test_a_new_optional_enum_field_reaches_every_surface_with_make_gen_alone(
    tmp_path: Path,
) -> None:
    result = evolve(tmp_path, add_resolution)
    assert 0 == result.returncode, result.stderr
    work = tmp_path / "work"
    work.mkdir()

    # The library: the body, the enum check, both clients against the mock.
    check(tmp_path, f"import os\nos.chdir({str(work)!r})\n" + RESOLUTION_EVERYWHERE)
    # Static types: the keyword is seen, a misspelling is an error.
    typed = mypy_strict(tmp_path, USER_CODE)
    assert 0 == typed.returncode, typed.stdout
    misspelled = mypy_strict(tmp_path, USER_CODE.replace('"p", resolution=', '"p", resolutoin='))
    assert 1 == misspelled.returncode
    assert 'Unexpected keyword argument "resolutoin"' in misspelled.stdout
    # The command line: an option with the spec's choices.
    made = veo_command(
        tmp_path, "generate", "--mock", "--resolution", "1080p", "--out", "cli.mp4", "p", cwd=work
    )
    assert 0 == made.returncode, made.stderr
    assert (work / "cli.mp4").stat().st_size > 0
    refused = veo_command(tmp_path, "generate", "--mock", "--resolution", "4k", "p", cwd=work)
    assert 2 == refused.returncode
    assert "resolution: must be one of '720p', '1080p', got '4k'" in refused.stderr
    shown = veo_command(tmp_path, "generate", "--help", cwd=work).stdout
    assert "--resolution [720p|1080p]" in shown
    # A batch line.
    lines = work / "jobs.jsonl"
    lines.write_text('{"prompt": "p", "resolution": "720p", "name": "one"}\n', encoding="utf-8")
    batch = veo_command(tmp_path, "batch", "jobs.jsonl", "--out", "videos", "--mock", cwd=work)
    assert 0 == batch.returncode, batch.stderr
    assert (work / "videos" / "one.mp4").exists()
    # The docs' field table.
    table = (tmp_path / "docs" / "request-fields.md").read_text(encoding="utf-8")
    assert "| `resolution` | string | no | `720p`, `1080p` |" in table


def test_a_new_model_can_be_chosen_on_the_command_line(tmp_path: Path) -> None:
    result = evolve(tmp_path, add_model)
    assert 0 == result.returncode, result.stderr

    made = veo_command(
        tmp_path, "generate", "--mock", "--model", NEW_MODEL, "--json", "p", cwd=tmp_path
    )
    refused = veo_command(tmp_path, "generate", "--mock", "--model", "veo-9", "p", cwd=tmp_path)

    assert 0 == made.returncode, made.stderr
    assert 2 == refused.returncode
    assert f"model: must be one of 'veo3.1-fast', '{NEW_MODEL}', got 'veo-9'" in refused.stderr


OLD_TASK_PATH, NEW_TASK_PATH = GET[0], "/v2/videos/tasks/{task_id}"


def move_task_path(spec: Spec) -> None:
    spec["paths"][NEW_TASK_PATH] = spec["paths"].pop(OLD_TASK_PATH)


def test_a_moved_path_with_the_overlay_retargeted_reaches_client_mock_and_recordings(
    tmp_path: Path,
) -> None:
    result = evolve(
        tmp_path,
        move_task_path,
        document=TASK_DOCUMENT,
        overlay=lambda text: text.replace(OLD_TASK_PATH, NEW_TASK_PATH),
    )
    assert 0 == result.returncode, result.stderr
    assert f"+ operation getVideoTask: GET {NEW_TASK_PATH}" in result.stdout

    made = veo_command(
        tmp_path, "generate", "--mock", "--record", "rec", "--out", "v.mp4", "p", cwd=tmp_path
    )

    assert 0 == made.returncode, made.stderr
    recording = json.loads((tmp_path / "rec" / "recording.json").read_text(encoding="utf-8"))
    polls = [e for e in recording["exchanges"] if e["operation"] == "getVideoTask"]
    assert polls
    assert {NEW_TASK_PATH} == {e["path"] for e in polls}
    check(
        tmp_path,
        f"""
from veo.testing import MockServer
with MockServer(replay={str(tmp_path / "rec")!r}) as server, server.client() as client:
    task = client.wait(client.create("p"))
    assert task.state is veo.TaskState.SUCCEEDED, task
    paths = [entry.path for entry in server.state.log]
    assert any(path.startswith("/v2/videos/tasks/") for path in paths), paths
    assert not any(path.startswith("/v1/videos/tasks/") for path in paths), paths
""",
    )


def test_a_moved_path_without_the_overlay_edit_fails_make_gen_in_one_message(
    tmp_path: Path,
) -> None:
    result = evolve(tmp_path, move_task_path, document=TASK_DOCUMENT)

    assert 1 == result.returncode
    message = result.stderr.strip().splitlines()
    assert 1 == len(message), result.stderr
    assert (
        f"operation getVideoTask (GET {OLD_TASK_PATH}) is gone from the vendor's documents; "
        f"the vendor's documents now have GET {NEW_TASK_PATH} ({TASK_DOCUMENT})"
    ) in message[0]
    assert f"target $.paths['{OLD_TASK_PATH}'].get;" in message[0]
    assert "response field" not in result.stderr
    assert_untouched(tmp_path)
