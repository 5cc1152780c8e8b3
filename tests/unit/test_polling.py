"""The polling schedule and the wait loop's decisions (no I/O)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from veo import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    PollSchedule,
    RetryPolicy,
    TaskFailedError,
    TaskState,
    VideoTask,
    WaitTimeoutError,
)
from veo._polling import FinishEstimate, WaitLoop

from .conftest import FakeClock


def simulate(schedule: PollSchedule, duration: float) -> tuple[int, float]:
    """Polls issued and detection lag for a task that finishes after ``duration``."""
    now, polls = 0.0, 0
    while True:
        polls += 1
        if now >= duration:
            return polls, now - duration
        now += schedule.delay(polls, now)


def test_schedule_backs_off_from_the_initial_delay() -> None:
    schedule = PollSchedule()

    assert [2.0, 3.0, 4.5, 6.75, 10.0, 10.0] == [schedule.delay(n, 0.0) for n in range(1, 7)]


def test_schedule_uses_the_late_cap_after_late_after() -> None:
    assert 20.0 == PollSchedule().delay(30, 121.0)


@pytest.mark.parametrize(("duration", "max_polls", "max_lag"), [(60, 10, 10), (360, 40, 20)])
def test_schedule_meets_its_documented_economy(
    duration: float, max_polls: int, max_lag: float
) -> None:
    polls, lag = simulate(PollSchedule(), duration)

    assert polls <= max_polls
    assert lag <= max_lag


def test_schedule_does_not_overflow() -> None:
    assert 10.0 == PollSchedule().delay(10_000, 0.0)


def loop(clock: FakeClock, timeout: float = 100.0, seen: list[VideoTask] | None = None) -> WaitLoop:
    callback = seen.append if seen is not None else None
    return WaitLoop("t", timeout, callback, PollSchedule(), RetryPolicy(), clock)


def task(state: str, progress: int | None = None) -> VideoTask:
    return VideoTask.from_json({"id": "t", "state": state, "progress": progress})


def test_success_returns_the_task(clock: FakeClock) -> None:
    done = task("succeeded", 100)

    assert done is loop(clock).step(done)


def test_failure_raises_with_the_task(clock: FakeClock) -> None:
    failed = task("error")

    with pytest.raises(TaskFailedError) as info:
        loop(clock).step(failed)

    assert failed is info.value.task


def test_running_returns_the_next_delay(clock: FakeClock) -> None:
    assert 2.0 == loop(clock).step(task("running", 5))


def test_delay_never_passes_the_deadline(clock: FakeClock) -> None:
    waiting = loop(clock, timeout=1.5)

    assert 1.5 == waiting.step(task("running"))


@pytest.mark.parametrize("start", [0.0, 8018.907899135914, 261816.58520379584])
def test_the_poll_at_the_deadline_is_the_last_whatever_the_clocks_rounding(
    clock: FakeClock, start: float
) -> None:
    """Found with a virtual clock: after sleeping exactly the time left, float rounding
    can leave a residue too small to move a large clock, and the loop polled forever."""
    clock.now = start
    waiting = loop(clock, timeout=600.0)

    def poll_until_it_gives_up() -> int:
        for polls in range(1, 1000):
            try:
                clock.now += waiting.step(task("pending"))
            except WaitTimeoutError:
                return polls
        return 1000

    assert poll_until_it_gives_up() < 100


def test_deadline_raises_with_the_task_id_and_last_state(clock: FakeClock) -> None:
    waiting = loop(clock, timeout=5.0)
    waiting.step(task("running", 40))
    clock.now += 5.0

    with pytest.raises(WaitTimeoutError) as info:
        waiting.step(task("running", 50))

    assert ("t", TaskState.RUNNING) == (info.value.task_id, info.value.last_state)
    assert "t" in str(info.value)


@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError("reset", request_sent=True),
        APIStatusError("busy", status_code=503),
        APIStatusError("slow", status_code=429),
    ],
)
def test_transient_poll_failures_keep_waiting(clock: FakeClock, error: Exception) -> None:
    assert 2.0 == loop(clock).step(error)  # type: ignore[arg-type]


def test_permanent_poll_failures_raise(clock: FakeClock) -> None:
    error = AuthenticationError("bad key", status_code=401)

    with pytest.raises(AuthenticationError):
        loop(clock).step(error)


def test_progress_callback_fires_on_each_change_only(clock: FakeClock) -> None:
    seen: list[VideoTask] = []
    waiting = loop(clock, seen=seen)
    reports = [task("pending", 0), task("pending", 0), task("running", 10), task("running", 10)]
    reports.append(task("running", 20))

    for report in reports:
        waiting.step(report)

    assert [(s.state, s.progress) for s in seen] == [
        (TaskState.PENDING, 0),
        (TaskState.RUNNING, 10),
        (TaskState.RUNNING, 20),
    ]


def test_unknown_state_keeps_polling_and_is_logged_once(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    waiting = loop(clock)
    caplog.set_level(logging.WARNING, logger="veo")

    delays = [waiting.step(task("defrosting", p)) for p in (1, 2, 3)]

    assert all(isinstance(d, float) for d in delays)
    assert 1 == sum("defrosting" in r.getMessage() for r in caplog.records)


def test_timeout_must_be_positive(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="timeout"):
        loop(clock, timeout=0)


SCHEDULE_60S = [0.0, 2.0, 5.0, 9.5, 16.25, 26.25, 36.25, 46.25, 56.25, 66.25]


def poll_times(
    clock: FakeClock, progress: Callable[[float], int | None], duration: float
) -> list[float]:
    """The moments (from the wait's start, on the virtual clock) ``wait`` polls a task
    that finishes at ``duration`` and reports ``progress`` until then."""
    start = clock.now
    waiting = WaitLoop("t", 900.0, None, PollSchedule(), RetryPolicy(), clock)
    times = []
    while True:
        elapsed = clock.now - start
        times.append(round(elapsed, 2))
        done = elapsed >= duration
        body = {"id": "t", "state": "succeeded" if done else "running"}
        body["progress"] = 100 if done else progress(elapsed)
        result = waiting.step(VideoTask.from_json(body))
        if isinstance(result, VideoTask):
            return times
        clock.now += result


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # Linear progress: the schedule until the estimate says sooner, then one poll
        # half a second after the estimated finish: seen 0.98 s late, not 6.25 s.
        (lambda t: int(100 * t / 60), [*SCHEDULE_60S[:-1], 60.98]),
        # Steps of 25 %: the estimate is rough but still earns a poll before the
        # schedule's next one.
        (lambda t: 25 * int(4 * t / 60), [*SCHEDULE_60S[:-1], 62.17]),
        # No progress reported: exactly the schedule.
        (lambda t: None, SCHEDULE_60S),
    ],
    ids=["linear", "stepwise", "no-progress"],
)
def test_progress_moves_the_last_poll_close_to_the_finish(
    clock: FakeClock, profile: Callable[[float], int | None], expected: list[float]
) -> None:
    assert expected == poll_times(clock, profile, 60.0)


@pytest.mark.parametrize("duration", [30.0, 95.0, 200.0, 360.0])
def test_the_estimate_never_costs_more_polls_or_more_lag_than_the_schedule(
    clock: FakeClock, duration: float
) -> None:
    linear = poll_times(clock, lambda t: int(100 * t / duration), duration)
    silent = poll_times(clock, lambda t: None, duration)

    assert len(linear) <= len(silent)
    assert linear[-1] <= silent[-1]
    assert linear[-1] - duration <= 2.0


def test_the_estimate_needs_two_reports_and_rising_progress() -> None:
    estimate = FinishEstimate()
    estimate.observe(0.0, 10)
    assert estimate.finish_at() is None
    estimate.observe(5.0, 5)  # progress went back: ignored
    assert estimate.finish_at() is None
    estimate.observe(10.0, 30)

    assert 45.0 == estimate.finish_at()  # 2 % a second from 10 % at 0 s: 100 % at 45 s
