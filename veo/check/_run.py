"""The checks: free probes, a task the user names, and (paid) real generations."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx

from veo._client import Veo, task_id_of
from veo._http import DEADLINE_SLACK
from veo._models import TaskState, VideoRequest, VideoTask
from veo._mp4 import Mp4Check
from veo._operations import CREATE, GET_TASK
from veo._polling import PollSchedule
from veo._recording import RecordedExchange, Recorder, Recording, created_id
from veo._rules import DEFAULT_DURATION, DEFAULT_MODEL
from veo._secret import Secret
from veo._transport import CALL_REMAINING, DefaultHttpxClient
from veo.check._schema import Drift, drifts

__all__ = ["CheckReport", "CheckResult", "SpendRun", "run_check"]

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
    """Sends requests, keeps every exchange redacted, and collects the results."""

    def __init__(
        self,
        base_url: str,
        secret: Secret,
        http: httpx.Client,
        answer_deadline: float,
        keep_video: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.answer_deadline = answer_deadline
        self.secret = secret
        self.http = http
        self.keep_video = keep_video
        self.clock = clock
        self.results: list[CheckResult] = []
        self.recorder = Recorder(secret, base_url, "veo check", clock)

    def send(
        self,
        check: str,
        method: str,
        url: str,
        authorization: str | None,
        *,
        video: bool = False,
        **kwargs: Any,
    ) -> _Answer:
        """One exchange, recorded redacted. The body is streamed: an API answer is kept
        up to ``MAX_BODY_BYTES`` (a larger one is drift, not read further); a ``video``
        goes through the MP4 check (``_Answer.mp4``) and is kept only for
        ``keep_video``."""
        headers = {"Authorization": authorization} if authorization else {}
        request = self.http.build_request(method, url, headers=headers, **kwargs)
        start = time.perf_counter()
        chunks: list[bytes] = []
        size, too_big = 0, False
        mp4 = Mp4Check() if video else None
        kept = bytearray() if video and self.keep_video else None

        def record(status: int | None, response: httpx.Response | None = None) -> None:
            self.recorder.add(
                check,
                method=method,
                url=str(request.url),
                request_headers=request.headers,
                request_body=request.content,
                status=status,
                headers=response.headers.items() if response is not None else (),
                body=b"".join(chunks) if status is not None and mp4 is None else None,
                seconds=time.perf_counter() - start,
                video_size=size if mp4 is not None else None,
                boxes=mp4.boxes if mp4 is not None else None,
            )

        # The client's reads end by the answer deadline, headers included.
        until = CALL_REMAINING.set(lambda: start + self.answer_deadline - time.perf_counter())
        try:
            response = self.http.send(request, stream=True)
            try:
                for chunk in response.iter_bytes():
                    if time.perf_counter() - start > self.answer_deadline:
                        record(None)
                        raise _Stalled(check, self.answer_deadline)
                    size += len(chunk)
                    if mp4 is not None:
                        mp4.feed(chunk)
                        if kept is not None:
                            kept += chunk
                    elif size > MAX_BODY_BYTES:
                        too_big = True
                        break
                    else:
                        chunks.append(chunk)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            record(None)
            late = time.perf_counter() - start >= self.answer_deadline - DEADLINE_SLACK
            if isinstance(exc, httpx.TimeoutException) and late:
                raise _Stalled(check, self.answer_deadline) from None
            raise _Unreachable(self.secret.redact(f"{type(exc).__name__}: {exc}")) from None
        finally:
            CALL_REMAINING.reset(until)
        answer = _Answer(
            response.status_code,
            response.headers,
            b"".join(chunks),
            size,
            time.perf_counter() - start,
            too_big,
            mp4,
        )
        record(response.status_code, response)
        if kept is not None:
            task_id = self.recorder.exchanges[-1].task_id
            self.recorder.keep_video(task_id or "video", bytes(kept))
        return answer

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


@attrs.frozen
class _Answer:
    status_code: int
    headers: httpx.Headers
    content: bytes
    size: int
    seconds: float
    too_big: bool = False
    mp4: Mp4Check | None = None
    """A video's MP4 check, fed every chunk (``send(video=True)``)."""


def _body(response: _Answer) -> tuple[Any, Drift | None]:
    if response.too_big:
        limit = f"at most {MAX_BODY_BYTES} bytes"
        return None, Drift("(body)", f"an API answer is small JSON ({limit})", "larger")
    try:
        return json.loads(response.content), None
    except (ValueError, RecursionError):
        kind = response.headers.get("content-type", "none")
        return None, Drift("(body)", "the spec says a JSON body", f"not JSON ({kind})")


def _conforms(name: str, response: _Answer, operation: str, what: str) -> CheckResult:
    """A result for one answer: its body checked against the spec for its status."""
    body, not_json = _body(response)
    found = [not_json] if not_json else drifts(body, operation, response.status_code)
    status = DRIFT if found else PASS
    detail = f"{what}: HTTP {response.status_code}" + (f", {len(found)} drift(s)" if found else "")
    return CheckResult(name, status, detail, tuple(found), response.seconds)


def _probe_id() -> str:
    return f"veo-check-{secrets.token_hex(8)}"


def _task_url(session: _Session, task_id: str) -> str:
    """The task's URL; the id (the user's or the service's) stays one path segment."""
    return session.base_url + GET_TASK.url_path(task_id=task_id)


def _probes(session: _Session, authorization: str, bearer: str) -> str | None:
    """The free probes; return the Authorization form the service accepts (or None)."""
    url = _task_url(session, _probe_id())
    response = session.send("no-key", GET_TASK.method, url, None)
    if response.status_code == 401:
        session.add(_conforms("no-key", response, GET_TASK.id, "refused without a key"))
    else:
        drift = Drift("status", "the spec says 401 without a key", str(response.status_code))
        session.add(
            CheckResult("no-key", DRIFT, "answered without a key", (drift,), response.seconds)
        )
    response = session.send("key", GET_TASK.method, url, authorization)
    accepted = authorization
    auth_drift: tuple[Drift, ...] = ()
    if response.status_code == 401 and bearer != authorization:
        response = session.send("key", GET_TASK.method, url, bearer)
        accepted = bearer
        auth_drift = (
            Drift(
                "Authorization",
                "the spec says the raw key; the service refused it and accepted 'Bearer <key>'",
                "Bearer",
            ),
        )
    if response.status_code == 401:
        session.add(
            CheckResult("key", FAIL, "the key was refused (HTTP 401)", (), response.seconds)
        )
        return None
    if response.status_code != 404:
        drift = Drift(
            "status", "the spec says 404 for a task that does not exist", str(response.status_code)
        )
        session.add(
            CheckResult("key", DRIFT, "key accepted", (*auth_drift, drift), response.seconds)
        )
        return accepted
    result = _conforms("key", response, GET_TASK.id, "key accepted, unknown task")
    found = (*auth_drift, *result.drifts)
    session.add(attrs.evolve(result, status=DRIFT if found else PASS, drifts=found))
    return accepted


def _task(session: _Session, task_id: str, authorization: str) -> None:
    response = session.send("task", GET_TASK.method, _task_url(session, task_id), authorization)
    if response.status_code != 200:
        session.add(
            CheckResult(
                "task", FAIL, f"task {task_id}: HTTP {response.status_code}", (), response.seconds
            )
        )
        return
    session.add(_conforms("task", response, GET_TASK.id, f"task {task_id}"))


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
    authorization: str,
    body: dict[str, Any],
    schedule: PollSchedule,
    sleep: Callable[[float], None],
    timeout: float,
    on_created: Callable[[str, dict[str, Any]], None] | None,
) -> SpendRun:
    mode = str(body["generation_type"])
    url = session.base_url + CREATE.url_path()
    response = session.send("spend-create", CREATE.method, url, authorization, json=body)
    session.add(_conforms("spend-create", response, CREATE.id, f"create {mode}"))
    created, _ = _body(response)
    task_id = created_id(created)
    if response.status_code != 200 or task_id is None:
        return SpendRun(None, mode)
    if on_created is not None:
        on_created(task_id, body)
    start = session.clock()
    queued: float | None = None
    polls, seen = 0, set()
    task: VideoTask | None = None
    while session.clock() - start < timeout:
        polls += 1
        response = session.send(
            "spend-poll", GET_TASK.method, _task_url(session, task_id), authorization
        )
        result = _conforms("spend-poll", response, GET_TASK.id, f"poll {polls} of {task_id}")
        if result.status != PASS and str(result.drifts) not in seen:
            seen.add(str(result.drifts))
            session.add(result)
        data, _ = _body(response)
        task = (
            VideoTask.from_json(data)
            if isinstance(data, dict) and response.status_code == 200
            else None
        )
        if task is not None and queued is None and task.state is not TaskState.PENDING:
            queued = session.clock() - start
        if task is not None and task.state.finished:
            break
        sleep(schedule.delay(polls, session.clock() - start))
    generated = session.clock() - start
    if task is None or task.state is not TaskState.SUCCEEDED or not task.video_url:
        state = task.raw_state if task else "unknown"
        session.add(CheckResult("spend-video", FAIL, f"task {task_id} ended {state}, no video"))
        return SpendRun(task_id, mode, queued, generated)
    try:
        response = session.send("spend-download", "GET", task.video_url, None, video=True)
    except _Unreachable as exc:
        session.add(CheckResult("spend-video", FAIL, f"video of {task_id}: {exc}"))
        return SpendRun(task_id, mode, queued, generated - (queued or 0.0))
    check = response.mp4
    assert check is not None
    # The check lists boxes only for a body that starts with an ftyp box.
    problem = check.problem() if check.boxes else "not an MP4 (no ftyp box)"
    if response.status_code != 200 or problem:
        detail = f"video of {task_id}: HTTP {response.status_code}, {problem}"
        session.add(CheckResult("spend-video", FAIL, detail, (), response.seconds))
    else:
        detail = f"video of {task_id}: a whole MP4 of {response.size} bytes"
        session.add(CheckResult("spend-video", PASS, detail, (), response.seconds))
    download = response.seconds
    return SpendRun(task_id, mode, queued, generated - (queued or 0.0), download, response.size)


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
        # Veo's rules for the key and the base URL, on the check's own connection pool.
        config = Veo(api_key=api_key, base_url=base_url, http_client=http)
        secret = config._secret
        raw = secret.reveal()
        base = str(config.base_url).rstrip("/")
        session = _Session(base, secret, http, answer_deadline, keep_video, clock)
        try:
            accepted = _probes(session, raw, f"Bearer {raw}")
            runs: list[SpendRun] = []
            if accepted is not None and task_id is not None:
                _task(session, task_id, accepted)
            if accepted is not None:
                schedule = poll_schedule or PollSchedule()
                for body in bodies:
                    runs.append(
                        _spend_one(session, accepted, body, schedule, sleep, timeout, on_created)
                    )
        except _Unreachable as exc:
            session.add(CheckResult("reach", FAIL, f"{base} could not be reached: {exc}"))
            runs = []
        except _Stalled as exc:
            session.add(CheckResult(exc.check, FAIL, str(exc)))
            runs = []
    return CheckReport(base, tuple(session.results), tuple(runs), session.recorder.recording())


@contextmanager
def _client(http_client: httpx.Client | None) -> Iterator[httpx.Client]:
    if http_client is not None:
        yield http_client
        return
    timeout = httpx.Timeout(30.0, connect=10.0)
    with DefaultHttpxClient(timeout=timeout, follow_redirects=True) as http:
        yield http
