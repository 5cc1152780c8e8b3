"""The generated client: readable ASCII names, vendor example round-trips, drift caught."""

from __future__ import annotations

import enum
import importlib
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import veo_api.models
from veo_api.models import (
    GenerationType,
    VideoGenerationRequest,
    VideoTask,
    VideoTaskAction,
    VideoTaskState,
)

from ..helpers import vendor_example

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "generated"


def test_vendor_example_round_trips_through_the_body_model() -> None:
    example = vendor_example()

    assert example == VideoGenerationRequest.from_dict(example).to_dict()


def test_unknown_fields_round_trip_through_the_body_model() -> None:
    body = {"model": "veo3.1-fast", "prompt": "p", "seed": 7}

    assert body == VideoGenerationRequest.from_dict(body).to_dict()


def test_a_task_in_the_vendors_shape_with_an_unknown_state_and_action_parses() -> None:
    body = {
        "id": "t1",
        "state": "defrosting",
        "data": {"videos": []},
        "progress": 3,
        "create_time": 1764000000,
        "update_time": 1764000009,
        "message": "",
        "action": "extend",
    }

    task = VideoTask.from_dict(body)

    assert ("t1", "defrosting", 3, "extend") == (task.id, task.state, task.progress, task.action)
    assert body == task.to_dict()


def test_a_known_state_parses_to_its_enum_member() -> None:
    body = {"id": "t1", "state": "succeeded", "data": {"videos": [{"url": "https://c.test/v"}]}}
    body |= {"progress": 100, "create_time": 1, "update_time": 2, "message": "", "action": "remix"}

    task = VideoTask.from_dict(body)

    assert (VideoTaskState.SUCCEEDED, VideoTaskAction.REMIX) == (task.state, task.action)


@pytest.mark.parametrize(
    "module", ["veo_api.api.videos.create_video_generation", "veo_api.api.videos.get_video_task"]
)
def test_operations_are_exposed_under_the_videos_tag(module: str) -> None:
    loaded = importlib.import_module(module)

    assert {"sync", "sync_detailed", "asyncio", "asyncio_detailed"} <= set(vars(loaded))


def test_no_generated_path_has_a_non_ascii_name() -> None:
    names = [p.relative_to(GENERATED).as_posix() for p in GENERATED.rglob("*")]

    assert [] == [name for name in names if not name.isascii()]


def test_generated_classes_have_ascii_names() -> None:
    classes = [name for name, obj in vars(veo_api.models).items() if inspect.isclass(obj)]

    assert classes
    assert [] == [name for name in classes if not name.isascii()]


def test_no_enum_member_is_named_value_n() -> None:
    members = [
        f"{cls.__name__}.{member}"
        for cls in vars(veo_api.models).values()
        if inspect.isclass(cls) and issubclass(cls, enum.Enum)
        for member in cls.__members__
    ]

    assert members
    assert [] == [m for m in members if m.split(".")[1].startswith("VALUE_")]


def test_generation_type_members_are_readable() -> None:
    assert {"TEXT", "FIRST_AND_LAST", "REFERENCE"} == set(GenerationType.__members__)


def test_generated_package_ships_its_spec_and_py_typed() -> None:
    package = GENERATED / "veo_api"

    assert (package / "py.typed").exists()
    assert (ROOT / "openapi" / "veo.yaml").read_bytes() == (package / "openapi.yaml").read_bytes()


def run_generate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "openapi" / "generate.py"), "--root", str(root), *args],
        capture_output=True,
        text=True,
    )


def test_gen_check_names_a_hand_edited_file_and_gen_restores_it(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "openapi", tmp_path / "openapi")
    shutil.copytree(GENERATED, tmp_path / "generated")
    edited = tmp_path / "generated" / "veo_api" / "models" / "video_task.py"
    edited.write_text(edited.read_text(encoding="utf-8").replace("state", "stat", 1), "utf-8")

    check = run_generate(tmp_path, "--check")
    regenerate = run_generate(tmp_path)
    recheck = run_generate(tmp_path, "--check")

    assert 1 == check.returncode
    assert "generated/veo_api/models/video_task.py" in check.stderr
    assert 0 == regenerate.returncode, regenerate.stderr
    assert (0, "generated code is up to date\n") == (recheck.returncode, recheck.stdout)


def test_gen_removes_files_that_are_no_longer_generated(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "openapi", tmp_path / "openapi")
    shutil.copytree(GENERATED, tmp_path / "generated")
    stale = tmp_path / "generated" / "veo_api" / "models" / "stale.py"
    stale.write_text("x = 1\n", encoding="utf-8")

    result = run_generate(tmp_path)

    assert 0 == result.returncode, result.stderr
    assert "generated/veo_api/models/stale.py" in result.stdout
    assert not stale.exists()
