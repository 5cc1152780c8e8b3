"""The live service teaches the mock: a recording made by ``veo check``, replayed.

Recordings are made here against the mock itself (the real service is never called
from tests), on a virtual clock, so the recorded timings are exact; the ``drift-*``
faults stand in for a service that changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import veo
from veo._recording import FORMAT, Recording, RecordingError
from veo.check import run_check
from veo.check._baseline import compare, shapes
from veo.mock import MockServer, parse_rule
from veo.mock._replay import ReplayDriftError
from veo.mock._server import VirtualClock

EVERY_2_S = veo.PollSchedule(initial=2, factor=1, max_delay=2, late_max_delay=2)
KEY = "sk-recorded-0123456789abcdef"


def record(server: MockServer, into: Path, *, fault: str | None = None) -> Recording:
    """``veo check --spend 1 --save into`` against ``server``, on a virtual clock."""
    server.reset()
    if fault:
        server.faults.add(parse_rule(fault))
    server.state.api_keys = frozenset({KEY})
    clock = VirtualClock()
    server.state.clock = clock.latest
    report = run_check(
        api_key=KEY,
        base_url=server.url,
        spend=1,
        poll_schedule=EVERY_2_S,
        sleep=clock.sleep,
        clock=clock,
        timeout=30,
    )
    report.save(into)
    server.reset()
    return Recording.load(into)


def normalized(body: Any, task_id: str) -> Any:
    """A task answer with its id and video link made comparable across servers."""
    text = json.dumps(body, default=dict).replace(task_id, "TASK")  # raw is read-only
    body = json.loads(text)
    for video in (body.get("data") or {}).get("videos") or []:
        video["url"] = "VIDEO"
    return body


TEST_THREAD = threading.current_thread()
REAL_SLEEP = time.sleep


def no_real_sleep(seconds: float) -> None:
    """The test's own thread never waits on the wall clock (the server's threads may)."""
    assert threading.current_thread() is not TEST_THREAD or seconds <= 0, seconds
    REAL_SLEEP(seconds)


@pytest.fixture(scope="module")
def recorder() -> Any:
    with MockServer() as server:
        yield server


def test_a_spend_run_is_recorded_in_the_documented_format(
    recorder: MockServer, tmp_path: Path
) -> None:
    recording = record(recorder, tmp_path / "rec")

    document = json.loads((tmp_path / "rec" / "recording.json").read_text(encoding="utf-8"))
    assert (FORMAT, 1, "veo check") == (document["format"], document["version"], document["source"])
    operations = [(e.operation, e.status) for e in recording.exchanges]
    assert ("createVideoGeneration", 200) in operations
    polls = [e for e in recording.exchanges if e.label == "spend-poll"]
    assert [0.0, 2.0, 4.0, 6.0, 8.0] == [p.since_create for p in polls]
    assert ["pending", "running", "running", "running", "succeeded"] == [
        p.body["state"] for p in polls
    ]
    assert all(p.path == "/v1/videos/tasks/{task_id}" for p in polls)
    (video,) = [e for e in recording.exchanges if e.operation == "video"]
    assert video.video is not None
    assert "ftyp" == video.video["boxes"][0]
    assert {"moov", "mdat"} <= set(video.video["boxes"])
    assert video.video["bytes"] > 1000
    assert video.body is None
    assert KEY not in (tmp_path / "rec" / "recording.json").read_text(encoding="utf-8")


def test_a_recording_replays_field_for_field_on_the_virtual_clock(
    recorder: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = record(recorder, tmp_path / "rec")
    recorded = [e for e in recording.exchanges if e.label == "spend-poll"]

    with MockServer(replay=tmp_path / "rec") as replayed:
        # From here: starting the server may poll for its socket on the wall clock.
        monkeypatch.setattr(time, "sleep", no_real_sleep)
        seen: list[dict[str, Any]] = []
        with replayed.client(poll_schedule=EVERY_2_S) as client:
            task = client.create("a cat")
            while not seen or seen[-1].get("state") != "succeeded":
                seen.append(client.get(task).raw)
                client._sleep(2)  # the client's own pause: its virtual clock
            path = client.download(client.get(task), tmp_path)
        age = replayed.state.clock() - replayed.state.tasks[task.id].created_at

    assert 8 <= age  # the recorded 8 s went by, on the virtual clock, not the wall's
    assert [normalized(e.body, str(e.task_id)) for e in recorded] == [
        normalized(body, task.id) for body in seen
    ]
    assert path.read_bytes()[4:8] == b"ftyp"  # the mock's own video: spec-built


DRIFTS = {
    "drift-missing-field": "create_time: required by the spec (observed: missing)",
    "drift-wrong-type": "progress: the spec says integer (observed: string)",
    "drift-unknown-state": "state: 'defrosting' is not a documented value",
    "drift-error-shape": "error: the spec says object (observed: string)",
    "drift-bearer": "Authorization: the spec says the raw key",
}


@pytest.mark.parametrize("fault", sorted(DRIFTS))
def test_each_recorded_drift_is_reported_at_load_naming_the_field(
    recorder: MockServer, tmp_path: Path, fault: str
) -> None:
    record(recorder, tmp_path / "rec", fault=fault)

    with pytest.raises(ReplayDriftError) as raised:
        MockServer(replay=tmp_path / "rec")

    assert "recording.json: " in str(raised.value)
    assert DRIFTS[fault] in str(raised.value)
    assert "--allow-drift" in str(raised.value)


@pytest.mark.parametrize("fault", ["drift-missing-field", "drift-wrong-type", "drift-error-shape"])
def test_a_tolerated_drift_replayed_still_gives_a_video(
    recorder: MockServer, tmp_path: Path, fault: str
) -> None:
    record(recorder, tmp_path / "rec", fault=fault)

    with (
        MockServer(replay=tmp_path / "rec", allow_drift=True) as replayed,
        replayed.client() as client,
    ):
        result = client.generate("a cat", dest=tmp_path)
        with pytest.raises(veo.NotFoundError):
            client.get("no-such-task")  # the recorded 404 body, in the drifted shape

    assert result.path.read_bytes()[4:8] == b"ftyp"


def test_an_undocumented_state_replayed_keeps_the_client_polling(
    recorder: MockServer, tmp_path: Path
) -> None:
    record(recorder, tmp_path / "rec", fault="drift-unknown-state")

    with (
        MockServer(replay=tmp_path / "rec", allow_drift=True) as replayed,
        replayed.client() as client,
        pytest.raises(veo.WaitTimeoutError) as raised,
    ):
        client.generate("a cat", dest=tmp_path, timeout=60)

    assert veo.TaskState.UNKNOWN is raised.value.last_state
    assert raised.value.task is not None
    assert "defrosting" == raised.value.task.raw_state


def test_a_bearer_only_service_replayed_refuses_the_raw_key_naming_bearer(
    recorder: MockServer, tmp_path: Path
) -> None:
    record(recorder, tmp_path / "rec", fault="drift-bearer")

    with MockServer(replay=tmp_path / "rec", allow_drift=True) as replayed:
        with replayed.client() as client, pytest.raises(veo.AuthenticationError) as raised:
            client.create("a cat")
        with replayed.client(bearer=True) as client:
            result = client.generate("a cat", dest=tmp_path)

    assert "Bearer" in str(raised.value)
    assert KEY not in str(raised.value)
    assert result.path.exists()


def test_what_the_recording_lacks_is_the_spec_built_mocks_and_it_says_so(
    recorder: MockServer, tmp_path: Path
) -> None:
    record(recorder, tmp_path / "rec")

    with MockServer(replay=tmp_path / "rec") as replayed:
        summary = replayed.app.replay.summary() if replayed.app.replay else []

    text = "\n".join(summary)
    assert "replayed: create answers; task answers (5 recorded" in text
    assert "error answers 401, 404" in text
    assert "spec-built: other error answers; the video" in text


def test_a_directory_without_a_recording_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"rec[/\\]recording.json: cannot read it"):
        MockServer(replay=tmp_path / "rec")


def test_a_newer_recording_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / "recording.json").write_text(
        json.dumps({"format": FORMAT, "version": 2, "exchanges": []}), encoding="utf-8"
    )

    with pytest.raises(RecordingError, match="version 2; this veo reads version 1"):
        Recording.load(tmp_path)


# -- the drift monitor --------------------------------------------------------------


def test_an_unchanged_service_has_no_change_from_its_baseline(
    recorder: MockServer, tmp_path: Path
) -> None:
    before = shapes(record(recorder, tmp_path / "a").exchanges)
    after = shapes(record(recorder, tmp_path / "b").exchanges)

    assert [] == compare(before, after)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("drift-missing-field", "removed: getVideoTask 200 field create_time (integer)"),
        ("drift-wrong-type", "changed: getVideoTask 200 field progress: integer -> string"),
        ("drift-error-shape", "added: getVideoTask 401 field error (string)"),
        ("drift-unknown-state", "added: getVideoTask 200 state 'defrosting'"),
    ],
)
def test_the_baseline_names_an_added_removed_or_changed_path(
    recorder: MockServer, tmp_path: Path, fault: str, expected: str
) -> None:
    before = shapes(record(recorder, tmp_path / "a").exchanges)
    after = shapes(record(recorder, tmp_path / "b", fault=fault).exchanges)

    assert expected in [str(change) for change in compare(before, after)]


USERS_TESTS = """
def test_a_video_from_the_recorded_service(veo_client, veo_mock, tmp_path):
    result = veo_client.generate("a cat", dest=tmp_path)

    assert "100%" == result.task.raw["progress"]  # the recorded drift, tolerated
    assert 100 == result.task.progress
"""


@pytest.mark.parametrize("allow_drift", [True, False], ids=["allowed", "refused"])
def test_a_users_suite_runs_on_a_recording_given_to_pytest(
    recorder: MockServer, tmp_path: Path, allow_drift: bool
) -> None:
    """veo check --save DIR, then the user's own tests with pytest --veo-replay DIR."""
    record(recorder, tmp_path / "rec", fault="drift-wrong-type")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "test_users_video.py").write_text(USERS_TESTS, encoding="utf-8")
    options = ["--veo-replay", str(tmp_path / "rec"), *(["--veo-allow-drift"] * allow_drift)]

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=tmp_path / "project",
        capture_output=True,
        text=True,
        timeout=120,
    )

    if allow_drift:
        assert 0 == result.returncode, result.stdout + result.stderr
        assert "1 passed" in result.stdout
    else:
        assert 0 != result.returncode
        assert "progress: the spec says integer (observed: string)" in result.stdout


def test_a_documented_state_seen_for_the_first_time_is_progress_not_drift() -> None:
    """Caught before: a baseline written while its task was pending, compared with a run
    that saw it running, exited 7 ("added: getVideoTask 200 state 'running'")."""
    base = {"field id": ["string"], "field state": ["string"], "headers": [], "states": []}
    pending = {"getVideoTask 200": {**base, "states": ["pending"]}}

    later = {"getVideoTask 200": {**base, "states": ["pending", "running", "succeeded"]}}
    odd = {"getVideoTask 200": {**base, "states": ["pending", "defrosting"]}}

    assert [] == compare(pending, later)
    assert ["added: getVideoTask 200 state 'defrosting'"] == [str(c) for c in compare(pending, odd)]
