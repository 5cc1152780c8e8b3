"""The contract both ways: what veo reads is in the spec, and what it sends is all sent."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import yaml

import veo
from facade_fields import operation_sources, spec_problems, vendor_problems
from veo import _http
from veo._secret import Secret
from veo._wire import FIELDS, Field

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "openapi" / "vendor"
TASK_DOCUMENT = "veo-task-status.apifox.md"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (ROOT / "openapi" / "veo.yaml").read_text(encoding="utf-8")
    )
    return loaded


@pytest.mark.parametrize("field", FIELDS, ids=str)
def test_every_field_veo_reads_is_in_the_effective_spec_with_its_type(
    field: Field, spec: dict[str, Any]
) -> None:
    assert [] == spec_problems(spec, (field,), operation_sources(VENDOR))


class Recording(dict[str, Any]):
    """A JSON object that notes the path of every key looked up in it (not copies)."""

    def __init__(self, data: dict[str, Any], seen: set[str], path: str = "") -> None:
        super().__init__(
            {k: _recording(v, seen, f"{path}.{k}".lstrip(".")) for k, v in data.items()}
        )
        self._seen = seen
        self._path = path

    def _note(self, key: object) -> None:
        self._seen.add(f"{self._path}.{key}".lstrip("."))

    def get(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return super().__contains__(key)


def _recording(value: Any, seen: set[str], path: str) -> Any:
    if isinstance(value, dict):
        return Recording(value, seen, path)
    if isinstance(value, list):
        return [_recording(item, seen, f"{path}[]") for item in value]
    return value


TASK = {
    "id": "t1",
    "state": "succeeded",
    "data": {"videos": [{"url": "https://cdn.test/a.mp4", "cover": "x"}], "extra": 1},
    "progress": 100,
    "create_time": 1764000000,
    "update_time": 1764000042,
    "message": "",
    "action": "generate",
    "cost": 3,
}
ERROR = {
    "message": "m",
    "msg": "m",
    "error": {"message": "m", "code": 7, "type": "t"},
    "detail": "d",
    "title": "t",
    "code": 7,
    "status": 400,
    "trace": "x",
}


def read_keys(build: Any, body: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    build(Recording(body, seen))
    return seen


def paths(operation: str, status: str = "200") -> set[str]:
    """The listed fields' paths, with the objects on the way (``data`` for ``data.videos``)."""
    listed = {f.path for f in FIELDS if f.operation in (operation, "*") and f.status == status}
    return {path.rsplit(".", n)[0] for path in listed for n in range(path.count(".") + 1)}


def test_the_task_answer_is_read_through_the_listed_fields_only() -> None:
    seen = read_keys(veo.VideoTask.from_json, TASK)

    assert seen <= paths("getVideoTask")
    assert {"id", "state", "progress", "data.videos[].url"} <= seen


def test_the_create_answer_is_read_through_the_listed_fields_only() -> None:
    seen = read_keys(veo.VideoTask.from_created, {"task_id": "t", "state": "x", "cost": 1})

    assert {"id", "task_id"} == seen == paths("createVideoGeneration")


def test_recordings_and_the_baseline_read_answers_through_the_listed_fields_only() -> None:
    """Not only the client: the other readers of an answer go through the table too."""
    from veo._recording import RecordedExchange, created_id
    from veo.check._baseline import shapes

    created = read_keys(created_id, {"task_id": "t", "state": "x", "cost": 1})
    exchange = RecordedExchange("poll", "getVideoTask", "GET", "/x", 200)
    baseline = read_keys(lambda body: shapes([attrs.evolve(exchange, body=body)]), TASK)

    assert {"id", "task_id"} == created == paths("createVideoGeneration")
    assert {"state"} == baseline  # the rest it walks as shapes, not as fields it reads
    assert baseline <= paths("getVideoTask")


def test_error_answers_are_read_through_the_listed_fields_only() -> None:
    def build(body: dict[str, Any]) -> None:
        _http._message(body)

    def each_shape() -> Iterator[dict[str, Any]]:
        yield ERROR
        yield {"error": "plain text", "code": "x"}
        yield {"error": {"code": 3}}
        yield {}

    seen = set().union(*(read_keys(build, body) for body in each_shape()))

    assert seen <= paths("*", "default")
    assert seen == paths("*", "default")  # and every listed one is read


def test_a_renamed_task_field_is_named_with_its_vendor_document(spec: dict[str, Any]) -> None:
    changed = copy.deepcopy(spec)
    task = changed["paths"]["/v1/videos/tasks/{task_id}"]["get"]["responses"]["200"]
    properties = task["content"]["application/json"]["schema"]["properties"]
    properties["status"] = properties.pop("state")
    properties["progress"] = {"type": "string"}

    problems = spec_problems(changed, FIELDS, operation_sources(VENDOR))

    assert [
        "getVideoTask response field state (string): veo reads it, and the effective spec "
        f"does not have it as veo expects (state is not there; vendor document {TASK_DOCUMENT})",
        "getVideoTask response field progress (integer): veo reads it, and the effective spec "
        f"does not have it as veo expects (the spec gives it string; vendor document "
        f"{TASK_DOCUMENT})",
    ] == sorted(problems, key=lambda line: "progress" in line)


def test_the_vendor_documents_as_committed_hold_every_field_they_define(
    spec: dict[str, Any],
) -> None:
    from facade_fields import operations
    from vendor_docs import vendor_spec

    places = operations(spec)

    assert [] == vendor_problems(vendor_spec(VENDOR), FIELDS, operation_sources(VENDOR), places)
    assert {"getVideoTask", "createVideoGeneration"} <= places.keys()


def test_every_argument_of_a_generated_request_is_sent() -> None:
    secret = Secret("k")
    with veo.Veo("k", base_url="https://api.test") as client:
        created = client._create_request(veo.VideoRequest("p"))
        fetched = client._get_request("a/b")

    assert ("POST", "https://api.test/v1/videos/generations") == (
        created.method,
        str(created.url),
    )
    assert b'"prompt":"p"' in created.read().replace(b" ", b"")
    assert "https://api.test/v1/videos/tasks/a%2Fb" == str(fetched.url)
    assert secret.reveal() == fetched.headers["Authorization"]


def test_query_parameters_a_generated_operation_emits_are_sent() -> None:
    kwargs = {"method": "get", "url": "/v1/x", "params": {"page": 2}, "headers": {}}
    with veo.Veo("k", base_url="https://api.test") as client:
        request = client._api_request(_http._forwarded("op", kwargs))

    assert httpx.URL("https://api.test/v1/x?page=2") == request.url


def test_an_argument_veo_does_not_send_fails_loudly_naming_it() -> None:
    kwargs = {"method": "get", "url": "/v1/x", "cookies": {"a": "1"}}

    with pytest.raises(RuntimeError, match=r"getVideoTask: the generated request has cookies"):
        _http._forwarded("getVideoTask", kwargs)
