"""The checks: free probes, a task the user names, and (paid) real generations."""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import attrs
import httpx

from veo._client import Veo, task_id_of
from veo._errors import (
    APIConnectionError,
    APITimeoutError,
    CreateOutcomeUnknownError,
    TaskFailedError,
    UnexpectedResponseError,
    VeoError,
    WaitTimeoutError,
)
from veo._http import ObservedExchange
from veo._models import TaskState, VideoRequest, VideoTask
from veo._mp4 import Mp4Check
from veo._polling import PollSchedule
from veo._recording import RecordedExchange, Recorder, Recording
from veo._retry import RetryPolicy
from veo._rules import DEFAULT_DURATION, DEFAULT_MODEL
from veo._transport import DefaultHttpxClient
from veo.check._schema import Drift, drifts

__all__ = ["CheckReport", "CheckResult", "SpendRun", "run_check"]

T = TypeVar("T")
PASS, DRIFT, FAIL = "pass", "drift", "fail"
MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest API answer read (videos are streamed through the MP4 check, not kept)."""


@attrs.frozen
class CheckResult:
    """One check: ``status`` is ``pass``, ``drift`` (the service departs from the
    spec) or ``fail`` (it could not be checked: unreachable, key refused, ...)."""

    name: str
    status: str
    detail: str
    drifts: tuple[Drift, ...] = ()
    seconds: float | None = None


@attrs.frozen
class SpendRun:
    """One real generation of ``--spend``: its task and how long each phase took."""

    task_id: str | None
    generation_type: str
    queue_seconds: float | None = None
    generation_seconds: float | None = None
    download_seconds: float | None = None
    video_bytes: int | None = None


@attrs.frozen
class CheckReport:
    """Everything ``veo check`` found."""

    base_url: str
    results: tuple[CheckResult, ...]
    spend: tuple[SpendRun, ...] = ()
    recording: Recording | None = None
    """Every exchange, redacted (the key never appears): ``save`` writes it."""

    @property
    def exchanges(self) -> tuple[RecordedExchange, ...]:
        """Every request and its answer, in order."""
        return self.recording.exchanges if self.recording else ()

    @property
    def status(self) -> str:
        """``fail`` if any check failed, else ``drift`` if any drifted, else ``pass``."""
        found = {result.status for result in self.results}
        return FAIL if FAIL in found else DRIFT if DRIFT in found else PASS

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON-ready document (no exchanges: see ``save``)."""
        return {
            "base_url": self.base_url,
            "status": self.status,
            "checks": [attrs.asdict(result) for result in self.results],
            "spend": [attrs.asdict(run) for run in self.spend],
        }

    def save(self, directory: str | Path) -> Path:
        """Write the recording (``recording.json``, the format in ``veo._recording``)
        under ``directory``; its path."""
        recording = self.recording or Recording("veo check", self.base_url, ())
        return recording.save(directory)


class _Session:
    """Runs the checks on ``Veo`` clients (their exchange: one attempt each, the answer
    deadline as the call deadline, answers cut at ``MAX_BODY_BYTES``), keeping every
    exchange they observe, redacted, and the results."""

    def __init__(self, client: Veo, keep_video: bool, clock: Callable[[], float]) -> None:
        self.client = client
        self.secret = client._secret
        self.base_url = str(client.base_url).rstrip("/")
        self.answer_deadline = client.deadline or 0.0
        self.keep_video = keep_video
        self.clock = clock
        self.results: list[CheckResult] = []
        self.recorder = Recorder(self.secret, self.base_url, "veo check", clock)
        self.label = ""
        self.seen: list[ObservedExchange] = []

    def observe(self, exchange: ObservedExchange) -> None:
        """The clients' observer: keep the exchange under the check under way."""
        self.seen.append(exchange)
        self.recorder.observe(exchange, self.label)

    def ask(self, label: str, call: Callable[[], T]) -> tuple[T | VeoError, ObservedExchange]:
        """Run ``call`` as the check ``label``: its outcome (an answer the service gave,
        even an error) and the exchange. No answer, or one still arriving at the answer
        deadline, ends the run (``_Unreachable``, ``_Stalled``)."""
        self.label, self.seen = label, []
        outcome: T | VeoError
        try:
            outcome = call()
        except (APIConnectionError, CreateOutcomeUnknownError) as exc:
            cause = exc.__cause__ if isinstance(exc, CreateOutcomeUnknownError) else exc
            if isinstance(cause, APITimeoutError) and "deadline" in str(cause):
                raise _Stalled(label, self.answer_deadline) from None
            if not self.seen or self.seen[-1].status is None:
                error = (cause or exc).__cause__ or cause or exc
                detail = self.secret.redact(f"{type(error).__name__}: {error}")
                raise _Unreachable(detail) from None
            outcome = exc
        except VeoError as exc:
            if not self.seen:  # refused before anything was sent: not the service's doing
                raise
            outcome = exc
        return outcome, self.seen[-1]

    def add(self, result: CheckResult) -> None:
        """Keep a result, redacted: its text may quote what the service sent."""
        redact = self.secret.redact
        drifts = tuple(
            Drift(redact(d.path), redact(d.problem), redact(d.observed)) for d in result.drifts
        )
        self.results.append(attrs.evolve(result, detail=redact(result.detail), drifts=drifts))


class _Unreachable(Exception):
    pass


class _Stalled(Exception):
    """An answer that kept coming slower than the check waits (a trickling service)."""

    def __init__(self, check: str, seconds: float) -> None:
        super().__init__(f"the answer did not finish within {seconds:g} s (still arriving)")
        self.check = check


def _body(exchange: ObservedExchange) -> tuple[Any, Drift | None]:
    if isinstance(exchange.error, UnexpectedResponseError) and "max_response_bytes" in str(
        exchange.error
    ):
        limit = f"at most {MAX_BODY_BYTES} bytes"
        return None, Drift("(body)", f"an API answer is small JSON ({limit})", "larger")
    try:
        return json.loads(exchange.body or b""), None
    except (ValueError, RecursionError):
        kind = dict(exchange.headers).get("content-type", "none")
        return None, Drift("(body)", "the spec says a JSON body", f"not JSON ({kind})")


def _conforms(name: str, exchange: ObservedExchange, what: str) -> CheckResult:
    """A result for one answer: its body checked against the spec for its status."""
    status = exchange.status or 0
    body, not_json = _body(exchange)
    found = [not_json] if not_json else drifts(body, exchange.operation or "", status)
    result = DRIFT if found else PASS
    detail = f"{what}: HTTP {status}" + (f", {len(found)} drift(s)" if found else "")
    return CheckResult(name, result, detail, tuple(found), exchange.seconds)


def _probe_id() -> str:
    return f"veo-check-{secrets.token_hex(8)}"


def _probes(session: _Session, authorization: str, bearer: str) -> str | None:
    """The free probes; return the Authorization form the service accepts (or None)."""
    probe = _probe_id()
    client = session.client
    _, answer = session.ask("no-key", lambda: client._probe(probe, None))
    if answer.status == 401:
        session.add(_conforms("no-key", answer, "refused without a key"))
    else:
        drift = Drift("status", "the spec says 401 without a key", str(answer.status))
        session.add(
            CheckResult("no-key", DRIFT, "answered without a key", (drift,), answer.seconds)
        )
    _, answer = session.ask("key", lambda: client._probe(probe, authorization))
    accepted = authorization
    auth_drift: tuple[Drift, ...] = ()
    if answer.status == 401 and bearer != authorization:
        _, answer = session.ask("key", lambda: client._probe(probe, bearer))
        accepted = bearer
        auth_drift = (
            Drift(
                "Authorization",
                "the spec says the raw key; the service refused it and accepted 'Bearer <key>'",
                "Bearer",
            ),
        )
    if answer.status == 401:
        session.add(CheckResult("key", FAIL, "the key was refused (HTTP 401)", (), answer.seconds))
        return None
    if answer.status != 404:
        drift = Drift(
            "status", "the spec says 404 for a task that does not exist", str(answer.status)
        )
        session.add(CheckResult("key", DRIFT, "key accepted", (*auth_drift, drift), answer.seconds))
        return accepted
    result = _conforms("key", answer, "key accepted, unknown task")
    found = (*auth_drift, *result.drifts)
    session.add(attrs.evolve(result, status=DRIFT if found else PASS, drifts=found))
    return accepted


def _task(session: _Session, task_id: str, authorization: str) -> None:
    client = session.client
    _, answer = session.ask("task", lambda: client._probe(task_id, authorization))
    if answer.status != 200:
        detail = f"task {task_id}: HTTP {answer.status}"
        session.add(CheckResult("task", FAIL, detail, (), answer.seconds))
        return
    session.add(_conforms("task", answer, f"task {task_id}"))


def spend_bodies(count: int, image_urls: Sequence[str]) -> list[dict[str, Any]]:
    """The create bodies of ``--spend``: TEXT, then FIRST&LAST (with 1-2 of the images)
    and REFERENCE (with 3, 16:9), in turn, as far as the images given allow."""
    prompt = "A paper boat drifts down a rainy street"
    plans: list[dict[str, Any]] = [{"generation_type": "TEXT"}]
    if image_urls:
        plans.append({"generation_type": "FIRST&LAST", "image_urls": list(image_urls[:2])})
    if len(image_urls) >= 3:
        reference = {"generation_type": "REFERENCE", "image_urls": list(image_urls[:3])}
        plans.append({**reference, "aspect_ratio": "16:9"})
    base = {"model": DEFAULT_MODEL, "prompt": prompt, "duration": DEFAULT_DURATION}
    return [{**base, **plans[index % len(plans)]} for index in range(count)]


def _spend_one(
    session: _Session,
    client: Veo,
    body: dict[str, Any],
    timeout: float,
    on_created: Callable[[str, dict[str, Any]], None] | None,
) -> SpendRun:
    """One real generation on ``client``'s create, wait loop and download; every
    answer checked against the spec on the way."""
    mode = str(body["generation_type"])
    fields = {key: value for key, value in body.items() if key != "prompt"}
    request = VideoRequest(body["prompt"], **fields)

    def created(task: VideoTask) -> None:
        if on_created is not None:
            on_created(task.id, body)

    made, answer = session.ask("spend-create", lambda: client.create(request, on_created=created))
    session.add(_conforms("spend-create", answer, f"create {mode}"))
    if not isinstance(made, VideoTask):
        return SpendRun(None, mode)
    start = session.clock()
    queued: list[float] = []

    def progressed(task: VideoTask) -> None:
        if not queued and task.state is not TaskState.PENDING:
            queued.append(session.clock() - start)

    finished, _ = session.ask(
        "spend-poll", lambda: client.wait(made, timeout=timeout, on_progress=progressed)
    )
    polled = [e for e in session.seen if e.status is not None]
    drifted: dict[str, CheckResult] = {}
    for number, exchange in enumerate(polled, start=1):
        result = _conforms("spend-poll", exchange, f"poll {number} of {made.id}")
        if result.status != PASS:
            drifted.setdefault(str(result.drifts), result)  # each drift once
    for result in drifted.values():
        session.add(result)
    generated = session.clock() - start
    queue = queued[0] if queued else None
    if not isinstance(finished, VideoTask) or not finished.video_url:
        task = finished.task if isinstance(finished, TaskFailedError) else None
        state = task.raw_state if task else getattr(finished, "raw_state", "unknown")
        detail = f"task {made.id} ended {state}, no video"
        if isinstance(finished, WaitTimeoutError):
            detail = f"task {made.id} did not finish within {timeout:g} s"
        session.add(CheckResult("spend-video", FAIL, detail))
        return SpendRun(made.id, mode, queue, generated)
    return _spend_video(session, client, finished, mode, queue, generated)


def _spend_video(
    session: _Session,
    client: Veo,
    task: VideoTask,
    mode: str,
    queued: float | None,
    generated: float,
) -> SpendRun:
    """Download the video with the client (whole or absent) and check it is an MP4."""
    with tempfile.TemporaryDirectory(prefix="veo-check-") as folder:
        saved, answer = session.ask("spend-download", lambda: client.download(task, folder))
        if not isinstance(saved, Path):
            detail = f"video of {task.id}: HTTP {answer.status}, {saved}"
            session.add(CheckResult("spend-video", FAIL, detail, (), answer.seconds))
            return SpendRun(task.id, mode, queued, generated - (queued or 0.0))
        session.recorder.video_saved(saved, session.keep_video)
        check = Mp4Check()
        with saved.open("rb") as video:
            while chunk := video.read(1 << 20):
                check.feed(chunk)
        size = saved.stat().st_size
    # The check lists boxes only for a body that starts with an ftyp box.
    problem = check.problem() if check.boxes else "not an MP4 (no ftyp box)"
    if problem:
        detail = f"video of {task.id}: HTTP {answer.status}, {problem}"
        session.add(CheckResult("spend-video", FAIL, detail, (), answer.seconds))
    else:
        detail = f"video of {task.id}: a whole MP4 of {size} bytes"
        session.add(CheckResult("spend-video", PASS, detail, (), answer.seconds))
    generation = generated - (queued or 0.0)
    return SpendRun(task.id, mode, queued, generation, answer.seconds, size)


def run_check(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    task_id: str | None = None,
    spend: int = 0,
    image_urls: Sequence[str] = (),
    poll_schedule: PollSchedule | None = None,
    timeout: float = 900.0,
    answer_deadline: float = 60.0,
    http_client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_created: Callable[[str, dict[str, Any]], None] | None = None,
    keep_video: bool = False,
    clock: Callable[[], float] = time.monotonic,
) -> CheckReport:
    """Check the service at ``base_url`` against the effective spec.

    The probes are free: they never create a task. ``task_id`` checks a task you have.
    ``spend`` runs that many real generations (each is billed; see ``spend_bodies``
    for how ``image_urls`` spread them over the generation types), checks every
    answer, downloads each video and checks it is a whole MP4.

    ``timeout`` bounds each spent task's wait; ``answer_deadline`` each answer, however
    slowly it trickles in (a stalled answer fails its check and ends the run).
    ``on_created`` is called with each spent task's id and create body as soon as the
    service accepted it. The report's ``recording`` holds every exchange, redacted;
    ``keep_video`` keeps each spent video's bytes in it too (else its size and boxes).
    ``sleep`` and ``clock`` pace the polls and time the recording (tests pass a
    virtual clock's).

    Key and base URL come from the arguments or ``DUOMI_API_KEY`` / ``DUOMI_BASE_URL``,
    with ``Veo``'s rules.

    Raises:
        ConfigurationError: no usable key or base URL.
        InvalidRequestError: an unusable ``task_id`` or ``image_urls``; nothing was sent.
    """
    if task_id is not None:
        task_id = task_id_of(task_id)  # refuses "", ".", ".." and what UTF-8 cannot carry
    if image_urls:
        VideoRequest("check", image_urls=list(image_urls)).to_body()  # the URL rules
    bodies = spend_bodies(spend, image_urls)
    with _client(http_client) as http:
        # Veo's rules for the key and the base URL; its exchange for every answer.
        options: dict[str, Any] = {
            "base_url": base_url,
            "http_client": http,
            "deadline": answer_deadline,
            "retry": RetryPolicy(max_retries=0),
            "max_response_bytes": MAX_BODY_BYTES,
            "poll_schedule": poll_schedule or PollSchedule(),
            "sleep": sleep,
            "clock": clock,
        }
        client = Veo(api_key, **options)
        session = _Session(client, keep_video, clock)
        raw = client._secret.reveal()
        runs: list[SpendRun] = []
        try:
            with client.observing(session.observe):
                accepted = _probes(session, raw, f"Bearer {raw}")
                if accepted is not None and task_id is not None:
                    _task(session, task_id, accepted)
            if accepted is not None and bodies:
                # The spent tasks go out in the form the service accepted.
                spender = Veo(raw, bearer=accepted != raw, **options)
                with spender.observing(session.observe):
                    for body in bodies:
                        runs.append(_spend_one(session, spender, body, timeout, on_created))
        except _Unreachable as exc:
            base = session.base_url
            session.add(CheckResult("reach", FAIL, f"{base} could not be reached: {exc}"))
            runs = []
        except _Stalled as exc:
            session.add(CheckResult(exc.check, FAIL, str(exc)))
            runs = []
    report = session.recorder.recording()
    return CheckReport(session.base_url, tuple(session.results), tuple(runs), report)


@contextmanager
def _client(http_client: httpx.Client | None) -> Iterator[httpx.Client]:
    if http_client is not None:
        yield http_client
        return
    timeout = httpx.Timeout(30.0, connect=10.0)
    with DefaultHttpxClient(timeout=timeout, follow_redirects=True) as http:
        yield http
