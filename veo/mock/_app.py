"""Assemble the mock: connexion on the packaged spec, our handlers, faults, the CDN."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # connexion 3.3 imports names that jsonschema and starlette now deprecate; the
    # warnings are about connexion's code, and would break users running with -W error.
    warnings.simplefilter("ignore")
    from connexion import AsyncApp, request
    from connexion.options import SwaggerUIOptions
    from connexion.resolver import Resolver

from veo._rules import resolve_body
from veo._spec import load_spec
from veo.mock._asgi import ASGIApp, Receive, Scope, Send
from veo.mock._faults import Fault, FaultMiddleware, FaultPlan, FaultRule, current_fault
from veo.mock._guard import RequestGuard
from veo.mock._replay import Replay, ReplayMiddleware
from veo.mock._routes import VIDEO_PREFIX, video_path
from veo.mock._shapes import AnswerShapes, MockSpecError
from veo.mock._state import Fate, Lifecycle, MockState
from veo.mock._video import serve_video

__all__ = ["MockApp", "create_app"]

# connexion logs every problem it answers (a 401 to a request without a key, a 400 to a
# bad body) as a warning: the mock's answers, not faults of its own. With no handler,
# Python printed them on stderr beside the command's output; a program that configures
# logging still gets them.
logging.getLogger("connexion").addHandler(logging.NullHandler())

JSON = {"Content-Type": "application/json"}


def _fate(rule: FaultRule | None) -> tuple[Fate, str | None, int | None]:
    if rule is None:
        return Fate.SUCCEED, None, None
    if rule.fault is Fault.TASK_FAILED:
        return Fate.FAIL, None, None
    if rule.fault is Fault.UNKNOWN_STATE:
        return Fate.UNKNOWN_STATE, None, None
    return Fate.SUCCEED, rule.fault.value, rule.status


async def unfetchable(urls: list[str]) -> str | None:
    """Why the service could not use the images at ``urls`` (the first that fails), or
    None: each must answer 200 with a PNG, JPEG or WebP of at most 20 MiB."""
    import httpx

    from veo._errors import InvalidRequestError
    from veo._images import MAX_IMAGE_BYTES, LocalImage

    async with httpx.AsyncClient(timeout=10, follow_redirects=True, trust_env=False) as client:
        for index, url in enumerate(urls):
            where = f"image_urls[{index}] could not be used"
            try:
                async with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        return f"{where}: fetching it answered {response.status_code}"
                    data = b""
                    async for chunk in response.aiter_bytes():
                        data += chunk
                        if len(data) > MAX_IMAGE_BYTES:
                            break
            except httpx.HTTPError as exc:
                return f"{where}: fetching it failed ({type(exc).__name__})"
            if len(data) > MAX_IMAGE_BYTES:
                return f"{where}: it is larger than {MAX_IMAGE_BYTES} bytes"
            try:
                LocalImage.read(data, f"image_urls[{index}]")
            except InvalidRequestError:
                return f"{where}: what it answered is not a PNG, JPEG or WebP image"
    return None


def _handlers(state: MockState, shapes: AnswerShapes) -> dict[str, Callable[..., Any]]:
    async def create_video_generation(body: Any, **_: Any) -> tuple[Any, int, dict[str, str]]:
        resolution = resolve_body(body)
        if resolution.problems:
            lines = "; ".join(str(p) for p in resolution.problems)
            problems = [{"field": p.field, "rule": p.rule} for p in resolution.problems]
            message = f"invalid video request: {lines}"
            return {"message": message, "code": "invalid_request", "problems": problems}, 400, JSON
        fate, video_fault, video_status = _fate(current_fault())
        images = resolution.body.get("image_urls") or []
        failure = await unfetchable(images) if state.fetch_images else None
        task = state.create_task(resolution.body, fate, video_fault, video_status, failure)
        return shapes.complete("createVideoGeneration", task.created()), 200, JSON

    async def get_video_task(task_id: str, **_: Any) -> tuple[Any, int, dict[str, str]]:
        task = state.tasks.get(task_id)
        if task is None:
            return {"message": f"task {task_id} not found", "code": "not_found"}, 404, JSON
        task.polls += 1
        base = str(request.base_url).rstrip("/") if request.base_url else ""
        answer = task.snapshot(state, base + video_path(task.id))
        return shapes.complete("getVideoTask", answer), 200, JSON

    return {
        "createVideoGeneration": create_video_generation,
        "getVideoTask": get_video_task,
    }


STATE_KEY = "veo.mock.state"
"""Where the mock's state rides in each request's ASGI scope, for :func:`key_info`."""


def key_info(api_key: str, required_scopes: Any = None, *, request: Any) -> dict[str, str] | None:
    """connexion's ``x-apikeyInfoFunc``: the mock's keys, raw or as ``Bearer <key>``."""
    state: MockState = request.scope[STATE_KEY]
    return {"sub": "mock-user"} if state.key_is_valid(api_key) else None


def _with_key_check(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with every API key scheme checked by :func:`key_info` (the spec
    extension connexion documents for it)."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    checked = {
        name: {**scheme, "x-apikeyInfoFunc": f"{__name__}.{key_info.__name__}"}
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey"
        else scheme
        for name, scheme in schemes.items()
    }
    return {**spec, "components": {**spec.get("components", {}), "securitySchemes": checked}}


class _Router:
    """Sends ``VIDEO_PREFIX`` paths to the video route and everything else to connexion."""

    def __init__(self, api: AsyncApp, state: MockState) -> None:
        self.api = api
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(VIDEO_PREFIX):
            await serve_video(self.state, scope, receive, send)
            return
        await self.api({**scope, STATE_KEY: self.state}, receive, send)


class MockApp:
    """The mock as one ASGI application.

    Attributes:
        state: tasks, the request log and counters (``MockState``).
        faults: the programmatic fault plan (``FaultPlan``).
        spec: the effective spec it was built from.
    """

    def __init__(
        self,
        state: MockState,
        faults: FaultPlan,
        validate_responses: bool,
        spec: dict[str, Any] | None = None,
        replay: Replay | None = None,
    ) -> None:
        self.state = state
        self.faults = faults
        self.replay = replay
        self.spec = load_spec() if spec is None else spec
        shapes = AnswerShapes(self.spec)
        if shapes.problems:
            raise MockSpecError(
                "the mock's answers do not fit the spec it would serve: "
                + "; ".join(shapes.problems)
            )
        api = AsyncApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui=False))
        api.add_api(
            _with_key_check(self.spec),
            resolver=Resolver(function_resolver=_handlers(state, shapes).__getitem__),
            validate_responses=validate_responses,
            pythonic_params=False,
        )
        inner: ASGIApp = FaultMiddleware(_Router(api, state), state, faults)
        if replay is not None:
            inner = ReplayMiddleware(inner, state, replay)
        self._asgi = RequestGuard(inner)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)


def create_app(
    *,
    api_keys: frozenset[str] | set[str] | None = None,
    lifecycle: Lifecycle | None = None,
    faults: list[FaultRule] | None = None,
    seed: int = 0,
    validate_responses: bool = True,
    spec: dict[str, Any] | None = None,
    replay: str | Path | None = None,
    allow_drift: bool = False,
    speed: float = 1.0,
    fetch_images: bool = False,
) -> MockApp:
    """Build the mock server application.

    Args:
        api_keys: keys accepted (raw or ``Bearer``); default ``{"mock-key"}``.
        lifecycle: how fast tasks progress; default: one step per poll.
        faults: fault rules applied in order (see ``veo.mock.Fault``).
        seed: seeds the fault plan's probabilities, for repeatable runs.
        validate_responses: check every answer against the spec (on in tests).
        spec: the effective spec to serve; default: the one ``veo_api`` ships.
        replay: a recording (``veo check --save``, ``veo generate --record``) whose
            answers the mock gives instead of its own (``veo.mock._replay``).
        allow_drift: serve a recording that contradicts the spec.
        speed: how much faster than recorded a replayed task moves.
        fetch_images: fetch each create's image URLs as the service does; a task whose
            image cannot be fetched, or is no PNG, JPEG or WebP, fails saying so.

    Raises:
        MockSpecError: the mock's own answers do not fit the spec (a field it sends
            is gone, say), naming each field; ``ReplayDriftError``, a subclass: the
            recording contradicts the spec (without ``allow_drift``).
        veo._recording.RecordingError: ``replay`` holds no readable recording.
    """
    state = MockState(
        api_keys=frozenset(api_keys) if api_keys else MockState().api_keys,
        lifecycle=lifecycle,
        fetch_images=fetch_images,
    )
    replayed = None if replay is None else Replay(replay, allow_drift=allow_drift, speed=speed)
    return MockApp(state, FaultPlan(faults, seed=seed), validate_responses, spec, replayed)
