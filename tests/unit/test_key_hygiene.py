"""The key and hostile input: no leak in any encoding, nothing unsendable sent.

Caught in the code before the fix: a two-line key leaked both keys (h11's "Illegal
header value" in stderr, --json, the retry log and the journal) and exited 6; a BOM
raised a raw UnicodeEncodeError; a key echoed as ``\\/`` leaked whole; a key straddling
the 200-character excerpt leaked its first characters; ``get("..")`` sent
``GET /v1/videos``; a lone surrogate raised a raw UnicodeEncodeError from httpx.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import veo
from veo._secret import Secret, check_key

from .conftest import FakeService, LazyStream

MakeClient = Callable[..., Any]

KEY = "sk-Zq7/Xw2+Rt9=Lm4&Hv8"


def runs(text: str, key: str = KEY, width: int = Secret.MIN_RUN) -> list[str]:
    """Every run of ``width`` characters of the key found in ``text``."""
    return [key[i : i + width] for i in range(len(key) - width + 1) if key[i : i + width] in text]


def json_escaped(key: str) -> str:
    return json.dumps(key)[1:-1].replace("/", "\\/")


def unicode_escaped(key: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in key)


# How a server may echo the key back: each is the raw text of a response body.
ECHOES = {
    "verbatim": lambda key: json.dumps({"message": f"bad key {key}"}),
    "slash-escaped": lambda key: '{"message": "bad key ' + json_escaped(key) + '"}',
    "unicode-escaped": lambda key: '{"message": "bad key ' + unicode_escaped(key) + '"}',
    "percent-encoded": lambda key: f"<html>bad key {quote(key, safe='')}</html>",
    "not-json": lambda key: f"bad key {key}",
    "at-the-excerpt-edge": lambda key: "x" * (200 - 5) + key,
    "half-of-it": lambda key: f"bad key {key[: len(key) // 2 + 1]}...",
    "hex": lambda key: json.dumps({"message": f"bad key 0x{key.encode().hex()}"}),
    "hex-upper": lambda key: json.dumps({"message": f"bad key {key.encode().hex().upper()}"}),
}


@pytest.mark.parametrize("status", [401, 500, 200])
@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_an_echoed_key_appears_in_no_error_or_log(
    make_client: MakeClient,
    service: FakeService,
    caplog: pytest.LogCaptureFixture,
    echo: str,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = ECHOES[echo](KEY).encode()

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, stream=LazyStream(body), headers={"X-Echo": quote(KEY)})

    service.script("get", reply, reply, reply)

    with pytest.raises(veo.APIError) as info:
        make_client(api_key=KEY).get("task-1")

    error = info.value
    shown = " ".join(
        [str(error), repr(error), repr(vars(error)), *(r.getMessage() for r in caplog.records)]
    )
    assert [] == runs(shown)
    assert [] == runs(shown.lower(), KEY.encode().hex(), 2 * Secret.MIN_RUN)
    assert "***" in shown


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("sk-SECRET-123\nsk-OLD-KEY-456", "2 non-empty lines"),
        ("sk-SECRET\x07123", "control character (U+0007) at position 10"),
        ("sk-SECRÉT-123", "non-ASCII character (U+00C9) at position 8"),
        ("sk-SECRET\t123", "control character (U+0009) at position 10"),
    ],
)
def test_keys_that_cannot_be_sent_are_refused_without_showing_them(key: str, where: str) -> None:
    with pytest.raises(veo.ConfigurationError, match=re.escape(where)) as info:
        veo.Veo(api_key=key)

    assert [] == runs(str(info.value), key=key)
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    "key", ["\ufeffsk-abc123456789", "  sk-abc123456789\r\n", "sk-abc123456789\n"]
)
def test_surrounding_space_a_trailing_newline_and_a_bom_are_removed(key: str) -> None:
    assert "sk-abc123456789" == check_key(key)


def test_a_bearer_key_keeps_its_inner_space() -> None:
    assert "Bearer sk-abc123456789" == check_key("Bearer sk-abc123456789")


@pytest.mark.parametrize("task_id", [".", "..", " .. ", ""])
def test_ids_that_would_change_the_path_are_refused_before_sending(
    make_client: MakeClient, service: FakeService, task_id: str
) -> None:
    with pytest.raises(veo.InvalidRequestError, match="task_id"):
        make_client().get(task_id)

    assert [] == service.requests


@pytest.mark.parametrize("task_id", ["a/b", "x?y=1", "id#frag", "..a", "a.."])
def test_other_odd_ids_stay_one_path_segment(
    make_client: MakeClient, service: FakeService, task_id: str
) -> None:
    make_client().get(task_id)

    path = service.requests[0].url.raw_path.decode()
    assert path.startswith("/v1/videos/tasks/")
    assert "/" not in path.removeprefix("/v1/videos/tasks/")


def test_a_lone_surrogate_is_a_problem_naming_the_field(
    make_client: MakeClient, service: FakeService
) -> None:
    with pytest.raises(veo.InvalidRequestError) as info:
        make_client().create("a cat \ud83d", image_urls=["https://img.test/\udc00.jpg"])

    assert ["prompt", "image_urls[0]"] == [p.field for p in info.value.problems][:2]
    assert [] == service.requests


def test_a_lone_surrogate_in_an_id_is_refused(
    make_client: MakeClient, service: FakeService
) -> None:
    with pytest.raises(veo.InvalidRequestError, match="UTF-8"):
        make_client().get("task-\ud83d")

    assert [] == service.requests


def test_terminal_text_is_neutralised_and_never_markup() -> None:
    from veo.cli._output import safe_text

    assert "\\x1b[31mred [bold]x[/bold] \\u202e" == safe_text("\x1b[31mred [bold]x[/bold] \u202e")


# How a task's message may hold the key: the text inside the JSON string.
IN_A_MESSAGE = {
    "verbatim": lambda key: key,
    "slash-escaped": json_escaped,
    "unicode-escaped": unicode_escaped,
    "half-of-it": lambda key: key[: len(key) // 2 + 1],
}


@pytest.mark.parametrize("echo", sorted(IN_A_MESSAGE))
def test_a_failed_task_that_echoes_the_key_shows_it_nowhere(
    make_client: MakeClient, service: FakeService, caplog: pytest.LogCaptureFixture, echo: str
) -> None:
    """Caught before: only non-2xx answers were redacted; a task answering ``state:
    error`` with the key in its message showed it in TaskFailedError's text, in
    ``task.message`` and ``task.raw`` (and so in ``veo status``, ``veo wait`` and the
    batch journal)."""
    caplog.set_level(logging.DEBUG)
    body = (
        '{"id": "task-1", "state": "error", "progress": 100, '
        f'"message": "rejected: {IN_A_MESSAGE[echo](KEY)}"}}'
    ).encode()
    service.script("get", httpx.Response(200, content=body), httpx.Response(200, content=body))
    client = make_client(api_key=KEY)

    task = client.get("task-1")
    with pytest.raises(veo.TaskFailedError) as info:
        client.wait("task-1")

    shown = " ".join(
        [
            str(task.message),
            json.dumps(dict(task.raw)),
            str(info.value),
            repr(info.value),
            *(r.getMessage() for r in caplog.records),
        ]
    )
    assert [] == runs(shown)
    assert "rejected: ***" in str(task.message)


@pytest.mark.parametrize("key", ["test", "bad", "abcd"])
def test_a_short_key_leaves_ordinary_text_alone_and_is_still_redacted_itself(key: str) -> None:
    """Caught before: a 3-4 character key's base64 fragments (one or two characters)
    matched ordinary text: ``401`` read ``4***1``, ``Unauthorized`` ``Unauthor***zed``."""
    secret = Secret(key)
    text = "AuthenticationError 401: Unauthorized (the service said so)"

    assert text == secret.redact(text)
    assert "key *** refused" == secret.redact(f"key {key} refused")


def test_a_short_keys_error_text_is_not_garbled(
    make_client: MakeClient, service: FakeService
) -> None:
    service.script("get", httpx.Response(401, json={"message": "Unauthorized"}))

    with pytest.raises(veo.AuthenticationError) as info:
        make_client(api_key="test").get("task-1")

    assert "Unauthorized" in str(info.value)
    assert 401 == info.value.status_code


def test_a_record_logged_during_a_call_loses_the_key_in_its_traceback_and_stack(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from veo._secret import calling_with

    secret = Secret(KEY)  # puts the filter on the loggers
    logger = logging.getLogger("httpcore.http11")
    caplog.set_level(logging.DEBUG, logger="httpcore.http11")
    with calling_with(secret):
        try:
            raise ValueError(f"echoed {KEY}")
        except ValueError:
            logger.debug("answer %s", KEY, exc_info=True, stack_info=True)
    logger.debug("outside a call %s", "as it is")

    during, outside = caplog.records
    assert [] == runs(during.getMessage() + (during.exc_text or "") + (during.stack_info or ""))
    assert "answer ***" == during.getMessage()
    assert "outside a call as it is" == outside.getMessage()
