"""Replay: the mock answers in the shapes a recording of the real service holds.

``MockServer(replay=DIR)``, ``veo mock --replay DIR``. The spec-built mock still does
the work (keys, validation of requests, tasks and their ids, faults, the video); an
ASGI layer outside it then puts the recorded answers in place of its own:

- a create answer becomes the recorded one, the new task's id in place of the
  recorded id;
- a task answer becomes the recorded poll due at the task's age (the recorded
  ``since_create``, scaled by ``speed``, on the mock's clock: the fixtures' virtual
  clock too): its fields, extra fields, state words and ``progress`` steps, with the
  task's id and video link put in place of the recorded ones;
- an error answer whose status the recording holds (401, 404, 422, 429, ...) comes back
  with the recorded body;
- a recording in which a raw key was refused with 401 and ``Bearer <key>`` accepted
  makes the mock accept only ``Bearer``.

What the recording lacks is the spec-built mock's (``Replay.summary`` says which part is
which). At load, every recorded answer is checked against the effective spec's response
schemas, and the key's form against the spec's: a recording that contradicts the spec
is drift, reported naming the file, the exchange and the field, and served only with
``allow_drift`` (it is served past the mock's response validation, as the ``drift-*``
faults are).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from veo._recording import FILE, RecordedExchange, Recording, created_id, task_of
from veo.check._schema import Drift, drifts
from veo.mock._asgi import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    captured,
    drain,
    headers_of,
    send_json,
)
from veo.mock._routes import route_of, video_path
from veo.mock._shapes import MockSpecError
from veo.mock._state import MockState

__all__ = ["Replay", "ReplayDriftError", "ReplayMiddleware"]

API_OPERATIONS = ("createVideoGeneration", "getVideoTask")


class ReplayDriftError(MockSpecError):
    """The recording contradicts the spec the mock serves (``allow_drift`` serves it)."""


def _deep_replace(value: Any, swaps: dict[str, str]) -> Any:
    if isinstance(value, str):
        return swaps.get(value, value)
    if isinstance(value, list):
        return [_deep_replace(item, swaps) for item in value]
    if isinstance(value, dict):
        return {key: _deep_replace(item, swaps) for key, item in value.items()}
    return value


class Replay:
    """What a recording holds, ready to answer with.

    Args:
        directory: the recording (``recording.json`` in it).
        allow_drift: serve a recording that contradicts the spec.
        speed: how many times faster than recorded the task moves (2: twice as fast).

    Raises:
        veo._recording.RecordingError: no readable recording there.
        ReplayDriftError: the recording contradicts the spec, and not ``allow_drift``.
    """

    def __init__(
        self, directory: str | Path, *, allow_drift: bool = False, speed: float = 1.0
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed: must be positive, got {speed!r}")
        self.source = Path(directory)
        self.file = self.source if self.source.suffix == ".json" else self.source / FILE
        self.recording = Recording.load(self.source)
        self.speed = speed
        exchanges = self.recording.exchanges
        self.created: RecordedExchange | None = next(
            (e for e in exchanges if _answered(e, "createVideoGeneration", 200)), None
        )
        polled = [e for e in exchanges if _answered(e, "getVideoTask", 200) and e.task_id]
        first = polled[0].task_id if polled else None
        self.polls = sorted(
            (e for e in polled if e.task_id == first), key=lambda e: e.since_create or 0.0
        )
        self.errors: dict[int, RecordedExchange] = {}
        for exchange in exchanges:
            if exchange.status and exchange.status >= 400 and exchange.operation != "video":
                self.errors.setdefault(exchange.status, exchange)
        self.bearer_only = self._bearer_only()
        self.drifts = list(self._drifts())
        if self.drifts and not allow_drift:
            lines = "\n  ".join(self.drifts)
            raise ReplayDriftError(
                f"{self.file} contradicts the spec the mock serves ({len(self.drifts)} "
                f"drift(s); --allow-drift serves it anyway):\n  {lines}"
            )

    def _bearer_only(self) -> bool:
        """A raw key refused with 401, then ``Bearer`` accepted (``veo check``'s probe)."""
        refused = False
        for exchange in self.recording.exchanges:
            given = str(exchange.request.get("headers", {}).get("authorization", ""))
            if not given or exchange.status is None:
                continue
            bearer = given[:7].lower() == "bearer "
            if not bearer and exchange.status == 401:
                refused = True
            elif bearer and refused and exchange.status != 401:
                return True
        return False

    def _drifts(self) -> Iterator[str]:
        """Each way the recording departs from the spec, naming file, exchange, field."""
        for number, exchange in enumerate(self.recording.exchanges, start=1):
            if exchange.operation not in API_OPERATIONS or exchange.status is None:
                continue
            where = f"{self.file.name}: exchange {number} ({exchange.operation} {exchange.status})"
            if not isinstance(exchange.body, dict | list):
                found = [Drift("(body)", "the spec says a JSON body", "text")]
            else:
                found = drifts(exchange.body, exchange.operation, exchange.status)
            for drift in found:
                yield f"{where}: {drift}"
        if self.bearer_only:
            drift = Drift(
                "Authorization",
                "the spec says the raw key; the service refused it and accepted 'Bearer <key>'",
                "Bearer",
            )
            yield f"{self.file.name}: {drift}"

    def summary(self) -> list[str]:
        """Which parts are replayed and which are the spec-built mock's, one per line."""
        replayed: list[str] = []
        built: list[str] = []
        (replayed if self.created else built).append("create answers")
        if self.polls:
            span = (self.polls[-1].since_create or 0.0) / self.speed
            said = (getattr(task_of(e.body), "raw_state", None) for e in self.polls)
            states = ", ".join(dict.fromkeys(str(state) for state in said))
            replayed.append(
                f"task answers ({len(self.polls)} recorded, states {states}, over {span:.1f} s)"
            )
        else:
            built.append("task answers")
        if self.errors:
            replayed.append(f"error answers {', '.join(str(s) for s in sorted(self.errors))}")
        built.append("other error answers" if self.errors else "error answers")
        if self.bearer_only:
            replayed.append("only 'Bearer <key>' accepted")
        built.append("the video (a recording keeps only its size and boxes)")
        lines = [f"replaying {self.file}", f"replayed: {'; '.join(replayed) or 'nothing'}"]
        lines.append(f"spec-built: {'; '.join(built)}")
        if self.drifts:
            lines.append(f"served with {len(self.drifts)} drift(s) from the spec (--allow-drift)")
        return lines

    def created_answer(self, task_id: str) -> Any:
        """The recorded create answer, for the task ``task_id``."""
        assert self.created is not None
        return _deep_replace(self.created.body, {str(self.created.task_id): task_id})

    def task_answer(self, task_id: str, age: float, video_url: str) -> Any:
        """The recorded poll due at ``age`` seconds after the create, for ``task_id``."""
        due = age * self.speed
        chosen = self.polls[0]
        for poll in self.polls:
            if (poll.since_create or 0.0) <= due:
                chosen = poll
        swaps = {str(chosen.task_id): task_id}
        task = task_of(chosen.body)
        swaps.update(dict.fromkeys(task.video_urls if task else (), video_url))
        return _deep_replace(chosen.body, swaps)


def _answered(exchange: RecordedExchange, operation: str, status: int) -> bool:
    return exchange.operation == operation and exchange.status == status


class ReplayMiddleware:
    """Puts the recorded answers in place of the spec-built ones (see the module)."""

    def __init__(self, app: ASGIApp, state: MockState, replay: Replay) -> None:
        self.app = app
        self.state = state
        self.replay = replay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = route_of(scope.get("method", ""), scope.get("path", ""))
        if scope["type"] != "http" or route not in ("create", "get"):
            await self.app(scope, receive, send)
            return
        replay = self.replay
        given = headers_of(scope).get("authorization", "")
        if replay.bearer_only and given and given[:7].lower() != "bearer " and 401 in replay.errors:
            await drain(receive)
            await send_json(send, 401, replay.errors[401].body)
            return
        start, content = await captured(self.app, scope, receive)
        status = int(start.get("status", 500))
        body = self._replayed(route, status, content, scope)
        if body is _NOT_REPLAYED:
            await send(start)
            await send({"type": "http.response.body", "body": content})
            return
        await send_json(send, status, body)

    def _replayed(self, route: str, status: int, content: bytes, scope: Scope) -> Any:
        replay = self.replay
        if status >= 400:
            recorded = replay.errors.get(status)
            return _NOT_REPLAYED if recorded is None else recorded.body
        if status != 200:
            return _NOT_REPLAYED
        try:
            built = json.loads(content)
        except ValueError:
            return _NOT_REPLAYED
        answered = task_of(built)
        task_id = created_id(built) if route == "create" else answered.id if answered else None
        if task_id is None:
            return _NOT_REPLAYED
        if route == "create" and replay.created is not None:
            return replay.created_answer(task_id)
        task = self.state.tasks.get(task_id)
        if route == "get" and replay.polls and task is not None:
            host = headers_of(scope).get("host", "127.0.0.1")
            url = f"{scope.get('scheme', 'http')}://{host}{video_path(task_id)}"
            return replay.task_answer(task_id, self.state.clock() - task.created_at, url)
        return _NOT_REPLAYED


_NOT_REPLAYED: Any = object()
