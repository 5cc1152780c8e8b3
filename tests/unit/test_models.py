"""VideoTask: tolerant parsing of what the service reports."""

from __future__ import annotations

import datetime

import pytest

from veo import TaskState, VideoTask


@pytest.mark.parametrize(
    ("wire", "state"),
    [
        ("pending", TaskState.PENDING),
        ("queued", TaskState.PENDING),
        ("running", TaskState.RUNNING),
        ("processing", TaskState.RUNNING),
        ("succeeded", TaskState.SUCCEEDED),
        ("completed", TaskState.SUCCEEDED),
        ("success", TaskState.SUCCEEDED),
        ("SUCCESS", TaskState.SUCCEEDED),
        ("error", TaskState.FAILED),
        ("failed", TaskState.FAILED),
        ("cancelled", TaskState.FAILED),
        ("expired", TaskState.FAILED),
        ("defrosting", TaskState.UNKNOWN),
        ("", TaskState.UNKNOWN),
    ],
)
def test_states_map_tolerantly(wire: str, state: TaskState) -> None:
    task = VideoTask.from_json({"id": "t", "state": wire})

    assert (state, wire) == (task.state, task.raw_state)


def test_full_task_parses_with_extra_fields_kept_in_raw() -> None:
    data = {
        "id": "t1",
        "state": "succeeded",
        "progress": 100,
        "message": "done",
        "data": {"videos": [{"url": "https://cdn.test/a.mp4"}, {"url": "https://cdn.test/b.mp4"}]},
        "cost": 3,
    }

    task = VideoTask.from_json(data)

    assert ("t1", TaskState.SUCCEEDED, 100, "done") == (
        task.id,
        task.state,
        task.progress,
        task.message,
    )
    assert ("https://cdn.test/a.mp4", "https://cdn.test/b.mp4") == task.video_urls
    assert "https://cdn.test/a.mp4" == task.video_url
    assert 3 == task.raw["cost"]


@pytest.mark.parametrize(
    ("wire", "progress"),
    [
        (45, 45),
        (45.7, 45),
        ("45", 45),
        ("45%", 45),
        (150, 100),
        (-3, 0),
        ("half", None),
        (None, None),
        (True, None),
        (float("nan"), None),
    ],
)
def test_progress_is_parsed_leniently(wire: object, progress: int | None) -> None:
    assert (
        progress == VideoTask.from_json({"id": "t", "state": "running", "progress": wire}).progress
    )


@pytest.mark.parametrize(
    "data",
    [
        {"id": "t", "state": "succeeded", "data": None},
        {"id": "t", "state": "succeeded", "data": {"videos": "nope"}},
        {"id": "t", "state": "succeeded", "data": {"videos": [{"uri": "x"}, "y", {"url": ""}]}},
    ],
)
def test_malformed_video_lists_give_no_urls(data: dict[str, object]) -> None:
    assert () == VideoTask.from_json(data).video_urls


@pytest.mark.parametrize("data", [[], "x", None, {"state": "running"}, {"id": ""}, {"id": None}])
def test_bodies_without_an_id_are_value_errors(data: object) -> None:
    with pytest.raises(ValueError, match=r"JSON object|task id"):
        VideoTask.from_json(data)


def test_created_task_accepts_id() -> None:
    task = VideoTask.from_created({"id": "abc"})

    assert ("abc", TaskState.PENDING) == (task.id, task.state)


def test_created_task_accepts_task_id_when_id_is_missing() -> None:
    assert "abc" == VideoTask.from_created({"task_id": "abc"}).id


def test_created_task_prefers_id_over_task_id() -> None:
    assert "a" == VideoTask.from_created({"id": "a", "task_id": "b"}).id


def test_created_task_accepts_numeric_ids() -> None:
    assert "17" == VideoTask.from_created({"id": 17}).id


def test_a_created_task_is_pending_and_keeps_the_whole_answer() -> None:
    # The spec's create answer holds the id only: anything else is kept, not read.
    task = VideoTask.from_created({"id": "a", "state": "running", "cost": 3})

    assert (TaskState.PENDING, {"id": "a", "state": "running", "cost": 3}) == (
        task.state,
        dict(task.raw),
    )


@pytest.mark.parametrize(
    "data", [{"id": "t"}, {"id": "t", "status": "running"}, {"id": "t", "state": None}]
)
def test_a_task_answer_without_its_state_is_a_value_error_naming_the_field(
    data: dict[str, object],
) -> None:
    # Polling a task whose state cannot be read would go on until the deadline.
    with pytest.raises(ValueError, match=r"'state' \(getVideoTask response field state"):
        VideoTask.from_json(data)


def test_finished_states() -> None:
    assert {TaskState.SUCCEEDED, TaskState.FAILED} == {s for s in TaskState if s.finished}


def test_the_vendors_times_and_action_are_modelled() -> None:
    data = {"id": "t1", "state": "running", "create_time": 1764000000, "update_time": 1764000042}

    task = VideoTask.from_json({**data, "action": "generate"})

    assert datetime.datetime(2025, 11, 24, 16, 0, tzinfo=datetime.UTC) == task.created_at
    assert 42 == (task.updated_at - task.created_at).total_seconds()  # type: ignore[operator]
    assert datetime.UTC == task.created_at.tzinfo  # type: ignore[union-attr]
    assert "generate" == task.action


@pytest.mark.parametrize("wire", [None, "soon", True, float("nan"), 10**20, [1]])
def test_absent_or_unusable_times_are_none_and_the_task_still_parses(wire: object) -> None:
    task = VideoTask.from_json({"id": "t1", "state": "running", "create_time": wire})

    assert (None, None, None) == (task.created_at, task.updated_at, task.action)
