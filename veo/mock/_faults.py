"""Deterministic fault injection, as an ASGI middleware in front of the whole mock.

Faults come from a plan set in code or by ``python -m veo.mock --fault ...``, and per
request from a ``Prefer`` header (Stoplight Prism's convention), e.g.::

    Prefer: fault=rate-limit; retry-after=2
    Prefer: code=503
    Prefer: fault=reset-after

Both use one syntax: a fault name, then ``key=value`` options separated by ``,`` or
``;``. Options: ``route`` (create, get, video, ``*``), ``times`` (apply to the next N
matching requests only), ``p`` (probability, drawn from a seeded generator),
``status``, ``retry-after`` (seconds), ``latency`` (seconds).
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import json
import random
import re
import secrets
import threading

import attrs

from veo.mock._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    captured,
    drain,
    drop_connection,
    headers_of,
    send_bytes,
    send_json,
)
from veo.mock._routes import route_of
from veo.mock._state import LoggedRequest, MockState

__all__ = ["Fault", "FaultPlan", "FaultRule", "current_fault", "parse_rule"]


class Fault(enum.StrEnum):
    """What can go wrong, and when it happens relative to the task being created."""

    RATE_LIMIT = "rate-limit"
    """429 with ``Retry-After``; nothing is created."""
    SERVER_ERROR = "server-error"
    """A 5xx (``status``, default 500) before the handler; nothing is created."""
    LATENCY = "latency"
    """Wait ``latency`` seconds, then answer normally."""
    RESET_BEFORE = "reset-before"
    """Drop the connection before the handler runs; nothing is created."""
    RESET_AFTER = "reset-after"
    """Run the handler (the task is created), then drop the connection."""
    PROCESS_THEN_FAIL = "process-then-fail"
    """Run the handler (the task is created), then answer a 5xx."""
    MALFORMED = "malformed"
    """Run the handler, then answer 200 with JSON of the wrong shape."""
    NON_JSON = "non-json"
    """Run the handler, then answer 200 with an HTML page."""
    OVERSIZED = "oversized"
    """Run the handler, then answer with the real body padded past 1 MiB (``bytes``)."""
    REDIRECT = "redirect"
    """Answer a video request with a 302 to the same video at a signed link, as CDNs do."""
    TASK_FAILED = "task-failed"
    """On create: the task ends in state ``error`` with a message."""
    UNKNOWN_STATE = "unknown-state"
    """On create: the task reports an undocumented state while running."""
    EXPIRED_LINK = "expired-link"
    """On create: the task's video link answers 410 (or ``status``: 403/404)."""
    TRUNCATED_VIDEO = "truncated-video"
    """On create: the video body stops halfway through."""
    DRIFT_MISSING_FIELD = "drift-missing-field"
    """Task answers lack ``create_time``, a field the vendor's document requires."""
    DRIFT_WRONG_TYPE = "drift-wrong-type"
    """Task answers carry ``progress`` as a string (``"50%"``), not an integer."""
    DRIFT_UNKNOWN_STATE = "drift-unknown-state"
    """Task answers report the state ``defrosting``, which the vendor never documented."""
    DRIFT_ERROR_SHAPE = "drift-error-shape"
    """Error answers are ``{"error": "<text>", "code": N}``: ``error`` is not an object."""
    DRIFT_BEARER = "drift-bearer"
    """Only ``Bearer <key>`` is accepted; a raw key gets a 401 that echoes it."""


DRIFT_FAULTS = frozenset(
    {
        Fault.DRIFT_MISSING_FIELD,
        Fault.DRIFT_WRONG_TYPE,
        Fault.DRIFT_UNKNOWN_STATE,
        Fault.DRIFT_ERROR_SHAPE,
    }
)
"""Faults that answer outside the spec on purpose (to test ``veo check``)."""
TASK_FAULTS = frozenset(
    {Fault.TASK_FAILED, Fault.UNKNOWN_STATE, Fault.EXPIRED_LINK, Fault.TRUNCATED_VIDEO}
)
ROUTES = ("create", "get", "video", "*")
OVERSIZE_BYTES = 1_100_000


@attrs.frozen
class FaultRule:
    """One fault and when it applies."""

    fault: Fault
    route: str = attrs.field(default="*", validator=attrs.validators.in_(ROUTES))
    times: int | None = None
    probability: float = attrs.field(default=1.0, validator=[attrs.validators.ge(0.0)])
    status: int | None = None
    retry_after: int = 1
    latency: float = 0.2
    size: int = attrs.field(default=OVERSIZE_BYTES, validator=[attrs.validators.ge(0)])
    """``oversized``: the padding's length in bytes."""

    def matches(self, route: str) -> bool:
        """Whether this rule is about ``route``; task faults only ever hit creates."""
        if self.fault in TASK_FAULTS:
            return route == "create" and self.route in ("*", "create")
        return self.route in ("*", route)


def parse_rule(text: str) -> FaultRule:
    """Parse ``"rate-limit,route=create,times=2"`` (or a ``Prefer`` header value).

    Raises:
        ValueError: naming the unknown fault or option.
    """
    options: dict[str, str] = {}
    fault: str | None = None
    for token in filter(None, (t.strip() for t in re.split(r"[;,]", text))):
        key, sep, value = token.partition("=")
        key = key.strip().lower()
        if not sep:
            fault = key
        elif key == "fault":
            fault = value.strip()
        elif key == "code":
            status = int(value)
            fault = Fault.RATE_LIMIT if status == 429 else Fault.SERVER_ERROR
            options["status"] = value.strip()
        else:
            options[key] = value.strip()
    if fault is None:
        raise ValueError(f"no fault named in {text!r}")
    try:
        kind = Fault(fault)
    except ValueError:
        names = ", ".join(f.value for f in Fault)
        raise ValueError(f"unknown fault {fault!r}; known: {names}") from None
    known = {"route", "times", "p", "status", "retry-after", "latency", "bytes"}
    unknown = set(options) - known
    if unknown:
        raise ValueError(f"unknown fault option(s) {sorted(unknown)}; known: {sorted(known)}")
    return FaultRule(
        fault=kind,
        route=options.get("route", "*"),
        times=int(options["times"]) if "times" in options else None,
        probability=float(options.get("p", 1.0)),
        status=int(options["status"]) if "status" in options else None,
        retry_after=int(options.get("retry-after", 1)),
        latency=float(options.get("latency", 0.2)),
        size=int(options.get("bytes", OVERSIZE_BYTES)),
    )


class FaultPlan:
    """The programmatic faults: rules tried in order, deterministic from ``seed``."""

    def __init__(self, rules: list[FaultRule] | None = None, *, seed: int = 0) -> None:
        self._rules = list(rules or [])
        self._remaining = [rule.times for rule in self._rules]
        self._random = random.Random(seed)  # noqa: S311 (repeatable, not secret)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        """Add a rule after the existing ones."""
        with self._lock:
            self._rules.append(rule)
            self._remaining.append(rule.times)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._remaining.clear()

    def pick(self, route: str) -> list[FaultRule]:
        """The rules that fire for this request (consuming their ``times``)."""
        fired = []
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(route) or self._remaining[index] == 0:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                remaining = self._remaining[index]
                if remaining is not None:
                    self._remaining[index] = remaining - 1
                fired.append(rule)
        return fired


_CURRENT: contextvars.ContextVar[FaultRule | None] = contextvars.ContextVar(
    "veo_mock_task_fault", default=None
)


def current_fault() -> FaultRule | None:
    """The task-level fault chosen for the request being handled, if any."""
    return _CURRENT.get()


class FaultMiddleware:
    """Applies faults and keeps the request log, in front of the app it wraps.

    Every HTTP request is named by its route (``_routes.route_of``), matched against
    the fault plan and its own ``Prefer`` header, answered (by a fault or by the wrapped
    app), and logged with the status sent.
    """

    def __init__(self, app: ASGIApp, state: MockState, plan: FaultPlan) -> None:
        self.app = app
        self.state = state
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        epoch = self.state.epoch
        headers = headers_of(scope)
        route = route_of(scope["method"], scope["path"])
        rules = self.plan.pick(route)
        prefer = headers.get("prefer")
        if prefer:
            try:
                prefer_rule = parse_rule(prefer)
            except ValueError as exc:
                await send_json(send, 400, {"message": f"Prefer header: {exc}"})
                return
            if prefer_rule.matches(route):
                rules.append(prefer_rule)
        status: list[int] = []

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                # Every answer carries a request id, as services' gateways do, so that
                # an error's .request_id (and the CLI's "(request id ...)") can be seen.
                request_id = f"mock-req-{secrets.token_hex(8)}".encode()
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-request-id", request_id)],
                }
            await send(message)

        action = next((r for r in rules if r.fault is not Fault.LATENCY), None)
        try:
            for rule in rules:
                if rule.fault is Fault.LATENCY:
                    await asyncio.sleep(rule.latency)
            await self._apply(action, scope, receive, logged_send)
        finally:
            self.state.record(
                LoggedRequest(
                    method=scope["method"],
                    path=scope["path"],
                    route=route,
                    authorized_header="authorization" in headers,
                    status=status[0] if status else None,
                    fault=action.fault.value if action else None,
                ),
                epoch,
            )

    async def _apply(
        self, rule: FaultRule | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        fault = rule.fault if rule else None
        if rule is None or fault in TASK_FAULTS:
            token = _CURRENT.set(rule)
            try:
                await self.app(scope, receive, send)
            finally:
                _CURRENT.reset(token)
            return
        if fault is Fault.RATE_LIMIT:
            await drain(receive)
            await send_json(
                send,
                rule.status or 429,
                {"message": "rate limited (injected by the mock)", "code": "rate_limited"},
                {"Retry-After": str(rule.retry_after)},
            )
        elif fault is Fault.SERVER_ERROR:
            await drain(receive)
            await send_json(send, rule.status or 500, {"message": "server error (injected)"})
        elif fault is Fault.RESET_BEFORE:
            await drain(receive)
            await drop_connection(send)
        elif fault is Fault.REDIRECT and b"signed=" not in scope.get("query_string", b""):
            await drain(receive)
            location = scope["path"] + "?signed=1"
            await send_bytes(send, 302, b"", {"location": location})
        elif fault is Fault.REDIRECT:
            await self.app(scope, receive, send)
        elif fault is Fault.DRIFT_BEARER:
            given = headers_of(scope).get("authorization", "")
            if given[:7].lower() == "bearer ":
                await self.app(scope, receive, send)
                return
            await drain(receive)
            message = f"invalid token {given!r}: this API expects 'Bearer <token>'"
            await send_json(send, 401, {"message": message, "code": "invalid_token"})
        else:
            await self._after_handler(rule, scope, receive, send)

    async def _after_handler(
        self, rule: FaultRule, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Let the handler do its work (create the task), then spoil the answer."""
        start, real = await captured(self.app, scope, receive)
        if rule.fault is Fault.RESET_AFTER:
            await drop_connection(send)
        elif rule.fault is Fault.PROCESS_THEN_FAIL:
            await send_json(send, rule.status or 500, {"message": "failed after processing"})
        elif rule.fault is Fault.MALFORMED:
            await send_json(send, 200, {"unexpected": ["shape"], "data": None})
        elif rule.fault is Fault.NON_JSON:
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            await send_bytes(send, 200, page, {"content-type": "text/html"})
        elif rule.fault in DRIFT_FAULTS:
            await self._drifted(rule.fault, int(start.get("status", 200)), start, real, send)
        else:  # OVERSIZED: the real answer plus a huge field the client must tolerate
            try:
                body = json.loads(real)
            except ValueError:
                body = {}
            if isinstance(body, dict):
                body["padding"] = "x" * rule.size
            await send_json(send, int(start.get("status", 200)), body)

    @staticmethod
    async def _drifted(fault: Fault, status: int, start: Message, real: bytes, send: Send) -> None:
        """The real answer, changed the way ``fault`` says (non-JSON answers pass)."""
        try:
            body = json.loads(real)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            await send(start)
            await send({"type": "http.response.body", "body": real})
            return
        if status == 200 and "state" in body:
            if fault is Fault.DRIFT_MISSING_FIELD:
                body.pop("create_time", None)
            elif fault is Fault.DRIFT_WRONG_TYPE:
                body["progress"] = f"{body.get('progress', 0)}%"
            elif fault is Fault.DRIFT_UNKNOWN_STATE:
                body["state"] = "defrosting"
        if status >= 400 and fault is Fault.DRIFT_ERROR_SHAPE:
            text = body.get("message") or body.get("detail") or body.get("title") or "error"
            body = {"error": str(text), "code": status}
        await send_json(send, status, body)
