"""When to retry, and how long to wait: two small pure functions and their policy.

Reads (task status, downloads) are idempotent and retry on connection errors,
timeouts, 408, 429 and 5xx. Creating a task costs money, so a create is retried only
when the request provably never left this machine (it could not connect) or the
service refused it outright (429). Everything else that happens after sending makes
the outcome unknown; ``veo._http`` turns it into ``CreateOutcomeUnknownError``
unless the user opted in to unsafe create retries.

The loop is a plain ``while`` in each client around :class:`Retries`, which counts the
attempts and asks the two pure functions; every decision is made here, once. The
polls inside ``wait`` are single attempts: ``WaitLoop`` asks ``should_retry`` too,
so there is no retry loop nested in the poll loop.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable

import attrs

from veo._errors import APIConnectionError, APIStatusError, DownloadError

__all__ = [
    "Retries",
    "RetryPolicy",
    "backoff",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

logger = logging.getLogger("veo")

RETRYABLE_STATUSES = frozenset({408, 429})


@attrs.frozen
class RetryPolicy:
    """How many times to retry and how long to wait between attempts.

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: the first backoff, in seconds; it doubles on each retry.
        max_delay: the longest backoff, in seconds.
        max_retry_after: the longest ``Retry-After`` honoured; a longer one raises
            ``RateLimitError`` (or the status error) at once with ``.retry_after`` set.
        jitter: spread backoffs over [50%, 100%] of their value, so that many
            clients do not retry in step.
    """

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    initial_delay: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    jitter: bool = True


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def should_retry(error: BaseException, *, policy: RetryPolicy, safe_create: bool) -> bool:
    """Decide whether ``error`` (already converted to a ``veo`` error) is retried.

    ``safe_create`` is True for a create without the unsafe opt-in: then only a
    connection that never sent the request and a 429 are retried. (``veo._http``
    has already turned the failures after sending into ``CreateOutcomeUnknownError``,
    which is never retried.)
    """
    if isinstance(error, APIStatusError):
        if error.retry_after is not None and error.retry_after > policy.max_retry_after:
            return False
        if safe_create:
            return error.status_code == 429
        return error.status_code in RETRYABLE_STATUSES or error.status_code >= 500
    if isinstance(error, APIConnectionError):
        return not (safe_create and error.request_sent)
    # Bytes that came short, long or cut: the next attempt starts afresh. A disk that
    # refused (errno set) would refuse again.
    return isinstance(error, DownloadError) and error.errno is None and not safe_create


def backoff(attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff for retry number ``attempt`` (1-based), with jitter."""
    delay = min(policy.max_delay, policy.initial_delay * 2.0 ** min(attempt - 1, 64))
    return delay * (0.5 + rand() / 2) if policy.jitter else delay


def retry_delay(
    error: BaseException | None,
    attempt: int,
    policy: RetryPolicy,
    rand: Callable[[], float] = random.random,
) -> float:
    """How long to wait before retry number ``attempt``: ``Retry-After`` if given."""
    if isinstance(error, APIStatusError) and error.retry_after is not None:
        return error.retry_after
    return backoff(attempt, policy, rand)


class Retries:
    """The retry budget of one call: the one place that decides whether to retry.

    Both clients drive it with the same plain loop (openai-python's shape)::

        retries = Retries(policy, safe_create=..., deadline=...)
        while True:
            try:
                return send_once()
            except APIError as error:
                delay = retries.delay_after(error)   # None: give up
                if delay is None:
                    raise
            sleep(delay)

    Args:
        policy: how many retries and how long between them.
        safe_create: the call is a create without the unsafe opt-in.
        remaining: seconds left before the call's deadline, as a function (None: no
            deadline). A retry whose delay would reach the deadline is not made.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        safe_create: bool = False,
        remaining: Callable[[], float | None] = lambda: None,
    ) -> None:
        self._policy = policy
        self._safe_create = safe_create
        self._remaining = remaining
        self.attempts = 0

    def delay_after(self, error: BaseException) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up."""
        self.attempts += 1
        if self.attempts > self._policy.max_retries or not should_retry(
            error, policy=self._policy, safe_create=self._safe_create
        ):
            return None
        delay = retry_delay(error, self.attempts, self._policy)
        remaining = self._remaining()
        if remaining is not None and delay >= remaining:
            return None
        logger.info("attempt %d failed (%s); retrying in %.2fs", self.attempts, error, delay)
        return delay
