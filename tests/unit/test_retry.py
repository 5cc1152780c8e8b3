"""The retry decision and delay: pure functions."""

from __future__ import annotations

import email.utils

import pytest

from veo import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    CreateOutcomeUnknownError,
    DownloadError,
    InvalidRequestError,
    RateLimitError,
    RetryPolicy,
)
from veo._retry import backoff, parse_retry_after, retry_delay, should_retry
from veo._rules import Problem

POLICY = RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=4.0, max_retry_after=30.0)


def status(code: int, retry_after: float | None = None) -> APIStatusError:
    return APIStatusError("x", status_code=code, retry_after=retry_after)


@pytest.mark.parametrize(
    ("error", "read", "safe_create"),
    [
        (APIConnectionError("refused", request_sent=False), True, True),
        (APITimeoutError("connect timeout", request_sent=False), True, True),
        (APIConnectionError("reset", request_sent=True), True, False),
        (APITimeoutError("read timeout", request_sent=True), True, False),
        (status(408), True, False),
        (status(429), True, True),
        (status(500), True, False),
        (status(503), True, False),
        (status(520), True, False),
        (status(400), False, False),
        (status(401), False, False),
        (status(404), False, False),
        (CreateOutcomeUnknownError(status(500)), False, False),
        (DownloadError("short"), True, False),
        (DownloadError("disk full", errno=28), False, False),
        (InvalidRequestError([Problem("f", "r")]), False, False),
        (ValueError("x"), False, False),
    ],
)
def test_should_retry(error: BaseException, read: bool, safe_create: bool) -> None:
    assert (read, safe_create) == (
        should_retry(error, policy=POLICY, safe_create=False),
        should_retry(error, policy=POLICY, safe_create=True),
    )


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    error = RateLimitError("slow down", status_code=429, retry_after=31.0)

    assert not should_retry(error, policy=POLICY, safe_create=False)
    assert not should_retry(error, policy=POLICY, safe_create=True)


def test_backoff_doubles_up_to_the_cap_without_jitter() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0, jitter=False)

    assert [0.5, 1.0, 2.0, 4.0, 4.0] == [backoff(n, policy) for n in range(1, 6)]


@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_jitter_keeps_backoff_between_half_and_full(rand: float) -> None:
    delay = backoff(3, POLICY, rand=lambda: rand)

    assert 1.0 <= delay <= 2.0


def test_backoff_does_not_overflow_for_huge_attempt_numbers() -> None:
    assert 4.0 == backoff(10_000, RetryPolicy(max_delay=4.0, jitter=False))


def test_retry_delay_prefers_retry_after() -> None:
    assert 7.0 == retry_delay(status(503, retry_after=7.0), 1, POLICY)


def test_retry_delay_falls_back_to_backoff() -> None:
    assert 0.5 == retry_delay(status(503), 1, POLICY, rand=lambda: 1.0)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (" 2.5 ", 2.5), ("0", 0.0), ("-3", 0.0), ("soon", None), (None, None)],
)
def test_parse_retry_after_seconds(header: str | None, seconds: float | None) -> None:
    assert seconds == parse_retry_after(header)


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 12, usegmt=True)

    assert 12.0 == parse_retry_after(header, now=now)


def test_policy_rejects_negative_retries() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
