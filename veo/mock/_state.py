"""The mock's memory: tasks and their lifecycle, the request log and counters."""

from __future__ import annotations

import enum
import itertools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["Fate", "Lifecycle", "LoggedRequest", "MockState", "Task"]

DEFAULT_API_KEY = "mock-key"
"""The key the mock accepts unless told otherwise (raw or as ``Bearer mock-key``)."""

FAILURE_MESSAGE = "the prompt was rejected by the content policy (injected by the mock)"
UNKNOWN_STATE = "defrosting"


class Fate(enum.StrEnum):
    """How a task ends, chosen when it is created."""

    SUCCEED = "succeed"
    FAIL = "fail"
    UNKNOWN_STATE = "unknown-state"
    """Reports a state nobody documents while running, then succeeds."""


@attrs.frozen
class Lifecycle:
    """How fast tasks move: pending → running (rising progress) → final state.

    Args:
        pace: ``"polls"`` advances a task by one step per status request (fully
            deterministic); ``"time"`` advances it with the wall clock.
        pending_steps: polls (or seconds) spent pending.
        running_steps: polls (or seconds) spent running.
    """

    pace: str = attrs.field(default="polls", validator=attrs.validators.in_(("polls", "time")))
    pending_steps: float = attrs.field(default=1, validator=attrs.validators.ge(0))
    running_steps: float = attrs.field(default=3, validator=attrs.validators.ge(0))


@attrs.define
class Task:
    """A task the mock created.

    ``created_at`` is on the state's clock (it drives the lifecycle); ``create_time``
    and ``update_time`` are the Unix seconds the task reports.
    """

    id: str
    body: dict[str, Any]
    fate: Fate
    created_at: float
    create_time: int
    video_fault: str | None = None
    video_status: int | None = None
    failure: str | None = None
    """Why the task fails, when the mock found the reason (an image it could not fetch)."""
    polls: int = 0
    update_time: int = attrs.field(default=attrs.Factory(lambda self: self.create_time, True))
    _seen: tuple[str, int] = ("pending", 0)

    def _phase(self, lifecycle: Lifecycle, now: float) -> tuple[str, int]:
        step = self.polls if lifecycle.pace == "polls" else now - self.created_at
        end = lifecycle.pending_steps + lifecycle.running_steps
        if step <= lifecycle.pending_steps and end > 0:
            return "pending", 0
        if step <= end:
            done = (step - lifecycle.pending_steps) / (lifecycle.running_steps + 1)
            state = UNKNOWN_STATE if self.fate is Fate.UNKNOWN_STATE else "running"
            return state, max(1, min(99, int(done * 100)))
        return ("error" if self.fate is Fate.FAIL else "succeeded"), 100

    def created(self) -> dict[str, Any]:
        """The create call's answer."""
        return {"id": self.id}

    def snapshot(self, mock: MockState, video_url: str) -> dict[str, Any]:
        """The task's status body at this poll (call after counting the poll).

        Every field the vendor's document requires is present; ``update_time`` moves
        when the state or the progress does.
        """
        state, progress = self._phase(mock.lifecycle, mock.clock())
        if (state, progress) != self._seen:
            self._seen = (state, progress)
            self.update_time = max(mock.unix_now(), self.create_time)
        succeeded = state == "succeeded"
        return {
            "id": self.id,
            "state": state,
            "data": {"videos": [{"url": video_url}] if succeeded else []},
            "progress": progress,
            "create_time": self.create_time,
            "update_time": self.update_time,
            "message": (self.failure or FAILURE_MESSAGE) if state == "error" else "",
            "action": "generate",
        }


@attrs.frozen
class LoggedRequest:
    """One request the mock received."""

    method: str
    path: str
    route: str
    authorized_header: bool
    status: int | None
    fault: str | None


class MockState:
    """Everything the mock remembers; safe to read from the test's thread."""

    def __init__(
        self,
        *,
        api_keys: frozenset[str] = frozenset({DEFAULT_API_KEY}),
        lifecycle: Lifecycle | None = None,
        clock: Callable[[], float] = time.monotonic,
        fetch_images: bool = False,
    ) -> None:
        self.api_keys = api_keys
        self.lifecycle = lifecycle or Lifecycle()
        self.clock = clock
        self.fetch_images = self._fetch_images_initially = fetch_images
        """Fetch each image URL of a create, as the real service does: a task whose
        image does not answer 200 with a PNG, JPEG or WebP fails, saying which."""
        self._initial = (api_keys, self.lifecycle, clock)
        self.tasks: dict[str, Task] = {}
        self.log: list[LoggedRequest] = []
        self.epoch = 0
        """Bumped by ``reset``: requests that began earlier are not logged after it."""
        # Task ids unique across runs, as a real service's are: a task of an earlier
        # mock (or of the real service) is never confused with one of this run's.
        self._run = secrets.token_hex(4)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def clock(self) -> Callable[[], float]:
        """Seconds, for the lifecycle's ``time`` pace and for ``unix_now``."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._unix_at = (time.time(), clock())

    def unix_now(self) -> int:
        """Unix seconds, moving with ``clock`` (so a virtual clock moves them too)."""
        wall, at = self._unix_at
        return int(wall + (self.clock() - at))

    def key_is_valid(self, header: str | None) -> bool:
        """Accept the raw key or ``Bearer <key>``."""
        if not header:
            return False
        value = header.strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        return value in self.api_keys

    def create_task(
        self,
        body: dict[str, Any],
        fate: Fate = Fate.SUCCEED,
        video_fault: str | None = None,
        video_status: int | None = None,
        failure: str | None = None,
    ) -> Task:
        """Record a new task (this is the moment a real service would charge); one
        with a ``failure`` fails with that message."""
        with self._lock:
            task = Task(
                id=f"mock-{self._run}-{next(self._ids):06d}",
                body=body,
                created_at=self.clock(),
                create_time=self.unix_now(),
                video_fault=video_fault,
                video_status=video_status,
                fate=Fate.FAIL if failure else fate,
                failure=failure,
            )
            self.tasks[task.id] = task
            return task

    def record(self, entry: LoggedRequest, epoch: int) -> None:
        """Append to the request log, unless the request began before the last reset."""
        with self._lock:
            if epoch == self.epoch:
                self.log.append(entry)

    @property
    def tasks_created(self) -> int:
        """How many tasks were created (each would be a paid video)."""
        return len(self.tasks)

    def requests_per_route(self) -> Counter[str]:
        """Request counts keyed by route name (create, get, video, other)."""
        with self._lock:
            return Counter(entry.route for entry in self.log)

    def video_requests_with_authorization(self) -> int:
        """How many video downloads arrived carrying an ``Authorization`` header."""
        with self._lock:
            return sum(1 for e in self.log if e.route == "video" and e.authorized_header)

    def reset(self) -> None:
        """Forget every task and logged request; restore keys, lifecycle and clock."""
        with self._lock:
            self.tasks.clear()
            self.log.clear()
            self.epoch += 1
            self.api_keys, self.lifecycle, self.clock = self._initial
            self.fetch_images = self._fetch_images_initially
