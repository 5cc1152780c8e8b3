"""``veo batch``: many videos from a JSONL file, resumable, never paying twice.

Each job's progress is committed to an SQLite journal (WAL) in the output directory
before and after every step that matters:

=========== ============================================================================
status      meaning, and what a re-run does
=========== ============================================================================
new         not started: created on the next run
submitting  the create call was in flight when the process stopped: the task may exist.
            Reported as outcome-unknown; created again only with ``--resubmit-unknown``
unknown     the service's answer to the create was lost (``CreateOutcomeUnknownError``);
            same as ``submitting``
refused     the service refused the create (nothing was made): tried again
submitted   the task id is known: polled and downloaded, never created again
downloading the video was being saved: downloaded again (a stale temporary file left by
            a killed process is removed first)
done        the file exists: skipped
failed      the task failed (message kept): skipped
error       the job hit an error of its own (a disk full, a permission denied, a bug):
            the message is kept and the other jobs went on. A re-run picks the job up
            where it stopped: it polls and downloads a known task, never creates it again
=========== ============================================================================

One runner per journal: ``BatchLock`` holds an exclusive OS lock (``flock``) on
``veo-batch.lock`` in the output directory for the whole run. The lock dies with its
process, so a killed run never blocks the next one; a second run on the same directory
is refused before it touches the journal or creates anything.

Jobs are isolated: whatever one job raises is recorded on that job (``error``), and
never cancels another job's create in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from veo._client import AsyncVeo, paid_task
from veo._download import remove_abandoned, safe_filename
from veo._errors import (
    APIError,
    CreateOutcomeUnknownError,
    InvalidRequestError,
    TaskFailedError,
    UploadError,
    VeoError,
    WaitTimeoutError,
)
from veo._models import REQUEST_FIELDS, VideoRequest, VideoTask
from veo._s3 import S3Destination
from veo.cli._keys import shown_value
from veo.cli._uploads import held, planned

__all__ = [
    "BatchLockedError",
    "Job",
    "Journal",
    "LineProblem",
    "Unrecorded",
    "batch_lock",
    "parse_batch",
    "run_batch",
]

logger = logging.getLogger("veo")

JOURNAL_NAME = "veo-batch.sqlite3"
LOCK_NAME = "veo-batch.lock"
MAX_CONNECTIONS = 32
WAKE_AT_ONCE = 4  # jobs a journal commit wakes per pass of the event loop
"""The most requests a batch has in flight, whatever its concurrency. A job spends
most of its time between polls; more requests at once only lengthen each pass of the
event loop (every answer that lands in a pass is handled in it), which delays every
other job's timers and deadlines: 100 at once held it for 50 ms at a time."""
# A line names the job and holds VideoRequest's fields; a field the installed spec does
# not know (extra_body) has no place in a line.
FIELDS = frozenset(REQUEST_FIELDS) - {"extra_body"} | {"name"}
LEFT = "left"
"""What a job reports when ``--max-videos`` leaves it for a later run (not finished)."""
UNKNOWN_HINT = (
    "the create call's outcome is unknown: a task may exist. Check your tasks, then "
    "re-run with --resubmit-unknown to create it again"
)


@attrs.frozen
class Job:
    """One line of the batch file, validated."""

    line: int
    name: str
    request: VideoRequest
    digest: str
    warnings: tuple[str, ...] = ()
    mode: str | None = None  # the generation type the checked body sends

    @property
    def filename(self) -> str:
        """The output file name, safe and unique within the batch."""
        return safe_filename(self.name)


Videos = Path | S3Destination
"""Where a batch's videos go: a local directory, or a bucket prefix."""


def place(out: Videos, job: Job) -> Path | S3Destination:
    """Where ``job``'s video goes: its file in the directory, or its object."""
    return out / job.filename if isinstance(out, Path) else out.named(job.filename)


def shown_place(out: Videos, job: Job) -> str:
    """``job``'s file or ``s3://`` object, as the command names it."""
    where = place(out, job)
    return str(where) if isinstance(where, Path) else where.location


class LineProblem(NamedTuple):
    """Why a line of the batch file cannot be used (line 0: the file as a whole)."""

    line: int
    message: str


def _job(line: int, text: str, base: Path, uploading: bool) -> Job:
    if "\x00" in text:
        raise ValueError("binary content (a NUL byte): a batch file is JSON text, one job a line")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not usable JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}"
        )
    name = data.pop("name", None)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError("name: must be a non-empty string")
    if isinstance(data.get("image_urls"), list):
        data["image_urls"] = [_beside(base, image) for image in data["image_urls"]]
    try:
        request = VideoRequest(**{"prompt": "", **data})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            body = (held(request) if uploading else request).to_body()
        images = {field: image.sha256 for field, image in planned(request)} if uploading else {}
    except InvalidRequestError as exc:
        raise ValueError("; ".join(str(p) for p in exc.problems)) from None
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    # A local image counts by its content: the same path with another image is another job.
    sent = {**body, **({"image_urls": _with_hashes(body["image_urls"], images)} if images else {})}
    digest = hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()
    return Job(
        line=line,
        name=name or f"line-{line:04d}",
        request=request,
        digest=digest,
        warnings=tuple(str(w.message) for w in caught),
        mode=body.get("generation_type"),
    )


def _beside(base: Path, image: object) -> object:
    """A batch line's relative image path, as a path from the batch file's directory
    (when there is a file there); anything else as it is."""
    if not isinstance(image, str) or "://" in image or Path(image).is_absolute():
        return image
    beside = base / image
    return str(beside) if beside.is_file() else image


def _with_hashes(urls: list[str], images: dict[str, str]) -> list[str]:
    return [images.get(f"image_urls[{i}]", url) for i, url in enumerate(urls)]


def parse_batch(path: Path, *, uploading: bool = False) -> tuple[list[Job], list[LineProblem]]:
    """Validate every line; return the jobs and every problem (blank lines are skipped).

    The file is UTF-8 (a leading BOM is accepted); a line that is not UTF-8, holds
    binary content or nests too deeply is reported like any other bad line. A relative
    image path is a file beside the batch file; with ``uploading`` (``--upload``), local
    images are read and checked here, and uploaded when their job is created.
    """
    jobs: list[Job] = []
    problems: list[LineProblem] = []
    seen: dict[str, int] = {}
    content = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    for number, raw in enumerate(content.splitlines(), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(LineProblem(number, f"not UTF-8 text (byte {exc.start + 1})"))
            continue
        if not text.strip():
            continue
        try:
            job = _job(number, text, path.parent, uploading)
        except ValueError as exc:
            problems.append(LineProblem(number, str(exc)))
            continue
        if job.filename in seen:
            problems.append(
                LineProblem(
                    number, f"name: {job.filename} is already used by line {seen[job.filename]}"
                )
            )
            continue
        seen[job.filename] = number
        jobs.append(job)
    if not jobs and not problems:
        problems.append(LineProblem(0, "the file has no jobs"))
    return jobs, problems


class BatchLockedError(VeoError):
    """Another ``veo batch`` is running on the same output directory."""


@contextlib.contextmanager
def batch_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output directory's runner lock for the block.

    An operating-system lock on ``veo-batch.lock`` (``flock`` on POSIX, ``msvcrt``'s
    byte lock on Windows): released by the system when the process ends, however it
    ends. The holder writes its process id into the file so that a refused run can
    name it.

    Raises:
        BatchLockedError: another process holds the lock.
    """
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            who = f" (process {holder})" if holder else ""
            raise BatchLockedError(
                f"another veo batch{who} is already running on {out_dir.absolute()}; wait "
                f"for it to finish, or use another --out directory"
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


# Windows locks a byte range and keeps every other process from reading it: the lock
# is on a byte past the process id, which stays readable.
WINDOWS_LOCKED_BYTE = 4096


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another holds it."""
    if sys.platform == "win32":  # tests/cli/test_lock.py runs it with a stand-in msvcrt
        import msvcrt

        os.lseek(fd, WINDOWS_LOCKED_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        return False
    return True


def _holder(fd: int, patience: float = 1.0) -> int | None:
    """The live process id written in the lock file, waiting briefly for the holder.

    The holder writes its id just after it takes the lock; a file still empty, or
    naming a process that is gone (a killed run), is read again for up to ``patience``
    seconds.
    """
    give_up = time.monotonic() + patience
    while True:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", errors="replace").strip()
        if text.isdigit() and _alive(int(text)):
            return int(text)
        if time.monotonic() >= give_up:
            return None
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # tests/cli/test_lock.py runs it (os.kill made to fail)
        # os.kill there ends the process whatever the signal: the lock being held says
        # the holder is alive; at worst a killed run's id is named.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class JournalMismatchError(VeoError):
    """The batch file changed since the journal in the output directory was written."""


class Journal:
    """The batch's durable state: one row per job, committed at every transition.

    During a run, jobs record their transitions with :meth:`record`, which returns
    only once the row is on disk (SQLite WAL, ``synchronous=FULL``). The commits
    happen on a worker thread, so the event loop never waits for the disk, and the
    transitions of jobs that arrive while one commit is being written share the next
    commit (group commit): one ``fsync`` for many jobs, each still durable before its
    job moves on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection, used by one thread at a time (the lock): the caller's, or the
        # commit worker's during a run.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._pending: list[tuple[_Update, asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS jobs (
                line INTEGER PRIMARY KEY,
                digest TEXT NOT NULL,
                name TEXT NOT NULL,
                status TEXT NOT NULL,
                task_id TEXT,
                path TEXT,
                message TEXT,
                updated REAL NOT NULL
            )"""
        )

    def close(self) -> None:
        """Close the database (after a commit in progress, if any, has finished)."""
        with self._lock:
            self._db.close()

    def register(self, jobs: list[Job]) -> None:
        """Add new jobs; refuse if a known line now holds a different request."""
        with self._lock:
            known = dict(self._db.execute("SELECT line, digest FROM jobs").fetchall())
            changed = [
                job.line for job in jobs if job.line in known and known[job.line] != job.digest
            ]
            if changed:
                lines = ", ".join(map(str, changed))
                raise JournalMismatchError(
                    f"line(s) {lines} differ from the batch recorded in {self.path}; use "
                    f"another --out directory for a different batch"
                )
            with self._transaction():
                self._db.executemany(
                    "INSERT OR IGNORE INTO jobs(line, digest, name, status, updated) "
                    "VALUES (?, ?, ?, 'new', ?)",
                    [(job.line, job.digest, job.filename, time.time()) for job in jobs],
                )

    def rows(self) -> dict[int, dict[str, Any]]:
        """Every job's recorded state, by line."""
        return self._states("")

    def row(self, line: int) -> dict[str, Any]:
        """The job's recorded state."""
        return self._states(" WHERE line = ?", line)[line]

    def _states(self, where: str, *parameters: Any) -> dict[int, dict[str, Any]]:
        sql = f"SELECT line, status, task_id, path, message FROM jobs{where}"  # noqa: S608
        with self._lock:
            return {
                line: {"status": status, "task_id": task_id, "path": path, "message": message}
                for line, status, task_id, path, message in self._db.execute(sql, parameters)
            }

    async def record(self, line: int, status: str, **fields: Any) -> None:
        """Record a transition; returns once it is committed (and on disk).

        Raises:
            sqlite3.Error, OSError: the database or its disk refused this transition.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((_Update.of(line, status, fields), done))
        if self._committing is None:
            self._committing = asyncio.create_task(self._commit_pending())
        await done

    async def _commit_pending(self) -> None:
        # One commit at a time; what arrives meanwhile waits for the next one.
        try:
            while self._pending:
                group, self._pending = self._pending, []
                try:
                    outcomes = await asyncio.to_thread(self._commit_each, [u for u, _ in group])
                except Exception as exc:  # never leave a job waiting on its transition
                    outcomes = [exc] * len(group)
                for index, ((_, done), outcome) in enumerate(zip(group, outcomes, strict=True)):
                    if index and not index % WAKE_AT_ONCE:
                        # Each woken job runs its next step in the loop's next pass: wake
                        # them a few at a time, so that one commit of a large group does
                        # not make one long pass that holds every timer and deadline.
                        await asyncio.sleep(0)
                    if done.done():  # its job was cancelled meanwhile
                        continue
                    if outcome is None:
                        done.set_result(None)
                    else:
                        done.set_exception(outcome)
        finally:
            self._committing = None

    def _commit_each(self, updates: list[_Update]) -> list[Exception | None]:
        """Commit the group at once; should that fail, each alone (one job's failure is
        its own). Returns each update's error, or None."""
        try:
            self._commit(updates)
        except (sqlite3.Error, OSError) as exc:
            if len(updates) == 1:
                return [exc]
        else:
            return [None] * len(updates)
        outcomes: list[Exception | None] = []
        for update in updates:
            try:
                self._commit([update])
            except (sqlite3.Error, OSError) as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    def _commit(self, updates: list[_Update]) -> None:
        with self._lock, self._transaction():
            for update in updates:
                self._db.execute(update.sql, update.parameters)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # The connection is in autocommit mode (each statement its own commit): a group
        # of statements needs an explicit transaction to share one commit.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def summary(self) -> list[dict[str, Any]]:
        """Every job's final state, in line order."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT line, name, status, task_id, path, message FROM jobs ORDER BY line"
            )
            keys = ("line", "name", "status", "task_id", "path", "message")
            return [dict(zip(keys, row, strict=True)) for row in cursor]


@attrs.frozen
class _Update:
    """One job's transition, as the SQL that records it."""

    sql: str
    parameters: tuple[Any, ...]

    @classmethod
    def of(cls, line: int, status: str, fields: dict[str, Any]) -> _Update:
        assignments = ", ".join(["status = ?", "updated = ?", *(f"{n} = ?" for n in fields)])
        sql = f"UPDATE jobs SET {assignments} WHERE line = ?"  # noqa: S608 (our column names)
        stored = shown_value(list(fields.values()))  # the key never reaches the disk
        return cls(sql, (status, time.time(), *stored, line))


def _saved(path: str) -> bool:
    """A done job's video is still there: its file; an object the journal recorded
    (not asked again: a ``HEAD`` a job would make every run)."""
    return path.startswith("s3://") or Path(path).exists()


def plan_of(row: dict[str, Any], resubmit_unknown: bool) -> str:
    """What running a job with this journal row does: ``create`` (a new, billed video),
    ``resume`` (its task is already paid for), or ``skip`` (done, failed, or a create
    whose outcome is unknown and not resubmitted). ``_run_job`` follows this rule."""
    status = row["status"]
    if status == "done" and row["path"] and _saved(row["path"]):
        return "skip"
    if status == "failed":
        return "skip"
    if status in ("submitting", "unknown"):
        return "create" if resubmit_unknown else "skip"
    return "create" if row["task_id"] is None else "resume"


class CreateBudget:
    """How many creates this run may still make (``--max-videos``; None: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self) -> bool:
        """One create, if the budget allows it."""
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


JobProgress = Callable[[Job, str, VideoTask | None], None]
"""Called with (job, what is happening, latest task) for the display."""


async def _run_job(
    job: Job,
    row: dict[str, Any],
    journal: Journal,
    client: AsyncVeo,
    out_dir: Videos,
    *,
    resubmit_unknown: bool,
    timeout: float,
    report: JobProgress,
    budget: CreateBudget,
) -> None:
    status, task_id = row["status"], row["task_id"]
    plan = plan_of(row, resubmit_unknown)
    if plan == "skip":
        if status in ("submitting", "unknown"):
            await journal.record(job.line, "unknown", message=UNKNOWN_HINT)
            report(job, "unknown", None)
        else:
            report(job, status, None)
        return
    target = place(out_dir, job)
    if isinstance(target, Path) and target.is_dir():  # a download would go inside it
        await journal.record(
            job.line, "error", message=f"{target} is a directory; move it away and re-run"
        )
        report(job, "error", None)
        return
    if plan == "create":
        # "error" without a task id: the job stopped before its create was sent.
        if not budget.take():  # --max-videos: left for a later run, as it is
            report(job, LEFT, None)
            return
        report(job, "submitting", None)
        await journal.record(job.line, "submitting", message=None)
        try:
            task = await client.create(job.request)
        except CreateOutcomeUnknownError as exc:
            await journal.record(job.line, "unknown", message=f"{UNKNOWN_HINT} ({exc.cause})")
            report(job, "unknown", None)
            return
        except APIError as exc:
            # A definite refusal: nothing was created, so a re-run may try again.
            await journal.record(job.line, "refused", message=str(exc))
            report(job, "refused", None)
            return
        except UploadError as exc:  # before the create: nothing paid; a re-run retries
            await journal.record(job.line, "error", message=f"{exc}; re-run to try again")
            report(job, "error", None)
            return
        task_id = task.id
        with paid_task(task):  # should the journal refuse, the error still names the task
            await journal.record(job.line, "submitted", task_id=task_id)
    try:
        task = await client.wait(
            task_id, timeout=timeout, on_progress=lambda t: report(job, "waiting", t)
        )
    except TaskFailedError as exc:
        await journal.record(job.line, "failed", message=exc.task.message or str(exc))
        report(job, "failed", exc.task)
        return
    except (WaitTimeoutError, APIError) as exc:
        await journal.record(job.line, "submitted", message=f"{exc}; re-run to resume")
        report(job, "pending", None)
        return
    report(job, "downloading", task)
    await journal.record(job.line, "downloading")
    try:
        path = await client.download(task, target, overwrite=True)
    except VeoError as exc:
        await journal.record(
            job.line,
            "error",
            message=f"could not save the video: {exc}; re-run to download it again",
        )
        report(job, "error", task)
        return
    await journal.record(job.line, "done", path=str(path), message=None)
    report(job, "done", task)


def recorded_rows(out_dir: Path) -> dict[int, dict[str, Any]]:
    """The journal's rows, read without writing anything (no journal: none)."""
    path = out_dir / JOURNAL_NAME
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        return {
            line: {"status": status, "task_id": task_id, "path": path_, "message": None}
            for line, status, task_id, path_ in db.execute(
                "SELECT line, status, task_id, path FROM jobs"
            )
        }


NEW_ROW: dict[str, Any] = {"status": "new", "task_id": None, "path": None, "message": None}


@attrs.frozen
class Unrecorded:
    """A job whose outcome the journal could not store (its disk refused)."""

    line: int
    task_id: str | None
    message: str


async def _record_error(journal: Journal, job: Job, exc: Exception) -> Unrecorded | None:
    """Record an error of the job's own; return what could not be recorded."""
    message = f"{type(exc).__name__}: {exc}"
    task_id = getattr(exc, "task_id", None)
    try:
        row = await asyncio.to_thread(journal.row, job.line)
        task_id = task_id or row["task_id"]
        if row["status"] == "submitting":  # the create was in flight: a task may exist
            await journal.record(job.line, "unknown", message=f"{UNKNOWN_HINT} ({message})")
        else:
            await journal.record(job.line, "error", message=f"{message}; re-run to resume")
    except (sqlite3.Error, OSError) as journal_error:
        logger.error(
            "line %d: the journal could not record %s: %s", job.line, message, journal_error
        )
        return Unrecorded(job.line, task_id, message)
    return None


async def run_batch(
    jobs: list[Job],
    journal: Journal,
    client: AsyncVeo,
    out_dir: Videos,
    *,
    concurrency: int,
    resubmit_unknown: bool,
    timeout: float,
    report: JobProgress,
    max_videos: int | None = None,
) -> list[Unrecorded]:
    """Run every job, at most ``concurrency`` at a time; one job's error stays its own.

    ``concurrency`` workers take the jobs in order, one at a time: a batch of 10,000
    jobs keeps ``concurrency`` coroutines alive, not 10,000 (fewer objects for every
    garbage collection to walk while the loop waits).

    ``max_videos`` caps the creates this run makes (jobs past it stay as they are, for
    a later run); resumed jobs cost nothing and do not count.

    Returns:
        The jobs whose outcome the journal could not store, with their task ids.
    """
    unrecorded: list[Unrecorded] = []
    budget = CreateBudget(max_videos)
    rows = journal.rows()
    if isinstance(out_dir, Path):  # one pass for every job
        remove_abandoned(out_dir, {job.filename for job in jobs})
    queue = iter(jobs)  # shared: each job is taken by exactly one worker

    async def worker() -> None:
        for job in queue:
            try:
                await _run_job(
                    job,
                    rows.pop(job.line),
                    journal,
                    client,
                    out_dir,
                    resubmit_unknown=resubmit_unknown,
                    timeout=timeout,
                    report=report,
                    budget=budget,
                )
            except Exception as exc:
                lost = await _record_error(journal, job, exc)
                if lost is not None:
                    unrecorded.append(lost)
                report(job, "error", None)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, len(jobs))):
            group.create_task(worker())
    return unrecorded
