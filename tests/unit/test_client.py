"""Client behaviour over httpx.MockTransport; every test runs for Veo and AsyncVeo."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import veo

from .conftest import (
    API_KEY,
    VIDEO,
    VIDEO_URL,
    BrokenStream,
    FakeClock,
    FakeService,
    LazyStream,
    task_json,
)

MakeClient = Callable[..., Any]


# --- create --------------------------------------------------------------------------


def test_create_sends_the_resolved_body_and_the_raw_key(
    make_client: MakeClient, service: FakeService
) -> None:
    task = make_client().create(prompt="a cat", image_urls=["https://img.test/1.jpg"])

    (sent,) = service.sent("create")
    assert ("task-1", veo.TaskState.PENDING) == (task.id, task.state)
    assert API_KEY == sent.headers["Authorization"]
    assert "https://api.test/v1/videos/generations" == str(sent.url)
    assert {
        "model": "veo3.1-fast",
        "prompt": "a cat",
        "duration": 8,
        "image_urls": ["https://img.test/1.jpg"],
        "generation_type": "FIRST&LAST",
    } == service.body(sent)


def test_bearer_option_prefixes_the_key(make_client: MakeClient, service: FakeService) -> None:
    make_client(bearer=True).create("a cat")

    assert f"Bearer {API_KEY}" == service.sent("create")[0].headers["Authorization"]


def test_create_accepts_a_video_request(make_client: MakeClient, service: FakeService) -> None:
    make_client().create(veo.VideoRequest("a dog", aspect_ratio="9:16"))

    assert "9:16" == service.body(service.sent("create")[0])["aspect_ratio"]


def test_create_refuses_a_request_plus_fields(
    make_client: MakeClient, service: FakeService
) -> None:
    with pytest.raises(veo.InvalidRequestError, match="either a VideoRequest or fields"):
        make_client().create(veo.VideoRequest("a"), prompt="b")

    assert [] == service.requests


def test_create_accepts_task_id_instead_of_id(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("create", httpx.Response(200, json={"task_id": "t-9"}))

    assert "t-9" == make_client().create("a cat").id


def test_invalid_request_sends_nothing(make_client: MakeClient, service: FakeService) -> None:
    with pytest.raises(veo.InvalidRequestError) as info:
        make_client().create(prompt=" ", duration=7, image_urls=["ftp://x"] * 4)

    assert {"prompt", "duration", "image_urls", "image_urls[0]"} <= {
        p.field for p in info.value.problems
    }
    assert [] == service.requests


def test_429_then_success_honours_retry_after(
    make_client: MakeClient, service: FakeService, clock: FakeClock
) -> None:
    service.script("create", httpx.Response(429, headers={"Retry-After": "3"}, json={}))

    task = make_client().create("a cat")

    assert ("task-1", 2, [3.0]) == (task.id, service.count("create"), clock.sleeps)


def test_connect_error_on_create_is_retried(
    make_client: MakeClient, service: FakeService, clock: FakeClock
) -> None:
    service.script("create", httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"))

    task = make_client().create("a cat")

    assert ("task-1", 3) == (task.id, service.count("create"))
    assert [0.5, 1.0] == clock.sleeps


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.WriteTimeout("write timed out"),
        httpx.RemoteProtocolError("connection reset after sending"),
        httpx.ReadError("reset"),
        httpx.Response(500, json={"message": "boom"}),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(200, text="<html>oops</html>"),
        httpx.Response(200, json={"no": "id"}),
    ],
    ids=["read-timeout", "write-timeout", "reset", "read-error", "500", "502", "html", "no-id"],
)
def test_failures_after_sending_make_the_create_outcome_unknown(
    make_client: MakeClient, service: FakeService, failure: httpx.Response | Exception
) -> None:
    service.script("create", failure)

    with pytest.raises(veo.CreateOutcomeUnknownError) as info:
        make_client().create("a cat")

    assert 1 == service.count("create")
    assert "may have created a task" in str(info.value)
    assert "unsafe_create_retries=True" in str(info.value)
    assert isinstance(info.value.cause, veo.APIError)


def test_unknown_outcome_keeps_the_body_excerpt(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("create", httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(veo.CreateOutcomeUnknownError) as info:
        make_client().create("a cat")

    assert isinstance(info.value.cause, veo.UnexpectedResponseError)
    assert "<html>maintenance" in info.value.cause.body_excerpt


def test_unsafe_create_retries_retry_a_5xx(make_client: MakeClient, service: FakeService) -> None:
    service.script("create", httpx.Response(503, json={}), httpx.ReadTimeout("slow"))

    task = make_client(unsafe_create_retries=True).create("a cat")

    assert ("task-1", 3) == (task.id, service.count("create"))


def test_408_on_create_is_not_retried(make_client: MakeClient, service: FakeService) -> None:
    service.script("create", httpx.Response(408, json={"message": "too slow"}))

    with pytest.raises(veo.RequestTimeoutError):
        make_client().create("a cat")

    assert 1 == service.count("create")


def test_long_retry_after_raises_rate_limit_at_once(
    make_client: MakeClient, service: FakeService, clock: FakeClock
) -> None:
    service.script("create", httpx.Response(429, headers={"Retry-After": "600"}, json={}))

    with pytest.raises(veo.RateLimitError) as info:
        make_client().create("a cat")

    assert (600.0, 1, []) == (info.value.retry_after, service.count("create"), clock.sleeps)


def test_rate_limit_after_all_retries_raises(make_client: MakeClient, service: FakeService) -> None:
    service.script("create", *[httpx.Response(429, json={"msg": "quota"})] * 3)

    with pytest.raises(veo.RateLimitError, match="quota"):
        make_client().create("a cat")

    assert 3 == service.count("create")


def test_connect_errors_beyond_the_retry_budget_raise_connection_error(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("create", *[httpx.ConnectError("refused")] * 3)

    with pytest.raises(veo.APIConnectionError) as info:
        make_client().create("a cat")

    assert (False, 3) == (info.value.request_sent, service.count("create"))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, veo.BadRequestError),
        (401, veo.AuthenticationError),
        (402, veo.PaymentRequiredError),
        (403, veo.PermissionDeniedError),
        (409, veo.ConflictError),
        (422, veo.UnprocessableEntityError),
        (418, veo.APIStatusError),
    ],
)
def test_refusals_map_to_typed_errors(
    make_client: MakeClient, service: FakeService, status: int, error: type[Exception]
) -> None:
    service.script("create", httpx.Response(status, json={"message": "余额不足", "code": 7}))

    with pytest.raises(error) as info:
        make_client().create("a cat")

    assert type(info.value) is error
    assert (status, "余额不足", 7) == (
        info.value.status_code,  # type: ignore[attr-defined]
        info.value.message,  # type: ignore[attr-defined]
        info.value.code,  # type: ignore[attr-defined]
    )


# --- get -----------------------------------------------------------------------------


def test_get_parses_the_task(make_client: MakeClient, service: FakeService) -> None:
    task = make_client().get("task-1")

    assert (veo.TaskState.SUCCEEDED, 100, (VIDEO_URL,)) == (
        task.state,
        task.progress,
        task.video_urls,
    )
    assert API_KEY == service.sent("get")[0].headers["Authorization"]


def test_get_escapes_the_task_id_in_the_path(make_client: MakeClient, service: FakeService) -> None:
    make_client().get("../x?y")

    assert "/v1/videos/tasks/..%2Fx%3Fy" == service.sent("get")[0].url.raw_path.decode()


def test_get_refuses_an_empty_id(make_client: MakeClient, service: FakeService) -> None:
    with pytest.raises(veo.InvalidRequestError, match="task_id"):
        make_client().get(" ")

    assert [] == service.requests


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={}),
        httpx.Response(500, json={}),
        httpx.Response(520, text=""),
        httpx.Response(408, json={}),
        httpx.Response(429, json={}),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("reset"),
    ],
    ids=["503", "500", "520", "408", "429", "read-timeout", "reset"],
)
def test_transient_get_failures_are_retried(
    make_client: MakeClient, service: FakeService, failure: httpx.Response | Exception
) -> None:
    service.script("get", failure)

    assert veo.TaskState.SUCCEEDED == make_client().get("task-1").state
    assert 2 == service.count("get")


def test_unknown_5xx_after_retries_is_a_status_error(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", *[httpx.Response(520, text="origin error")] * 3)

    with pytest.raises(veo.APIStatusError) as info:
        make_client().get("task-1")

    assert 520 == info.value.status_code
    assert "origin error" in str(info.value)


def test_not_found_is_not_retried(make_client: MakeClient, service: FakeService) -> None:
    service.script("get", httpx.Response(404, json={"error": {"message": "no such task"}}))

    with pytest.raises(veo.NotFoundError, match="no such task"):
        make_client().get("nope")

    assert 1 == service.count("get")


@pytest.mark.parametrize(
    ("reply", "excerpt"),
    [
        (httpx.Response(200, text="not json at all"), "not json at all"),
        (httpx.Response(200, json=["a", "list"]), '["a","list"]'),
        (httpx.Response(200, json={"state": "running"}), '{"state":"running"}'),
    ],
)
def test_malformed_task_bodies_are_typed_errors_with_an_excerpt(
    make_client: MakeClient, service: FakeService, reply: httpx.Response, excerpt: str
) -> None:
    service.script("get", reply)

    with pytest.raises(veo.UnexpectedResponseError) as info:
        make_client().get("task-1")

    assert excerpt in info.value.body_excerpt


# --- wait ----------------------------------------------------------------------------


def test_wait_polls_until_success_reporting_progress(
    make_client: MakeClient, service: FakeService, clock: FakeClock
) -> None:
    service.script(
        "get",
        httpx.Response(200, json=task_json("pending", 0)),
        httpx.Response(200, json=task_json("running", 30)),
        httpx.Response(200, json=task_json("running", 30)),
        httpx.Response(200, json=task_json("running", 80)),
    )
    seen: list[veo.VideoTask] = []

    task = make_client().wait("task-1", timeout=60, on_progress=seen.append)

    assert veo.TaskState.SUCCEEDED == task.state
    assert [0, 30, 80, 100] == [s.progress for s in seen]
    # The schedule (2, 3, 4.5, 6.75 s) until the progress promises an earlier finish:
    # 30 % after 2 s means 100 % at 6.67 s, 80 % at 7.17 s means 8.96 s; each poll
    # lands half a second after the estimate, never sooner than 2 s after the last.
    assert pytest.approx([2.0, 3.0, 2.1667, 2.2917], abs=1e-3) == clock.sleeps


def test_wait_raises_task_failed_with_the_message(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(200, json=task_json("error", 10, message="NSFW prompt")))

    with pytest.raises(veo.TaskFailedError, match="NSFW prompt") as info:
        make_client().wait("task-1", timeout=60)

    assert "task-1" == info.value.task.id


def test_wait_deadline_raises_wait_timeout_with_the_id(
    make_client: MakeClient, service: FakeService, clock: FakeClock
) -> None:
    service.script("get", *[httpx.Response(200, json=task_json("running", 50))] * 50)

    with pytest.raises(veo.WaitTimeoutError) as info:
        make_client().wait("task-1", timeout=30)

    assert ("task-1", veo.TaskState.RUNNING) == (info.value.task_id, info.value.last_state)
    assert 30.0 == pytest.approx(sum(clock.sleeps))


def test_wait_rides_out_transient_poll_failures(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", *[httpx.Response(503, json={})] * 3)

    assert veo.TaskState.SUCCEEDED == make_client().wait("task-1", timeout=60).state
    assert 4 == service.count("get")


def test_wait_stops_on_permanent_poll_failures(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(401, json={"message": "bad key"}))

    with pytest.raises(veo.AuthenticationError):
        make_client().wait("task-1", timeout=60)


# --- download ------------------------------------------------------------------------


def finished() -> veo.VideoTask:
    return veo.VideoTask.from_json(task_json())


def test_download_into_a_directory_names_the_file_after_the_task(
    make_client: MakeClient, tmp_path: Path
) -> None:
    path = make_client().download(finished(), tmp_path)

    assert (tmp_path / "task-1.mp4", VIDEO) == (path, path.read_bytes())


def test_download_never_sends_the_key_to_the_video_host(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    make_client().download(finished(), tmp_path / "v.mp4")

    assert "authorization" not in service.sent("video")[0].headers


def test_download_strips_a_key_set_as_default_header_on_an_injected_client(
    service: FakeService, tmp_path: Path
) -> None:
    http = httpx.Client(transport=httpx.MockTransport(service), headers={"Authorization": "k"})

    veo.Veo(API_KEY, base_url="https://api.test", http_client=http).download(
        finished(), tmp_path / "v.mp4"
    )

    assert "authorization" not in service.sent("video")[0].headers


def test_download_reports_byte_progress(make_client: MakeClient, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []

    make_client().download(
        finished(), tmp_path / "v.mp4", on_progress=lambda a, b: seen.append((a, b))
    )

    assert (0, len(VIDEO)) == seen[0]
    assert (len(VIDEO), len(VIDEO)) == seen[-1]


def test_interrupted_download_is_retried_from_scratch(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    broken = httpx.Response(
        200, headers={"Content-Length": str(len(VIDEO))}, stream=BrokenStream(VIDEO[:10])
    )
    service.script("video", broken)

    path = make_client().download(finished(), tmp_path / "v.mp4")

    assert (VIDEO, 2) == (path.read_bytes(), service.count("video"))
    assert ["v.mp4"] == [p.name for p in tmp_path.iterdir()]


def test_interrupted_download_leaves_nothing_when_retries_run_out(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    broken = [
        httpx.Response(200, headers={"Content-Length": "999"}, stream=BrokenStream(b"abc"))
        for _ in range(3)
    ]
    service.script("video", *broken)

    with pytest.raises(veo.APIConnectionError):
        make_client().download(finished(), tmp_path / "v.mp4")

    assert [] == list(tmp_path.iterdir())


def test_length_mismatch_raises_download_error_and_leaves_nothing(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    short = [
        httpx.Response(200, headers={"Content-Length": "9999"}, content=VIDEO) for _ in range(3)
    ]
    service.script("video", *short)

    with pytest.raises(veo.DownloadError, match=f"received {len(VIDEO)} of 9999"):
        make_client().download(finished(), tmp_path / "v.mp4")

    assert [] == list(tmp_path.iterdir())


@pytest.mark.parametrize("status", [403, 404, 410])
def test_expired_links_say_so(
    make_client: MakeClient, service: FakeService, tmp_path: Path, status: int
) -> None:
    service.script("video", httpx.Response(status, text="AccessDenied"))

    with pytest.raises(veo.VideoLinkExpiredError, match="expire") as info:
        make_client().download(finished(), tmp_path / "v.mp4")

    assert (status, 1) == (info.value.status_code, service.count("video"))
    assert [] == list(tmp_path.iterdir())


def test_expired_link_message_comes_from_a_streamed_error_body(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    service.script("video", httpx.Response(410, stream=LazyStream(b'{"message": "link gone"}')))

    with pytest.raises(veo.VideoLinkExpiredError, match="link gone"):
        make_client().download(finished(), tmp_path / "v.mp4")


def test_existing_file_fails_before_any_request(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    (tmp_path / "v.mp4").write_bytes(b"old")

    with pytest.raises(FileExistsError):
        make_client().download(finished(), tmp_path / "v.mp4")

    assert ([], b"old") == (service.requests, (tmp_path / "v.mp4").read_bytes())


def test_overwrite_replaces_an_existing_file(make_client: MakeClient, tmp_path: Path) -> None:
    (tmp_path / "v.mp4").write_bytes(b"old")

    path = make_client().download(finished(), tmp_path / "v.mp4", overwrite=True)

    assert VIDEO == path.read_bytes()


def test_download_accepts_a_plain_url(make_client: MakeClient, tmp_path: Path) -> None:
    assert tmp_path / "task-1.mp4" == make_client().download(VIDEO_URL, tmp_path)


# --- generate ------------------------------------------------------------------------


def test_generate_does_the_whole_job(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    service.script("get", httpx.Response(200, json=task_json("running", 50)))

    result = make_client().generate("a cat", dest=tmp_path, timeout=60)

    assert (veo.TaskState.SUCCEEDED, VIDEO) == (result.task.state, result.path.read_bytes())
    assert ["create", "get", "get", "video"] == [service.route(r) for r in service.requests]


def test_generate_checks_the_destination_before_paying(
    make_client: MakeClient, service: FakeService, tmp_path: Path
) -> None:
    (tmp_path / "v.mp4").write_bytes(b"old")

    with pytest.raises(FileExistsError):
        make_client().generate("a cat", dest=tmp_path / "v.mp4")

    assert [] == service.requests


# --- configuration and key hygiene ---------------------------------------------------


def test_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUOMI_API_KEY", raising=False)

    with pytest.raises(veo.ConfigurationError, match="DUOMI_API_KEY"):
        veo.Veo()


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUOMI_API_KEY", "env-key")
    monkeypatch.setenv("DUOMI_BASE_URL", "https://other.test")
    service = FakeService()

    client = veo.Veo(http_client=httpx.Client(transport=httpx.MockTransport(service)))
    client.get("t")

    assert ("env-key", "other.test") == (
        service.requests[0].headers["Authorization"],
        service.requests[0].url.host,
    )


def test_default_base_url_is_the_vendors() -> None:
    assert "https://duomiapi.com" == str(veo.Veo("k").base_url)


@pytest.mark.parametrize("url", ["http://duomiapi.com", "http://10.0.0.5:8000"])
def test_plain_http_to_remote_hosts_is_refused(url: str) -> None:
    with pytest.raises(veo.ConfigurationError, match="allow_insecure_http"):
        veo.Veo("k", base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:9"])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert url == str(veo.Veo("k", base_url=url).base_url).rstrip("/")


def test_plain_http_to_remote_hosts_can_be_allowed_explicitly() -> None:
    client = veo.Veo("k", base_url="http://duomiapi.com", allow_insecure_http=True)

    assert "http" == client.base_url.scheme


def test_malformed_base_url_is_refused() -> None:
    with pytest.raises(veo.ConfigurationError, match="base_url"):
        veo.Veo("k", base_url="duomiapi.com")


def test_repr_never_shows_the_key(make_client: MakeClient) -> None:
    client = make_client()

    assert API_KEY not in repr(client)
    assert "***" in repr(client)
    assert API_KEY not in repr(vars(getattr(client, "_client", client)))


def test_errors_never_contain_the_key_even_when_the_server_echoes_it(
    make_client: MakeClient, service: FakeService
) -> None:
    echo = {"message": f"invalid key {API_KEY}", "detail": API_KEY}
    service.script("create", httpx.Response(401, json=echo, headers={"X-Echo": API_KEY}))

    with pytest.raises(veo.AuthenticationError) as info:
        make_client().create("a cat")

    shown = f"{info.value} {info.value.body} {info.value.headers} {info.value.message!r}"
    assert API_KEY not in shown
    assert "invalid key ***" == info.value.message


def test_debug_logs_never_contain_the_key(
    make_client: MakeClient,
    service: FakeService,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    service.script("create", httpx.Response(503, json={}), httpx.ConnectError("refused"))
    client = make_client(unsafe_create_retries=True)

    client.generate("a cat", dest=tmp_path, timeout=60)

    assert caplog.records
    assert all(API_KEY not in record.getMessage() for record in caplog.records)


def test_client_is_a_context_manager(service: FakeService) -> None:
    with veo.Veo("k", base_url="https://api.test") as client:
        client._http = httpx.Client(transport=httpx.MockTransport(service))
        client.get("t")

    assert client._http.is_closed


def test_an_async_download_never_writes_to_disk_on_the_event_loop(
    service: FakeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loop runs every other job's timers: a disk that takes milliseconds to take a
    # write (busy, networked) would stall them all. 3 MiB: kept in memory a MiB at a
    # time, written by worker threads, and whole at the end.
    big = (8 + 3 * 1024 * 1024).to_bytes(4, "big") + b"mdat" + bytes(range(256)) * 12288
    video = VIDEO[:24] + big
    service.script("video", httpx.Response(200, stream=LazyStream(video, chunk=64 * 1024)))
    writers: list[threading.Thread] = []
    fdopen = os.fdopen

    class Recorded:
        """The temporary file, noting which thread writes to it."""

        def __init__(self, handle: Any) -> None:
            self._handle = handle

        def write(self, data: bytes) -> int:
            writers.append(threading.current_thread())
            return int(self._handle.write(data))

        def writelines(self, lines: Any) -> None:
            writers.append(threading.current_thread())
            self._handle.writelines(lines)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._handle, name)

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Recorded(fdopen(*a, **k)))
    seen: list[int] = []

    async def main() -> tuple[Path, threading.Thread]:
        http = httpx.AsyncClient(transport=httpx.MockTransport(service))
        async with veo.AsyncVeo(API_KEY, base_url="https://api.test", http_client=http) as client:
            path = await client.download(
                finished(), tmp_path / "v.mp4", on_progress=lambda got, _: seen.append(got)
            )
        await http.aclose()
        return path, threading.current_thread()

    path, loop_thread = asyncio.run(main())

    assert video == path.read_bytes()
    assert loop_thread not in writers
    assert 4 == len(writers)  # a MiB at a time, then the rest
    assert len(video) == seen[-1]
