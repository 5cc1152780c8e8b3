"""Errors, tasks and requests cross process boundaries: ``concurrent.futures`` and
``multiprocessing`` pickle what a worker returns or raises, and a paid task's id must
reach the parent whole."""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import veo
from veo.mock import MockServer, parse_rule

TASK = veo.VideoTask.from_json(
    {"id": "t1", "state": "error", "message": "policy", "data": {"videos": []}, "extra": [1]}
)
STATUS = {"status_code": 429, "body": {"message": "slow"}, "headers": {"retry-after": "3"}}

ERRORS: dict[str, Callable[[], veo.VeoError]] = {
    "VeoError": lambda: veo.VeoError("plain"),
    "ConfigurationError": lambda: veo.ConfigurationError("no key"),
    "InvalidRequestError": lambda: invalid_request(),
    "APIError": lambda: veo.APIError("failed"),
    "APIConnectionError": lambda: veo.APIConnectionError("reset", request_sent=True),
    "APITimeoutError": lambda: veo.APITimeoutError("slow", request_sent=False),
    "APIStatusError": lambda: veo.APIStatusError("teapot", status_code=418, request_id="r1"),
    "BadRequestError": lambda: veo.BadRequestError("bad", status_code=400, code=7),
    "AuthenticationError": lambda: veo.AuthenticationError("key", status_code=401),
    "PaymentRequiredError": lambda: veo.PaymentRequiredError("balance", status_code=402),
    "PermissionDeniedError": lambda: veo.PermissionDeniedError("no", status_code=403),
    "NotFoundError": lambda: veo.NotFoundError("gone", status_code=404),
    "RequestTimeoutError": lambda: veo.RequestTimeoutError("late", status_code=408),
    "ConflictError": lambda: veo.ConflictError("busy", status_code=409),
    "UnprocessableEntityError": lambda: veo.UnprocessableEntityError("no", status_code=422),
    "RateLimitError": lambda: veo.RateLimitError("slow", retry_after=3.0, **STATUS),
    "InternalServerError": lambda: veo.InternalServerError("oops", status_code=502),
    "VideoLinkExpiredError": lambda: veo.VideoLinkExpiredError("expired", status_code=410),
    "UnexpectedResponseError": lambda: veo.UnexpectedResponseError(
        "not JSON", status_code=200, body_excerpt="<html>", request_id="r2"
    ),
    "NoVideoError": lambda: veo.NoVideoError(TASK),
    "UnusableVideoLinkError": lambda: veo.UnusableVideoLinkError(TASK, "must be http(s)"),
    "UploadError": lambda: veo.UploadError("failed", field="image_urls[0]", name="a.png"),
    "CreateOutcomeUnknownError": lambda: veo.CreateOutcomeUnknownError(
        veo.APIConnectionError("reset", request_sent=True)
    ),
    "TaskFailedError": lambda: veo.TaskFailedError(TASK),
    "WaitTimeoutError": lambda: veo.WaitTimeoutError("t1", 30, TASK),
    "DownloadError": lambda: veo.DownloadError("disk full", path="/v.mp4", errno=28, task_id="t1"),
    "DestinationExistsError": lambda: veo.DestinationExistsError("/v.mp4", task_id="t1"),
}


def invalid_request() -> veo.InvalidRequestError:
    with pytest.raises(veo.InvalidRequestError) as caught:
        veo.VideoRequest(prompt="a cat", image_urls=["ftp://x"] * 4).to_model()
    return caught.value


def test_every_public_error_has_a_case_here() -> None:
    public = {
        name
        for name in veo.__all__
        if isinstance(getattr(veo, name), type) and issubclass(getattr(veo, name), veo.VeoError)
    }
    assert public == set(ERRORS)


def attributes(value: Any) -> Any:
    """What a user reads off a value, comparable across a pickle round trip."""
    if isinstance(value, BaseException):
        return (type(value), str(value), value.args, attributes(vars(value)))
    if isinstance(value, dict):
        return {key: attributes(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_an_error_survives_pickle_and_copy_with_its_message_and_attributes(name: str) -> None:
    error = ERRORS[name]()

    for back in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error), copy.copy(error)):
        assert type(error) is type(back)
        assert attributes(error) == attributes(back)
        assert error.task_id == back.task_id
        assert error.request_id == back.request_id


def test_a_destination_error_is_still_a_file_exists_error_naming_its_file() -> None:
    back = pickle.loads(pickle.dumps(veo.DestinationExistsError("/v.mp4", task_id="t1")))

    assert isinstance(back, FileExistsError)
    assert (17, "/v.mp4", "/v.mp4", "t1") == (back.errno, back.filename, back.path, back.task_id)


@pytest.mark.parametrize(
    "value",
    [
        TASK,
        veo.VideoRequest(prompt="a cat", image_urls="https://x/a.png", extra_body={"seed": 3}),
        veo.GenerationResult(task=TASK, path=Path("/v.mp4")),
    ],
    ids=["VideoTask", "VideoRequest", "GenerationResult"],
)
def test_tasks_and_requests_survive_pickle_and_copy(value: Any) -> None:
    for back in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value)):
        assert value == back
        assert repr(value) == repr(back)


def test_a_task_from_a_pickle_keeps_its_body_read_only() -> None:
    task = pickle.loads(pickle.dumps(TASK))

    with pytest.raises(TypeError):
        task.raw["id"] = "t2"  # type: ignore[index]


# --- real processes ----------------------------------------------------------------------

FAST = veo.PollSchedule(initial=0.01, factor=1, max_delay=0.01, late_max_delay=0.01)


def wait_in_a_worker(url: str, key: str, task_id: str) -> veo.VideoTask:
    with veo.Veo(key, base_url=url, poll_schedule=FAST) as client:
        return client.wait(task_id, timeout=30)


def create_in_a_worker(url: str, key: str) -> veo.VideoTask:
    with veo.Veo(key, base_url=url) as client:
        return client.create("a cat")


@pytest.fixture(scope="module")
def workers() -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    context = multiprocessing.get_context("spawn")  # the default on Windows and macOS
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        yield pool


def test_a_failed_task_reaches_the_parent_as_task_failed_with_its_id(
    workers: concurrent.futures.ProcessPoolExecutor,
) -> None:
    with MockServer() as server:
        server.faults.add(parse_rule("task-failed"))
        with server.client() as client:
            task = client.create("a cat")

        future = workers.submit(wait_in_a_worker, server.url, server.api_key, task.id)
        with pytest.raises(veo.TaskFailedError) as caught:
            future.result(timeout=60)

    assert task.id == caught.value.task_id == caught.value.task.id
    assert "failed" in str(caught.value)


def test_a_create_whose_outcome_is_unknown_reaches_the_parent_with_its_cause(
    workers: concurrent.futures.ProcessPoolExecutor,
) -> None:
    with MockServer() as server:
        server.faults.add(parse_rule("reset-after,route=create,times=1"))
        future = workers.submit(create_in_a_worker, server.url, server.api_key)
        with pytest.raises(veo.CreateOutcomeUnknownError) as caught:
            future.result(timeout=60)

    assert isinstance(caught.value.cause, veo.APIConnectionError)
    assert caught.value.cause.request_sent is True


def test_a_finished_task_comes_back_from_a_worker_equal_to_the_parents_view(
    workers: concurrent.futures.ProcessPoolExecutor,
) -> None:
    with MockServer() as server, server.client() as client:
        task = client.create("a cat")
        finished = workers.submit(wait_in_a_worker, server.url, server.api_key, task.id).result(
            timeout=60
        )

        assert veo.TaskState.SUCCEEDED is finished.state
        assert client.get(task).video_urls == finished.video_urls
