"""What a user sees when something goes wrong: logs on demand, request ids, a User-Agent.

Every test runs for Veo and AsyncVeo over the fake service.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import veo
from veo._logs import logging_from_env

from .conftest import API_KEY, FakeService, task_json

MakeClient = Callable[..., Any]
EXCHANGE = re.compile(
    r"^HTTP (?P<method>GET|POST) (?P<url>\S+) -> (?P<result>.+) "
    r"\(attempt (?P<attempt>\d+), (?P<ms>\d+) ms(?:, request id (?P<id>\S+))?\)$"
)


@pytest.fixture
def veo_logger() -> Iterator[logging.Logger]:
    """The ``veo`` logger, put back as it was (VEO_LOG changes it for the process)."""
    logger = logging.getLogger("veo")
    level, handlers = logger.level, list(logger.handlers)
    yield logger
    logger.setLevel(level)
    logger.handlers[:] = handlers


def exchanges(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    return [
        match.groupdict()
        for record in caplog.records
        if record.name == "veo" and (match := EXCHANGE.match(record.getMessage()))
    ]


def test_veo_log_debug_logs_every_exchange_with_status_attempt_time_and_request_id(
    make_client: MakeClient,
    service: FakeService,
    veo_logger: logging.Logger,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("VEO_LOG", "debug")
    service.script("create", httpx.Response(503), httpx.Response(200, json={"id": "task-1"}))
    service.script("get", httpx.Response(200, json=task_json(), headers={"X-Request-Id": "req-42"}))
    caplog.set_level(logging.DEBUG, logger="veo")

    make_client(unsafe_create_retries=True).generate("a cat", dest=tmp_path)

    seen = exchanges(caplog)
    assert [
        ("POST", "https://api.test/v1/videos/generations", "503 Service Unavailable", "1"),
        ("POST", "https://api.test/v1/videos/generations", "200 OK", "2"),
        ("GET", "https://api.test/v1/videos/tasks/task-1", "200 OK", "1"),
        ("GET", "https://cdn.test/videos/task-1.mp4", "200 OK", "1"),
    ] == [(e["method"], e["url"], e["result"], e["attempt"]) for e in seen]
    assert [None, None, "req-42", None] == [e["id"] for e in seen]
    assert logging.DEBUG == veo_logger.level
    assert any(h.get_name() == "veo.VEO_LOG" for h in veo_logger.handlers)


def test_without_veo_log_the_logger_is_left_alone(
    make_client: MakeClient, veo_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VEO_LOG", raising=False)
    before = (veo_logger.level, list(veo_logger.handlers))

    make_client().create("a cat")

    assert before == (veo_logger.level, list(veo_logger.handlers))


def test_an_unknown_veo_log_value_warns_and_changes_nothing(
    veo_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEO_LOG", "loud")

    with pytest.warns(UserWarning, match="VEO_LOG='loud' is not one of debug, info"):
        assert logging_from_env() is None
    assert not any(h.get_name() == "veo.VEO_LOG" for h in veo_logger.handlers)


def test_the_log_line_leaves_out_a_signed_links_query_and_the_key(
    make_client: MakeClient, service: FakeService, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    signed = f"https://cdn.test/videos/task-1.mp4?token=secret-token&k={API_KEY}"
    service.script("get", httpx.Response(200, json=task_json(data={"videos": [{"url": signed}]})))
    caplog.set_level(logging.DEBUG, logger="veo")

    make_client().download(make_client().get("task-1"), tmp_path)

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "https://cdn.test/videos/task-1.mp4 -> 200 OK" in text
    assert "secret-token" not in text
    assert API_KEY not in text


@pytest.mark.parametrize("header", ["X-Request-Id", "Request-Id", "X-Trace-Id"])
def test_an_error_answer_names_its_request_id(
    make_client: MakeClient, service: FakeService, header: str
) -> None:
    service.script(
        "get", httpx.Response(404, json={"message": "no such task"}, headers={header: "req-7"})
    )

    with pytest.raises(veo.NotFoundError) as raised:
        make_client().get("task-1")

    assert "req-7" == raised.value.request_id
    assert str(raised.value).endswith("(request id req-7)")


def test_a_body_the_api_never_sends_names_its_request_id(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(200, text="<html>", headers={"x-request-id": "req-8"}))

    with pytest.raises(veo.UnexpectedResponseError) as raised:
        make_client(retry=veo.RetryPolicy(max_retries=0)).get("task-1")

    assert "req-8" == raised.value.request_id
    assert "request id req-8" in str(raised.value)


def test_an_unknown_create_outcome_keeps_the_request_id_of_its_cause(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("create", httpx.Response(502, headers={"x-request-id": "req-9"}))

    with pytest.raises(veo.CreateOutcomeUnknownError) as raised:
        make_client().create("a cat")

    assert "req-9" == raised.value.request_id


def test_an_answer_without_a_request_id_gives_none(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(404, json={"message": "no such task"}))

    with pytest.raises(veo.NotFoundError) as raised:
        make_client().get("task-1")

    assert raised.value.request_id is None
    assert "request id" not in str(raised.value)


def test_every_request_names_this_client_in_its_user_agent(
    make_client: MakeClient, service: FakeService, tmp_path: Any
) -> None:
    make_client().generate("a cat", dest=tmp_path)

    agents = {
        request.headers["User-Agent"]
        for route in ("create", "get", "video")
        for request in service.sent(route)
    }
    assert {f"duomi-veo/{veo.__version__} ("} == {agent[: agent.index("(") + 1] for agent in agents}
    assert all("httpx " in agent for agent in agents)


def test_an_injected_clients_own_user_agent_is_kept(service: FakeService) -> None:
    http = httpx.Client(transport=httpx.MockTransport(service), headers={"User-Agent": "mine/1"})

    with veo.Veo(api_key=API_KEY, base_url="https://api.test", http_client=http) as client:
        client.create("a cat")

    assert "mine/1" == service.sent("create")[0].headers["User-Agent"]
    assert "mine/1" == http.headers["User-Agent"]  # used as it is, not changed


def test_the_default_clients_carry_the_user_agent() -> None:
    with veo.Veo(api_key=API_KEY) as client:
        agent = client._http.headers["User-Agent"]

    assert agent.startswith(f"duomi-veo/{veo.__version__} (Python ")
