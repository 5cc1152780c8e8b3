"""The public surface: pinned names, twin clients, nothing generated leaking out."""

from __future__ import annotations

import inspect
import subprocess
import sys
import traceback
import typing
from typing import Any

import pytest

import veo
import veo._errors
from veo._models import REQUEST_FIELDS

PUBLIC = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AspectRatio",
    "AsyncUploader",
    "AsyncVeo",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "CreateOutcomeUnknownError",
    "DefaultAioHttpClient",
    "DefaultHttpxClient",
    "DestinationExistsError",
    "DownloadError",
    "GenerationResult",
    "GenerationType",
    "InternalServerError",
    "InvalidRequestError",
    "LocalImage",
    "NoVideoError",
    "NotFoundError",
    "ObservedExchange",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PollSchedule",
    "Problem",
    "RateLimitError",
    "RequestTimeoutError",
    "RetryPolicy",
    "S3Destination",
    "S3Uploader",
    "TaskFailedError",
    "TaskState",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "UnusableVideoLinkError",
    "UploadError",
    "Uploader",
    "Veo",
    "VeoError",
    "VideoLinkExpiredError",
    "VideoRequest",
    "VideoTask",
    "WaitTimeoutError",
]


def test_all_is_sorted_and_pinned() -> None:
    assert PUBLIC == veo.__all__
    assert sorted(veo.__all__) == veo.__all__


def test_every_public_name_has_a_docstring() -> None:
    missing = [name for name in veo.__all__ if not inspect.getdoc(getattr(veo, name))]

    assert [] == missing


def public_methods(cls: type) -> dict[str, typing.Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") or name == "__init__"
    }


def shape(function: typing.Any) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


NO_IO = {"__init__", "observing"}
"""Methods that do no I/O: the same plain method on both clients."""


def test_sync_and_async_clients_have_the_same_methods() -> None:
    assert set(public_methods(veo.Veo)) == set(public_methods(veo.AsyncVeo))


@pytest.mark.parametrize("name", sorted(public_methods(veo.Veo)))
def test_sync_and_async_signatures_match(name: str) -> None:
    sync, async_ = public_methods(veo.Veo)[name], public_methods(veo.AsyncVeo)[name]

    assert shape(sync) == shape(async_)
    if callable(sync) and name not in NO_IO:
        assert inspect.iscoroutinefunction(async_)


def test_error_tree_docstring_names_every_error() -> None:
    errors = [
        name
        for name, obj in vars(veo._errors).items()
        if inspect.isclass(obj) and issubclass(obj, Exception)
    ]

    assert [] == [name for name in errors if name not in (veo._errors.__doc__ or "")]
    assert all(issubclass(getattr(veo, name), veo.VeoError) for name in errors)


def test_invalid_request_error_is_a_value_error() -> None:
    assert issubclass(veo.InvalidRequestError, ValueError)


@pytest.mark.parametrize("cls", [veo.Veo, veo.AsyncVeo])
def test_signatures_mention_no_generated_type_but_the_enums(cls: type) -> None:
    # The enums users name, and the request's fields as keyword arguments (generated
    # from the spec: veo_api.request_fields).
    allowed = {"AspectRatio", "GenerationType", "RequestFields"}
    leaks = []
    for name, method in public_methods(cls).items():
        hints = typing.get_type_hints(method)
        for hint in hints.values():
            for arg in [hint, *typing.get_args(hint)]:
                module = getattr(arg, "__module__", "")
                if module.startswith("veo_api") and arg.__name__ not in allowed:
                    leaks.append((name, arg))

    assert [] == leaks


def test_results_are_our_own_classes_named_from_the_public_module() -> None:
    for cls in (veo.VideoTask, veo.GenerationResult, veo.VideoRequest):
        assert "veo" == cls.__module__  # not veo_api's generated models, not veo._models


def test_a_traceback_names_the_public_error_not_the_private_module() -> None:
    line = traceback.format_exception_only(veo.WaitTimeoutError("task-1", 5, None))[-1]

    assert line.startswith("veo.WaitTimeoutError: task task-1 did not finish within 5s")


def imported_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert 0 == result.returncode, result.stderr
    return set(result.stdout.split())


def test_import_veo_imports_no_optional_extra() -> None:
    # httpx imports click and rich itself when they are installed (for its own CLI),
    # so what matters is what veo adds on top of httpx.
    added = {name.split(".")[0] for name in imported_by("import veo") - imported_by("import httpx")}

    extras = {"connexion", "uvicorn", "starlette", "typer", "click", "rich", "yaml", "jsonschema"}
    assert set() == added & extras
    assert {"veo.mock", "veo.testing", "veo.cli", "veo.check"}.isdisjoint(imported_by("import veo"))


def test_aiohttp_is_imported_only_when_an_async_client_is_made() -> None:
    assert "aiohttp" not in imported_by("import veo; veo.Veo('k').close()")
    assert "aiohttp" in imported_by("import veo; veo.AsyncVeo('k')")
    assert "aiohttp" in imported_by("import veo; veo.DefaultAioHttpClient")


def test_the_pytest_plugin_loads_without_the_mock_and_the_mock_without_the_plugin() -> None:
    """veo.testing (loaded by pytest in every environment holding veo) must not need the
    mock extra until a test asks for the fixture; the mock must not need pytest helpers."""
    assert {"veo.mock", "connexion"}.isdisjoint(imported_by("import veo.testing"))
    assert "veo.testing" not in imported_by("import veo.mock.__main__")


def test_mock_server_has_one_home_and_testing_re_exports_it() -> None:
    import veo.mock
    import veo.testing

    assert veo.mock.MockServer is veo.testing.MockServer
    assert "veo.mock._server" == veo.mock.MockServer.__module__


@pytest.mark.parametrize(
    "method",
    [veo.Veo.create, veo.Veo.generate, veo.AsyncVeo.create, veo.AsyncVeo.generate],
    ids=["Veo.create", "Veo.generate", "AsyncVeo.create", "AsyncVeo.generate"],
)
def test_create_and_generate_take_exactly_the_request_fields(method: Any) -> None:
    """The spec's request fields reach every entry point as typed keyword arguments."""
    from veo_api.request_fields import FIELDS, RequestFields

    parameters = list(inspect.signature(method).parameters.values())
    hints = typing.get_type_hints(method)

    assert ["self", "request"] == [p.name for p in parameters[:2]]
    assert inspect.Parameter.VAR_KEYWORD is parameters[-1].kind
    assert typing.Unpack[RequestFields] == hints[parameters[-1].name]
    assert {field.name for field in FIELDS} == set(REQUEST_FIELDS) - {"extra_body"}
    assert {field.name for field in FIELDS} == set(RequestFields.__annotations__)
    assert "extra_body" in [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
