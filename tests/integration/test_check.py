"""``veo.check.run_check`` in process, on the mock: every outcome a check can have."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from veo import InvalidRequestError, PollSchedule
from veo.check import CheckReport, run_check
from veo.mock import Lifecycle, parse_rule
from veo.testing import MockServer

from ..helpers import TrickleServer

QUICK = PollSchedule(initial=0.01, factor=1.0, max_delay=0.01, late_max_delay=0.01)


def checked(server: MockServer, **options: object) -> CheckReport:
    return run_check(api_key=server.api_key, base_url=server.url, poll_schedule=QUICK, **options)  # type: ignore[arg-type]


def by_name(report: CheckReport) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


@pytest.mark.parametrize(
    ("fault", "drift"),
    [
        ("drift-missing-field", "create_time: required by the spec (observed: missing)"),
        ("drift-wrong-type", "progress: the spec says integer (observed: string)"),
        (
            "drift-unknown-state",
            "state: 'defrosting' is not a documented value (pending, running, succeeded, "
            "error) (observed: string)",
        ),
    ],
)
def test_a_task_body_drift_is_described_field_by_field(
    veo_mock: MockServer, fault: str, drift: str
) -> None:
    task = veo_mock.state.create_task({"model": "veo3.1-fast", "prompt": "a cat"})
    veo_mock.faults.add(parse_rule(fault))

    report = checked(veo_mock, task_id=task.id)

    (result,) = [r for r in report.results if r.name == "task"]
    assert ("drift", [drift]) == (result.status, [str(d) for d in result.drifts])


def test_an_error_body_of_another_shape_is_drift_on_the_probes(veo_mock: MockServer) -> None:
    veo_mock.faults.add(parse_rule("drift-error-shape"))

    report = checked(veo_mock)

    assert {"no-key": "drift", "key": "drift"} == by_name(report)
    assert all(
        "error: the spec says object (observed: string)" in [str(d) for d in r.drifts]
        for r in report.results
    )


def test_spend_checks_every_answer_and_the_video(veo_mock: MockServer) -> None:
    veo_mock.state.lifecycle = Lifecycle(pending_steps=1, running_steps=2)

    images = [f"https://img.test/{n}.jpg" for n in range(3)]

    report = checked(veo_mock, spend=4, image_urls=images)

    assert "pass" == report.status
    assert 4 == veo_mock.state.tasks_created
    modes = ["TEXT", "FIRST&LAST", "REFERENCE", "TEXT"]
    assert modes == [run.generation_type for run in report.spend]
    assert [0, 2, 3, 0] == [
        len(t.body.get("image_urls", [])) for t in veo_mock.state.tasks.values()
    ]
    assert all(run.video_bytes and run.queue_seconds is not None for run in report.spend)
    assert 4 == sum(r.name == "spend-video" and r.status == "pass" for r in report.results)


def test_spend_reports_each_drifted_poll_once(veo_mock: MockServer) -> None:
    veo_mock.state.lifecycle = Lifecycle(pending_steps=2, running_steps=3)
    veo_mock.faults.add(parse_rule("drift-wrong-type,route=get"))

    report = checked(veo_mock, spend=1)

    polls = [r for r in report.results if r.name == "spend-poll"]
    assert 1 == len(polls)
    assert "drift" == report.status


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        ("task-failed", "ended error, no video"),
        ("truncated-video", "RemoteProtocolError"),
        ("expired-link", "HTTP 410"),
    ],
)
def test_spend_fails_a_video_that_cannot_be_had(
    veo_mock: MockServer, fault: str, detail: str
) -> None:
    veo_mock.faults.add(parse_rule(fault))

    report = checked(veo_mock, spend=1)

    (video,) = [r for r in report.results if r.name == "spend-video"]
    assert "fail" == video.status
    assert detail in video.detail
    assert "fail" == report.status


def test_a_create_without_an_id_ends_that_run(veo_mock: MockServer) -> None:
    veo_mock.faults.add(parse_rule("malformed,route=create"))

    report = checked(veo_mock, spend=1)

    assert (None, "drift") == (report.spend[0].task_id, by_name(report)["spend-create"])


def test_a_non_json_answer_is_drift(veo_mock: MockServer) -> None:
    task = veo_mock.state.create_task({"model": "veo3.1-fast", "prompt": "a cat"})
    veo_mock.faults.add(parse_rule("non-json,route=get"))

    report = checked(veo_mock, task_id=task.id)

    (result,) = [r for r in report.results if r.name == "task"]
    assert ["(body): the spec says a JSON body (observed: not JSON (text/html))"] == [
        str(d) for d in result.drifts
    ]
    assert "drift" == by_name(report)["key"]  # a 200 where the spec says 404


def test_an_unknown_task_fails_the_task_check(veo_mock: MockServer) -> None:
    report = checked(veo_mock, task_id="no-such-task")

    assert "fail" == by_name(report)["task"]


def test_a_server_answering_without_a_key_is_drift(veo_mock: MockServer) -> None:
    veo_mock.faults.add(parse_rule("server-error,route=get,times=1,status=503"))

    report = checked(veo_mock)

    assert "drift" == by_name(report)["no-key"]
    assert ["status: the spec says 401 without a key (observed: 503)"] == [
        str(d) for d in report.results[0].drifts
    ]


def test_save_writes_every_exchange_as_a_recording(veo_mock: MockServer, tmp_path: Path) -> None:
    report = checked(veo_mock)

    written = report.save(tmp_path / "saved")

    document = json.loads(written.read_text(encoding="utf-8"))
    assert tmp_path / "saved" / "recording.json" == written
    assert len(report.exchanges) == len(document["exchanges"])
    first = document["exchanges"][0]
    assert ("no-key", 401) == (first["label"], first["status"])
    assert "authorization" not in first["request"]["headers"]


def test_an_unreachable_service_is_one_failed_check() -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"

    report = run_check(api_key="sk-Zq7Wx3Pv9Lm2Kt8R", base_url=url)

    assert [("reach", "fail")] == [(r.name, r.status) for r in report.results]
    assert "could not be reached: ConnectError" in report.results[0].detail


def test_a_refused_key_stops_before_anything_else(veo_mock: MockServer) -> None:
    report = run_check(api_key="sk-Zq7Wx3Pv9Lm2Kt8R", base_url=veo_mock.url, task_id="t", spend=1)

    assert {"no-key": "pass", "key": "fail"} == by_name(report)
    assert 0 == veo_mock.state.tasks_created


def test_a_key_probe_answered_with_another_status_is_drift(veo_mock: MockServer) -> None:
    veo_mock.faults.add(parse_rule("rate-limit,route=get,times=2"))

    report = checked(veo_mock)

    assert ["status: the spec says 404 for a task that does not exist (observed: 429)"] == [
        str(d) for d in report.results[1].drifts
    ]


def test_a_hostile_answer_is_not_read_past_the_cap() -> None:
    """A service answering with an endless body cannot make the check read it all."""
    import httpx

    from veo.check._run import MAX_BODY_BYTES

    served: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(10_000):  # 640 MB if read to the end
            served.append(1)
            yield b"x" * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(401, json={"message": "no key"})
        return httpx.Response(404, content=endless())

    http = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_check(api_key="sk-Zq7Wx3Pv9Lm2Kt8R", base_url="https://api.test", http_client=http)

    assert [
        f"(body): an API answer is small JSON (at most {MAX_BODY_BYTES} bytes) (observed: larger)"
    ] == [str(d) for d in report.results[1].drifts]
    assert len(served) * 65536 <= MAX_BODY_BYTES + 2 * 65536


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"task_id": ".."}, "task_id"),
        ({"task_id": ""}, "task_id"),
        ({"spend": 1, "image_urls": ["ftp://img.test/a.jpg"]}, "image_urls[0]"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    veo_mock: MockServer, options: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        checked(veo_mock, **options)

    assert field in [p.field for p in info.value.problems]
    assert [] == veo_mock.state.log


def test_a_task_id_is_one_path_segment(veo_mock: MockServer) -> None:
    report = checked(veo_mock, task_id="a/../../v1/videos/generations")

    assert "fail" == by_name(report)["task"]
    escaped = "/tasks/a%2F..%2F..%2Fv1%2Fvideos%2Fgenerations"
    assert report.exchanges[-1].request["url"].endswith(escaped)


def test_a_key_the_service_echoes_inside_a_body_is_redacted_in_the_report() -> None:
    import httpx

    key = "sk-Zq7Wx3Pv9Lm2Kt8R"

    def handler(request: httpx.Request) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(401, json={"message": "no key"})
        if request.url.path.endswith("/mine"):
            return httpx.Response(200, json={"id": "mine", "state": key, "progress": key})
        return httpx.Response(404, json={"message": f"no task for {key}"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_check(api_key=key, base_url="https://api.test", task_id="mine", http_client=http)

    text = json.dumps(report.to_json()) + json.dumps([attrs.asdict(e) for e in report.exchanges])
    assert "drift" == report.status
    assert key not in text
    assert key[3:11] not in text


def test_a_trickling_answer_fails_its_check_at_the_answer_deadline() -> None:
    """Each byte arrives within any read timeout; only a deadline on the answer stops it."""
    with TrickleServer(interval=0.2, body_size=200) as server:
        report = run_check(api_key="sk-Zq7Wx3Pv9Lm2Kt8R", base_url=server.url, answer_deadline=1.0)

    assert [("no-key", "fail")] == [(r.name, r.status) for r in report.results]
    assert "did not finish within 1 s" in report.results[0].detail


def test_a_task_id_the_service_returns_is_one_path_segment_when_polled() -> None:
    import httpx

    polled: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(401, json={"message": "no key"})
        if request.method == "POST":
            return httpx.Response(200, json={"id": "a/../../generations"})
        if request.url.raw_path.startswith(b"/v1/videos/tasks/veo-check-"):
            return httpx.Response(404, json={"message": "no such task"})
        polled.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"id": "x", "state": "error", "progress": 0})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    run_check(api_key="sk-Zq7Wx3Pv9Lm2Kt8R", base_url="https://api.test", spend=1, http_client=http)

    assert ["/v1/videos/tasks/a%2F..%2F..%2Fgenerations"] == polled


def test_a_key_the_service_echoes_as_a_header_name_in_base64_or_upper_case_is_redacted(
    tmp_path: Path,
) -> None:
    """Caught before: ``--save`` kept the key when it came back as a header name, in
    base64 (a ``Basic`` credential) or upper-cased."""
    import base64

    import httpx

    key = "sk-Zq7Wx3Pv9Lm2Kt8R"
    basic = base64.b64encode(f"user:{key}".encode()).decode()

    def handler(request: httpx.Request) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(401, json={"message": "no key"})
        headers = {f"x-{key}": "1", "www-authenticate": f"Basic {basic}"}
        return httpx.Response(404, json={"message": f"NO TASK FOR {key.upper()}"}, headers=headers)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    report = run_check(api_key=key, base_url="https://api.test", http_client=http)
    report.save(tmp_path)

    saved = " ".join(path.read_text(encoding="utf-8") for path in tmp_path.iterdir())
    for form in (key, key.upper(), key.lower(), basic):
        assert form not in saved
    assert key[3:11] not in saved
    assert key.upper()[3:11] not in saved


def test_an_answer_whose_headers_trickle_fails_its_check_at_the_answer_deadline() -> None:
    """Caught before: each header byte arrived within the read timeout, so the check
    waited for the whole head, byte by byte, before its deadline was looked at."""
    with TrickleServer(interval=0.2, body_size=200, head=True) as server:
        start = time.monotonic()
        report = run_check(api_key="sk-Zq7Wx3Pv9Lm2Kt8R", base_url=server.url, answer_deadline=1.0)
        took = time.monotonic() - start

    assert [("no-key", "fail")] == [(r.name, r.status) for r in report.results]
    assert "did not finish within 1 s" in report.results[0].detail
    assert took < 1.0 + 1


def test_every_check_runs_on_the_clients_own_exchange(veo_mock: MockServer) -> None:
    """One stack: the probes, the spent task's create, polls and download are a Veo
    client's requests (its User-Agent, its path escaping, its redirects followed)."""
    veo_mock.faults.add(parse_rule("redirect,route=video"))

    report = checked(veo_mock, spend=1)

    assert "pass" == report.status, report.results
    agents = {e.request["headers"].get("user-agent", "") for e in report.exchanges}
    assert all(agent.startswith("duomi-veo/") for agent in agents), agents
    assert [302, 200] == [e.status for e in veo_mock.state.log if e.route == "video"]
