"""Recordings: what the service said, in one documented, versioned layout.

``veo check --save DIR`` and ``veo generate --record DIR`` write one; ``veo mock
--replay DIR`` (``MockServer(replay=DIR)``) answers in its shapes. A recording is a
directory holding ``recording.json``::

    {
      "format": "duomi-veo-recording",
      "version": 1,
      "source": "veo check",              # or "veo generate"
      "recorded_at": "2026-12-02T09:00:00Z",
      "base_url": "https://duomiapi.com",
      "exchanges": [
        {
          "label": "spend-poll",            # the check, or create / poll / download
          "operation": "getVideoTask",      # createVideoGeneration, getVideoTask, video
          "method": "GET",
          "path": "...",                    # the operation's path in the spec
          "task_id": "abc123",              # the task it concerns, when known
          "since_create": 12.5,             # seconds since that task's create answered
          "request": {"url": ..., "headers": {...}, "body": ...},
          "status": 200,                    # null: no answer came
          "headers": {"content-type": "application/json", ...},
          "body": {...},                    # JSON as sent, text, or null (a video)
          "seconds": 0.21,                  # how long the answer took
          "video": {"bytes": 5033, "boxes": ["ftyp", "moov", "mdat"], "file": null}
        }
      ]
    }

Kept headers are the ones a mock or a bug report can use (``Content-Type``,
``Retry-After``, ``WWW-Authenticate``, rate-limit and request-id headers); a cookie,
the date and the server's name are left out. Every text passes through the key's
redaction first: the key (raw, ``Bearer``, escaped, upper- or lower-case, base64)
never appears. A video is kept only as its size and top-level MP4 boxes, unless
asked (``--keep-video``: ``videos/<task id>.mp4`` beside ``recording.json``).
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from veo._files import DocumentError, read_json_document, validate, write_whole
from veo._http import REQUEST_ID_HEADERS, ObservedExchange
from veo._models import VideoTask
from veo._mp4 import Mp4Check
from veo._operations import CREATE, GET_TASK, operation_of
from veo._secret import Secret

__all__ = [
    "FILE",
    "FORMAT",
    "VERSION",
    "RecordedExchange",
    "Recorder",
    "Recording",
    "RecordingError",
    "created_id",
    "task_of",
]

FORMAT = "duomi-veo-recording"
VERSION = 1
FILE = "recording.json"
VIDEOS = "videos"
KEPT_HEADERS = frozenset({"content-type", "retry-after", "www-authenticate", *REQUEST_ID_HEADERS})
KEPT_PREFIXES = ("x-ratelimit-", "ratelimit-")
OBSERVED = (
    "method",
    "url",
    "request_headers",
    "request_body",
    "status",
    "headers",
    "body",
    "seconds",
)
"""What :meth:`Recorder.observe` takes of an ``ObservedExchange``: ``add``'s arguments."""
LABELS = {CREATE.id: "create", GET_TASK.id: "poll", "video": "download"}


class RecordingError(DocumentError):
    """A recording that cannot be read: not this format, a newer version, broken JSON,
    a field of the wrong type, too large or too deep, not a regular file."""


MAX_BYTES = 32 * 1024 * 1024
"""The largest ``recording.json`` read (a long ``veo check`` run writes a few hundred KiB;
videos are files of their own)."""
MAX_DEPTH = 64
"""The deepest nesting read: the API's answers nest 4 deep, a recording 4 more."""
_TEXT_OR_NULL = {"type": ["string", "null"]}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "version", "exchanges"],
    "properties": {
        "format": {"const": FORMAT},
        "version": {"const": VERSION},
        "source": {"type": "string"},
        "recorded_at": {"type": "string"},
        "base_url": {"type": "string"},
        "exchanges": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "operation", "method", "path", "status"],
                "properties": {
                    "label": {"type": "string"},
                    "operation": {"type": "string"},
                    "method": {"type": "string"},
                    "path": {"type": "string"},
                    "task_id": _TEXT_OR_NULL,
                    "status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "request": {
                        "type": "object",
                        "properties": {
                            "url": {"type": "string"},
                            "headers": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                        },
                    },
                    "since_create": _NUMBER_OR_NULL,
                    "seconds": _NUMBER_OR_NULL,
                    "video": {
                        "type": ["object", "null"],
                        "properties": {
                            "bytes": {"type": ["integer", "null"], "minimum": 0},
                            "boxes": {"type": "array", "items": {"type": "string"}},
                            "file": _TEXT_OR_NULL,
                        },
                    },
                },
            },
        },
    },
}
"""The layout of ``recording.json`` (the module docstring shows one), as JSON Schema."""


@attrs.frozen
class RecordedExchange:
    """One request and its answer, redacted (the module docstring has every field)."""

    label: str
    operation: str
    method: str
    path: str
    status: int | None
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    request: Mapping[str, Any] = attrs.field(factory=dict)
    task_id: str | None = None
    since_create: float | None = None
    seconds: float | None = None
    video: Mapping[str, Any] | None = None


@attrs.frozen
class Recording:
    """A recording: where it came from and every exchange, in order."""

    source: str
    base_url: str
    exchanges: tuple[RecordedExchange, ...]
    recorded_at: str = attrs.field(
        factory=lambda: datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    videos: Mapping[str, bytes] = attrs.field(factory=dict, eq=False, repr=False)
    """Kept videos by task id (``--keep-video``), written beside the recording."""

    def to_json(self) -> dict[str, Any]:
        """The document written as ``recording.json``."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "source": self.source,
            "recorded_at": self.recorded_at,
            "base_url": self.base_url,
            "exchanges": [attrs.asdict(exchange) for exchange in self.exchanges],
        }

    def save(self, directory: str | Path) -> Path:
        """Write ``recording.json`` (and any kept video) under ``directory``; its path.
        Each file is written whole (a temporary file renamed over it): a link at its
        name is replaced, never written through."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        for task_id, data in self.videos.items():
            (folder / VIDEOS).mkdir(exist_ok=True)
            write_whole(folder / VIDEOS / f"{_file_safe(task_id)}.mp4", data)
        path = folder / FILE
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False)
        write_whole(path, (text + "\n").encode("utf-8"))
        return path

    @classmethod
    def load(cls, directory: str | Path) -> Recording:
        """Read the recording in ``directory`` (or the ``recording.json`` named).

        Raises:
            RecordingError: no recording there (or not a regular file), another format
                or a newer version, a field against ``SCHEMA``, over ``MAX_BYTES`` or
                ``MAX_DEPTH``; naming the file and the field.
        """
        path = Path(directory)
        if path.suffix != ".json":
            path = path / FILE
        try:
            document = read_json_document(path, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH)
        except DocumentError as exc:
            raise RecordingError(str(exc)) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise RecordingError(f'{path}: not a {FORMAT} (no "format": "{FORMAT}")')
        if document.get("version") != VERSION:
            raise RecordingError(
                f"{path}: version {document.get('version')!r}; this veo reads version {VERSION}"
            )
        try:
            validate(path, document, SCHEMA)
        except DocumentError as exc:
            raise RecordingError(str(exc)) from None
        names = {field.name for field in attrs.fields(RecordedExchange)}
        exchanges = [
            RecordedExchange(**{k: v for k, v in item.items() if k in names})
            for item in document["exchanges"]
        ]
        return cls(
            source=str(document.get("source", "")),
            base_url=str(document.get("base_url", "")),
            exchanges=tuple(exchanges),
            recorded_at=str(document.get("recorded_at", "")),
        )


def _file_safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:100] or "video"


class Recorder:
    """Collects exchanges as they happen, redacted, and makes the ``Recording``.

    Args:
        secret: the key, redacted from everything kept.
        base_url: the API's base URL: answers from elsewhere are the video host's.
        source: ``"veo check"`` or ``"veo generate"``.
        clock: for ``since_create``.
    """

    def __init__(
        self, secret: Secret, base_url: str, source: str, clock: Any = time.monotonic
    ) -> None:
        self._secret = secret
        self._base = base_url.rstrip("/")
        self._source = source
        self._clock = clock
        self._created: dict[str, float] = {}  # task id -> when its create answered
        self._video_task: dict[str, str] = {}  # video URL -> its task
        self.exchanges: list[RecordedExchange] = []
        self.videos: dict[str, bytes] = {}

    def add(
        self,
        label: str | None,
        *,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        request_body: bytes | None,
        status: int | None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes | None = None,
        seconds: float | None = None,
        video_size: int | None = None,
        boxes: Iterable[str] | None = None,
    ) -> RecordedExchange:
        """Keep one exchange. ``body`` is an API answer's bytes; a video is described
        by ``video_size`` and ``boxes`` (or later, by ``video_saved``). ``label`` None:
        ``create``, ``poll`` or ``download``, after the operation."""
        now = self._clock()
        operation, path, task_id = self._locate(method, url)
        label = label or LABELS.get(operation, operation)
        decoded = _decoded(body) if body is not None else None
        if operation == CREATE.id and status == 200:
            created = created_id(decoded)
            if created is not None:
                task_id = created
                self._created[created] = now
        if operation == GET_TASK.id and status == 200 and task_id:
            task = task_of(decoded)
            for url_of_video in task.video_urls if task else ():
                self._video_task[url_of_video] = task_id
        since = None
        if task_id in self._created and operation != CREATE.id:
            since = round(now - self._created[task_id], 4)
        elif operation == CREATE.id and task_id:
            since = 0.0
        video_facts = None
        if operation == "video":
            video_facts = {"bytes": video_size, "boxes": list(boxes or []), "file": None}
        redact = self._secret.redact_value
        exchange = RecordedExchange(
            label=label,
            operation=operation,
            method=method,
            path=redact(path),
            status=status,
            body=redact(decoded),
            headers={
                redact(k.lower()): redact(v)
                for k, v in headers
                if k.lower() in KEPT_HEADERS or k.lower().startswith(KEPT_PREFIXES)
            },
            request={
                "url": redact(url),
                "headers": {redact(k): redact(v) for k, v in request_headers.items()},
                "body": redact(_decoded(request_body)) if request_body else None,
            },
            task_id=redact(task_id),
            since_create=since,
            seconds=None if seconds is None else round(seconds, 4),
            video=video_facts,
        )
        self.exchanges.append(exchange)
        return exchange

    def observe(self, exchange: ObservedExchange, label: str | None = None) -> None:
        """Keep an exchange a client observed (``Veo.observing``): the answer's body
        as the client read it, a video by what ``video_saved`` adds later."""
        self.add(label, **{name: getattr(exchange, name) for name in OBSERVED})

    def video_saved(self, file: Path, keep: bool) -> None:
        """Describe the last video fetched by the file it was saved to (its size and
        boxes), and keep a copy of it when ``keep``."""
        index = max(i for i, e in enumerate(self.exchanges) if e.operation == "video")
        exchange = self.exchanges[index]
        check = Mp4Check()
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                check.feed(chunk)
        video = {"bytes": file.stat().st_size, "boxes": list(check.boxes), "file": None}
        self.exchanges[index] = attrs.evolve(exchange, video=video)
        if keep:
            self.keep_video(exchange.task_id or file.stem, file.read_bytes())

    def keep_video(self, task_id: str, data: bytes) -> None:
        """Keep a video's bytes, written beside the recording (``--keep-video``)."""
        self.videos[task_id] = data
        for index, exchange in enumerate(self.exchanges):
            if exchange.operation == "video" and exchange.task_id == task_id and exchange.video:
                file = f"{VIDEOS}/{_file_safe(task_id)}.mp4"
                video = {**exchange.video, "file": file}
                self.exchanges[index] = attrs.evolve(exchange, video=video)

    def recording(self) -> Recording:
        """Everything kept so far."""
        return Recording(
            source=self._source,
            base_url=self._secret.redact(self._base),
            exchanges=tuple(self.exchanges),
            videos=dict(self.videos),
        )

    def _locate(self, method: str, url: str) -> tuple[str, str, str | None]:
        """The operation, path template and task of a request."""
        if url.startswith(self._base + "/"):
            path = url[len(self._base) :].partition("?")[0]
            found = operation_of(method, path)
            if found is not None:
                operation, parameters = found
                return operation.id, operation.path, parameters.get("task_id")
        # Anything else is a video link (a CDN, or the mock's stand-in on its own host).
        path = "/" + url.partition("://")[2].partition("/")[2].partition("?")[0]
        return "video", path, self._video_task.get(url)


def _decoded(content: bytes) -> Any:
    """JSON as sent, else the text."""
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def task_of(body: Any) -> VideoTask | None:
    """A recorded task answer, read as the client reads it (None: not a task)."""
    try:
        return VideoTask.from_json(body)
    except ValueError:
        return None


def created_id(body: Any) -> str | None:
    """The task id in a create answer, read as the client reads it (None: none)."""
    try:
        return VideoTask.from_created(body).id
    except ValueError:
        return None
