"""Waiting for a task: the polling schedule and the wait loop, written once.

The clients only fetch and sleep; every decision (what counts as done, failed,
transient, too late; how long to sleep; when to report progress) is made here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from veo._errors import APIError, APIStatusError, TaskFailedError, WaitTimeoutError
from veo._http import Deadline
from veo._models import TaskState, VideoTask
from veo._retry import RetryPolicy, should_retry

__all__ = ["FinishEstimate", "PollSchedule", "WaitLoop"]

logger = logging.getLogger("veo")


@attrs.frozen
class PollSchedule:
    """When to poll a task: a delay that starts short and backs off.

    The delay before poll ``n + 1`` is ``initial * factor ** n``, capped at
    ``max_delay`` while the task is younger than ``late_after`` seconds and at
    ``late_max_delay`` after that. The first poll is immediate. With the defaults the
    polls land at 0, 2, 5, 9.5, 16.25, 26.25 s, then every 10 s until two minutes, then
    every 20 s: a 60-second task is seen 6.25 s after it finishes, at the 10th poll; a
    6-minute one at the 28th.
    """

    initial: float = attrs.field(default=2.0, validator=attrs.validators.gt(0))
    factor: float = attrs.field(default=1.5, validator=attrs.validators.ge(1))
    max_delay: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    late_after: float = attrs.field(default=120.0, validator=attrs.validators.ge(0))
    late_max_delay: float = attrs.field(default=20.0, validator=attrs.validators.gt(0))

    def delay(self, polls_done: int, elapsed: float) -> float:
        """Seconds to sleep after ``polls_done`` polls, ``elapsed`` seconds in."""
        cap = self.max_delay if elapsed < self.late_after else self.late_max_delay
        # Bound the exponent: a very long wait must not overflow the float.
        return float(min(cap, self.initial * self.factor ** min(polls_done - 1, 64)))


ProgressCallback = Callable[[VideoTask], object]

ETA_MARGIN = 0.5
"""Seconds after the estimated finish at which the poll is placed."""


@attrs.define
class FinishEstimate:
    """When a task will finish, from the progress it reports, assumed linear in time.

    The first report (at any progress) and the latest one with more progress give a
    rate; no estimate before two reports differ, or when progress goes back.
    """

    _first: tuple[float, int] | None = None
    _latest: tuple[float, int] | None = None

    def observe(self, now: float, progress: int | None) -> None:
        """Take the progress reported at ``now`` (None: not reported)."""
        if progress is None:
            return
        if self._first is None:
            self._first = (now, progress)
        elif progress > (self._latest or self._first)[1]:
            self._latest = (now, progress)

    def finish_at(self) -> float | None:
        """The estimated moment of 100 %, on the clock ``observe`` was given, or None."""
        if self._first is None or self._latest is None:
            return None
        (t1, p1), (t2, p2) = self._first, self._latest
        if t2 <= t1:
            return None
        return t2 + (100 - p2) * (t2 - t1) / (p2 - p1)


class WaitLoop:
    """The state of one ``wait`` call.

    Usage (the sync client; the async one awaits the same two calls)::

        loop = WaitLoop(task_id, timeout, on_progress, schedule, policy, clock)
        while True:
            outcome = fetch(loop.task_id, loop.deadline)  # one attempt: a VideoTask,
            result = loop.step(outcome)                   # or the APIError raised
            if isinstance(result, VideoTask):
                return result
            sleep(result)                                 # seconds

    Each poll is a single attempt bounded by ``deadline``; a failed poll that
    ``should_retry`` calls transient is followed by the next poll, so there is no
    retry loop inside the poll loop.
    """

    def __init__(
        self,
        task_id: str,
        timeout: float,
        on_progress: ProgressCallback | None,
        schedule: PollSchedule,
        policy: RetryPolicy,
        clock: Callable[[], float],
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout: must be positive, got {timeout!r}")
        self.task_id = task_id
        self._timeout = timeout
        self._on_progress = on_progress
        self._schedule = schedule
        self._policy = policy
        self._clock = clock
        self._start = clock()
        self.deadline = Deadline(self._start + timeout, clock)
        self._polls = 0
        self._last: VideoTask | None = None
        self._unknown_logged: set[str] = set()
        self._at_deadline = False
        self._estimate = FinishEstimate()

    def step(self, outcome: VideoTask | APIError) -> VideoTask | float:
        """Take one poll's outcome; return the finished task or the seconds to sleep.

        Raises:
            TaskFailedError: the task failed.
            WaitTimeoutError: the deadline passed before the task finished.
            APIError: a poll failed in a way retrying cannot fix (401, 404, ...).
        """
        self._polls += 1
        floor = 0.0
        if isinstance(outcome, APIError):
            if not should_retry(outcome, policy=self._policy, safe_create=False):
                raise outcome
            logger.info("poll of task %s failed, will poll again: %s", self.task_id, outcome)
            if isinstance(outcome, APIStatusError) and outcome.retry_after is not None:
                floor = outcome.retry_after
        else:
            self._observe(outcome)
            if outcome.state is TaskState.SUCCEEDED:
                return outcome
            if outcome.state is TaskState.FAILED:
                raise TaskFailedError(outcome)
        now = self._clock()
        elapsed = now - self._start
        remaining = self._timeout - elapsed
        if remaining <= 0 or self._at_deadline:
            raise WaitTimeoutError(self.task_id, self._timeout, self._last)
        delay = max(floor, self._planned(now, elapsed))
        # The poll after a sleep that reaches the deadline is the last one, even if the
        # clock's rounding leaves a residue of "time left" too small to ever pass.
        self._at_deadline = delay >= remaining
        return min(delay, remaining)

    def _planned(self, now: float, elapsed: float) -> float:
        """The schedule's delay, or less when the progress says the task ends sooner:
        then the poll lands just after the estimated finish, but never sooner than the
        schedule's first delay (its floor)."""
        planned = self._schedule.delay(self._polls, elapsed)
        finish = self._estimate.finish_at()
        if finish is not None:
            planned = min(planned, max(self._schedule.initial, finish - now + ETA_MARGIN))
        return planned

    def _observe(self, task: VideoTask) -> None:
        self._estimate.observe(self._clock(), task.progress)
        previous = self._last
        self._last = task
        if task.state is TaskState.UNKNOWN and task.raw_state not in self._unknown_logged:
            self._unknown_logged.add(task.raw_state)
            logger.warning(
                "task %s reports an unknown state %r; still polling", task.id, task.raw_state
            )
        changed = previous is None or (previous.state, previous.progress, previous.raw_state) != (
            task.state,
            task.progress,
            task.raw_state,
        )
        if changed and self._on_progress is not None:
            self._on_progress(task)
