"""``veo generate --record``, ``veo check --save``/``--baseline`` and ``veo mock
--replay``, as a user runs them (real processes, the live mock)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from veo.mock import parse_rule
from veo.testing import MockServer

from .conftest import Run, only_json

# No English word in it: any 8 of its characters in a row are redacted from the output.
KEY = "sk-cli-9f3e-0123456789abcdef"


def test_generate_record_writes_the_whole_run_redacted(
    run_veo: Run,
    veo_env: dict[str, str],
    veo_mock: MockServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(veo_mock.state, "api_keys", frozenset({KEY}))

    result = run_veo(
        "generate",
        "a cat",
        "--record",
        "rec",
        "--keep-video",
        env={**veo_env, "DUOMI_API_KEY": KEY},
    )

    assert 0 == result.returncode, result.stderr
    text = (tmp_path / "rec" / "recording.json").read_text(encoding="utf-8")
    document = json.loads(text)
    labels = [e["label"] for e in document["exchanges"]]
    assert "veo generate" == document["source"]
    assert labels[0] == "create"
    assert labels[-1] == "download"
    assert {"poll"} == set(labels[1:-1])
    polls = [e for e in document["exchanges"] if e["label"] == "poll"]
    assert all(p["since_create"] is not None for p in polls)
    assert polls[-1]["body"]["state"] == "succeeded"
    video = document["exchanges"][-1]["video"]
    assert video["boxes"][0] == "ftyp"
    assert video["file"].startswith("videos/")
    assert (tmp_path / "rec" / video["file"]).read_bytes() == Path(
        result.stdout.strip()
    ).read_bytes()
    assert KEY not in text
    assert "recorded " in result.stderr


def test_check_save_then_mock_replay_then_a_generate_against_it(
    run_veo: Run, veo_env: dict[str, str], tmp_path: Path
) -> None:
    saved = run_veo("check", "--spend", "1", "--yes", "--poll-interval", "0.01", "--save", "rec")
    assert 0 == saved.returncode, saved.stderr

    server = subprocess.Popen(
        [sys.executable, "-m", "veo", "mock", "--port", "0", "--replay", "rec", "--speed", "100"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().rsplit(" ", 1)[1].strip()
        env = {**veo_env, "DUOMI_BASE_URL": url, "DUOMI_API_KEY": "mock-key"}
        generated = run_veo("generate", "a cat", "--out", "replayed.mp4", env=env)
    finally:
        server.terminate()
        _, said = server.communicate(timeout=10)

    assert 0 == generated.returncode, generated.stderr
    assert "replayed: create answers; task answers" in said
    assert (tmp_path / "replayed.mp4").read_bytes()[4:8] == b"ftyp"


def test_mock_replay_refuses_a_drifted_recording_naming_the_field(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    veo_mock.faults.add(parse_rule("drift-wrong-type"))
    run_veo("check", "--spend", "1", "--yes", "--poll-interval", "0.01", "--save", "rec")

    refused = run_veo("mock", "--port", "0", "--replay", "rec")

    assert 2 == refused.returncode
    assert "progress: the spec says integer (observed: string)" in refused.stderr
    assert "--allow-drift" in refused.stderr


def test_baseline_unchanged_exits_0_and_a_drift_exits_7_naming_the_path(
    run_veo: Run, veo_mock: MockServer
) -> None:
    spend = ("check", "--spend", "1", "--yes", "--poll-interval", "0.01")
    written = run_veo(*spend, "--write-baseline", "base.json")
    same = run_veo(*spend, "--baseline", "base.json")
    veo_mock.faults.add(parse_rule("drift-missing-field"))
    drifted = run_veo(*spend, "--baseline", "base.json", "--json")

    assert 0 == written.returncode, written.stderr
    assert 0 == same.returncode, same.stdout
    assert "baseline: no change from base.json" in same.stdout
    assert 7 == drifted.returncode
    changes = only_json(drifted.stdout)["baseline"]
    assert "removed: getVideoTask 200 field create_time (integer)" in changes


def test_a_baseline_that_is_not_one_is_refused(run_veo: Run, tmp_path: Path) -> None:
    (tmp_path / "base.json").write_text("{}", encoding="utf-8")

    result = run_veo("check", "--baseline", "base.json")

    assert 2 == result.returncode
    assert "base.json: not a duomi-veo-baseline file" in result.stderr


@pytest.mark.parametrize("record", [False, True], ids=["plain", "recorded"])
def test_generate_follows_a_redirecting_video_link_with_or_without_record(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path, record: bool
) -> None:
    veo_mock.faults.add(parse_rule("redirect,route=video"))

    result = run_veo(
        "generate", "a cat", "--out", "v.mp4", *(["--record", "rec"] if record else [])
    )

    assert 0 == result.returncode, result.stderr
    assert (tmp_path / "v.mp4").read_bytes()[4:8] == b"ftyp"
    videos = [e for e in veo_mock.state.log if e.route == "video"]
    assert [302, 200] == [e.status for e in videos]
    if record:
        document = json.loads((tmp_path / "rec" / "recording.json").read_text(encoding="utf-8"))
        download = document["exchanges"][-1]
        assert ("download", 200) == (download["label"], download["status"])
        assert download["video"]["boxes"][0] == "ftyp"


def test_an_api_answer_past_the_size_cap_is_refused_alike_with_or_without_record(
    run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    # 9 MiB of padding: past the client's 8 MiB cap on an API answer.
    veo_mock.faults.add(parse_rule(f"oversized,route=create,bytes={9 * 1024 * 1024}"))

    plain = run_veo("generate", "a cat", "--json")
    recorded = run_veo("generate", "a cat", "--json", "--record", "rec")

    assert 6 == plain.returncode == recorded.returncode, recorded.stderr
    assert only_json(plain.stdout)["error"]["type"] == only_json(recorded.stdout)["error"]["type"]
    assert "larger than the 8388608 bytes allowed" in only_json(recorded.stdout)["error"]["message"]
    document = json.loads((tmp_path / "rec" / "recording.json").read_text(encoding="utf-8"))
    (create,) = document["exchanges"]
    assert ("create", 200) == (create["label"], create["status"])
    assert len(json.dumps(create["body"])) <= 8 * 1024 * 1024
