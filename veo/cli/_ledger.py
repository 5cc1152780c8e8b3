"""What the ``veo`` command bought: every task it creates, in a local SQLite file.

The file lives in the user's data directory (``platformdirs``: ``~/.local/share/veo``
on Linux, ``~/Library/Application Support/veo`` on macOS, ``%LOCALAPPDATA%\\veo`` on
Windows), or under ``VEO_HOME``; never under the current directory, and never with the
key. ``veo generate`` and ``veo check --spend`` write each task when its create is
accepted, before going on, and its last state and file later; ``veo batch`` writes the
tasks of a run when the run ends (its journal holds their ids meanwhile). Several
``veo`` processes may write at once: each write is one short transaction (WAL mode),
and a writer waits for another for up to 30 s.

A ledger that cannot be written never stops a paid task: the command warns once,
names the task, and goes on (``Remembered``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from veo.cli._keys import shown_value

__all__ = [
    "LEDGER_NAME",
    "MOCK",
    "Entry",
    "Ledger",
    "Remembered",
    "ledger_path",
    "recovery_command",
]

LEDGER_NAME = "tasks.sqlite3"
MOCK = "mock"
"""The ``service`` of a task the embedded mock (``--mock``) made: gone with its run."""
PROMPT_EXCERPT = 80  # characters of the prompt kept


def ledger_path() -> Path:
    """Where the ledger is: ``tasks.sqlite3`` under ``VEO_HOME``, else in the user's data
    directory."""
    home = os.environ.get("VEO_HOME")
    if home:
        return Path(home).expanduser().absolute() / LEDGER_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir("veo", appauthor=False)) / LEDGER_NAME


@attrs.frozen
class Entry:
    """One task the command created."""

    id: str
    created: float
    command: str
    mode: str | None
    prompt: str
    destination: str | None
    state: str | None
    file: str | None
    updated: float
    service: str | None = None
    """Where the task was created: the API's base URL, ``MOCK`` for the embedded mock
    (None: recorded before the ledger kept it)."""

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


COLUMNS = tuple(field.name for field in attrs.fields(Entry))


def _entry(row: tuple[Any, ...]) -> Entry:
    entry = Entry(*row)
    return entry if entry.service else attrs.evolve(entry, service=None)  # '': not known


def _columns(db: sqlite3.Connection) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(tasks)")}


def _selected(db: sqlite3.Connection) -> str:
    """``COLUMNS`` to select, as the table has them (NULL for a column added later)."""
    present = _columns(db)
    return ", ".join(name if name in present else f"NULL AS {name}" for name in COLUMNS)


_TABLE = """CREATE TABLE IF NOT EXISTS {name} (
    id TEXT NOT NULL,
    created REAL NOT NULL,
    command TEXT NOT NULL,
    mode TEXT,
    prompt TEXT NOT NULL,
    destination TEXT,
    state TEXT,
    file TEXT,
    updated REAL NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service, id)
)"""
"""The table: a task is its service and its id (two services, or two runs of the
embedded mock, may give the same id). ``service`` is ``''`` where not known."""


def _keyed_by_id_alone(db: sqlite3.Connection) -> bool:
    keys = [row[1] for row in db.execute("PRAGMA table_info(tasks)") if row[5]]
    return keys == ["id"]


def _rekey(db: sqlite3.Connection) -> None:
    """Move a ledger keyed by id alone (with or without its ``service`` column) to the
    table keyed by service and id, in one transaction (another writer doing the same
    meanwhile waits, then finds it done)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if _keyed_by_id_alone(db):
            present = _columns(db)
            service = "coalesce(service, '')" if "service" in present else "''"
            kept = ", ".join(name for name in COLUMNS if name != "service")
            db.execute(_TABLE.format(name="tasks_keyed"))
            db.execute(
                f"INSERT INTO tasks_keyed ({kept}, service) "  # noqa: S608 (our names)
                f"SELECT {kept}, {service} FROM tasks"
            )
            db.execute("DROP TABLE tasks")
            db.execute("ALTER TABLE tasks_keyed RENAME TO tasks")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _read_only(path: Path) -> sqlite3.Connection:
    """The ledger opened for reading only: it never needs write access to ``path`` or
    its directory (a read-only ``VEO_HOME``, another user's ledger).

    SQLite reads a WAL database through a ``-shm`` file it creates beside it; where it
    cannot (a read-only directory), the file is read as it is on disk (``immutable``),
    which misses only what a writer, somewhere with the right to write, has not yet
    moved into it.

    Raises:
        FileNotFoundError: no ledger at ``path``.
    """
    if not path.exists():
        raise FileNotFoundError(path)
    uri = path.absolute().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:  # no -shm could be made: nothing may be written here
        db.close()
        db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
    return db


def _stored(*values: Any) -> tuple[Any, ...]:
    """What a write stores: the values, without the key the command runs with (a
    service that echoed it in a task id or a link does not put it on the disk)."""
    return tuple(shown_value(list(values)))


class Ledger:
    """The ledger file; opened per operation, so a process holds no lock between them."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else ledger_path()

    @contextlib.contextmanager
    def _db(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        else:
            db = _read_only(self.path)
        try:
            if write:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_TABLE.format(name="tasks"))
                if _keyed_by_id_alone(db):  # a ledger older than the service key
                    _rekey(db)
            elif not _columns(db):  # made this moment by a writer, its table not yet
                raise FileNotFoundError(self.path)
            yield db
        finally:
            db.close()

    def record(
        self,
        task_id: str,
        *,
        command: str,
        prompt: str,
        mode: str | None = None,
        destination: str | None = None,
        state: str | None = None,
        service: str | None = None,
    ) -> None:
        """Add a task the command created (once: a task already recorded, at the same
        service, is kept)."""
        now = time.time()
        with self._db(write=True) as db:
            db.execute(
                "INSERT OR IGNORE INTO tasks (id, created, command, mode, prompt, destination, "
                "state, file, updated, service) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                _stored(
                    task_id,
                    now,
                    command,
                    mode,
                    prompt[:PROMPT_EXCERPT],
                    destination,
                    state,
                    now,
                    service or "",
                ),
            )

    def record_many(self, entries: list[dict[str, Any]]) -> None:
        """Add many tasks at once (``veo batch``, at the end of a run), with their state
        and file where known; one transaction."""
        now = time.time()
        with self._db(write=True) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for entry in entries:
                    db.execute(
                        "INSERT OR IGNORE INTO tasks (id, created, command, mode, prompt, "
                        "destination, state, file, updated, service) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _stored(
                            entry["id"],
                            now,
                            entry["command"],
                            entry.get("mode"),
                            entry["prompt"][:PROMPT_EXCERPT],
                            entry.get("destination"),
                            entry.get("state"),
                            entry.get("file"),
                            now,
                            entry.get("service") or "",
                        ),
                    )
                    db.execute(
                        "UPDATE tasks SET state = coalesce(?, state), file = coalesce(?, file), "
                        "updated = ? WHERE id = ? AND service = ?",
                        _stored(
                            entry.get("state"),
                            entry.get("file"),
                            now,
                            entry["id"],
                            entry.get("service") or "",
                        ),
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def update(
        self,
        task_id: str,
        *,
        service: str,
        state: str | None = None,
        file: str | None = None,
    ) -> None:
        """Note a recorded task's last known state and, once downloaded, its file (the
        task at ``service``, or one recorded before the ledger kept services)."""
        with self._db(write=True) as db:
            db.execute(
                "UPDATE tasks SET state = coalesce(?, state), file = coalesce(?, file), "
                "updated = ? WHERE id = ? AND service IN (?, '')",
                _stored(state, file, time.time(), task_id, service),
            )

    def entries(self, *, state: str | None = None, since: float | None = None) -> list[Entry]:
        """The recorded tasks, newest first (none when nothing was ever recorded)."""
        where: list[str] = []
        parameters: list[Any] = []
        if state is not None:
            where.append("state = ?")
            parameters.append(state)
        if since is not None:
            where.append("created >= ?")
            parameters.append(since)
        sql = "SELECT {} FROM tasks"
        if where:
            sql += " WHERE " + " AND ".join(where)
        try:
            with self._db(write=False) as db:
                sql = sql.format(_selected(db))
                rows = db.execute(sql + " ORDER BY created DESC, id DESC", parameters).fetchall()
        except FileNotFoundError:
            return []
        return [_entry(row) for row in rows]

    def entry(self, task_id: str, service: str | None = None) -> Entry | None:
        """The recorded task ``task_id`` at ``service`` (or recorded before the ledger
        kept services); with no ``service``, the one with that id recorded last. None
        when there is none."""
        try:
            with self._db(write=False) as db:
                sql = f"SELECT {_selected(db)} FROM tasks WHERE id = ?"  # noqa: S608
                parameters = _stored(task_id)
                if service is not None:
                    sql += " AND coalesce(service, '') IN (?, '')"
                    parameters += (service,)
                order = " ORDER BY coalesce(service, '') = '', created DESC"
                row = db.execute(sql + order, parameters).fetchone()
        except FileNotFoundError:
            return None
        return None if row is None else _entry(row)


def recovery_command(task_id: str) -> str | None:
    """The command that recovers a paid task from where the command stopped:
    ``veo resume`` when the ledger knows where its video goes (it waits for the task,
    then downloads it there), else ``veo wait`` then ``veo download``: ``veo download``
    alone refuses a task that has not finished. None for a task of the embedded mock,
    which stopped with its command (nothing was paid, nothing can be recovered)."""
    try:
        entry = Ledger().entry(task_id)
    except (sqlite3.Error, OSError):  # a ledger that cannot be read changes no hint
        entry = None
    if entry is not None and entry.service == MOCK:
        return None
    if entry is not None and entry.destination:
        return f"veo resume {task_id}"
    return f"veo wait {task_id} && veo download {task_id}"


class Remembered:
    """The ledger as the commands write it: a write that fails warns once and goes on.

    ``warn`` prints one line; after a failure no further write is tried (the disk is
    full, the directory read-only, ...), and every task id is still printed by the
    command itself.
    """

    def __init__(self, ledger: Ledger, warn: Any, service: str) -> None:
        self.ledger = ledger
        self.service = service  # where this command's tasks are (Service.where)
        self._warn = warn
        self.broken = False

    def record(self, task_id: str, **fields: Any) -> None:
        fields.setdefault("service", self.service)
        self._write(task_id, lambda: self.ledger.record(task_id, **fields))

    def update(self, task_id: str, **fields: Any) -> None:
        self._write(task_id, lambda: self.ledger.update(task_id, service=self.service, **fields))

    def record_many(self, entries: list[dict[str, Any]]) -> None:
        if entries:
            names = ", ".join(entry["id"] for entry in entries[:3])
            more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
            self._write(names + more, lambda: self.ledger.record_many(entries))

    def _write(self, task_id: str, write: Any) -> None:
        if self.broken:
            return
        try:
            write()
        except (sqlite3.Error, OSError) as exc:
            self.broken = True
            self._warn(
                f"warning: the task ledger ({self.ledger.path}) could not be written "
                f"({exc}); task {task_id} is not recorded there: keep its id"
            )
