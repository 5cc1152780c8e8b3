"""The task ledger: every task the command buys is recorded once, listed by ``veo tasks``,
and recoverable with ``veo resume``; a ledger that cannot be written stops nothing."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from veo.cli._ledger import LEDGER_NAME, Ledger
from veo.mock import Lifecycle
from veo.testing import MockServer

from ..helpers import RewritingService, is_playable_mp4
from .conftest import Run, only_json
from .test_batch import write_jobs
from .test_interrupts import interrupt_when, start_generate


@pytest.fixture
def home(veo_env: dict[str, str], tmp_path: Path) -> Path:
    """This test's own ledger directory."""
    veo_env["VEO_HOME"] = str(tmp_path / "home")
    return tmp_path / "home"


def listed(run_veo: Run, *options: str) -> list[dict[str, object]]:
    result = run_veo("tasks", "--json", *options)
    assert 0 == result.returncode, result.stderr
    tasks: list[dict[str, object]] = only_json(result.stdout)["tasks"]
    return tasks


def test_generate_records_its_task_with_its_file(
    run_veo: Run, veo_mock: MockServer, home: Path
) -> None:
    result = run_veo("generate", "a cat by the sea", "--out", "videos/")

    (task,) = listed(run_veo)
    assert 0 == result.returncode, result.stderr
    assert list(veo_mock.state.tasks) == [task["id"]]
    assert ("generate", "a cat by the sea", "succeeded") == (
        task["command"],
        task["prompt"],
        task["state"],
    )
    assert result.stdout.strip() == task["file"]
    assert (home / LEDGER_NAME).exists()


def test_two_generates_and_a_batch_at_once_record_every_task_exactly_once(
    veo_env: dict[str, str], run_veo: Run, veo_mock: MockServer, home: Path, tmp_path: Path
) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", 8)
    commands = [
        ["generate", "one", "--out", "a/"],
        ["generate", "two", "--out", "b/"],
        ["batch", str(jobs), "--out", "videos", "--concurrency", "4"],
    ]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "veo", *command],
            env=veo_env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert 0 == process.returncode, err

    tasks = listed(run_veo)
    assert 10 == veo_mock.state.tasks_created
    assert sorted(veo_mock.state.tasks) == sorted(str(task["id"]) for task in tasks)
    assert {"generate": 2, "batch": 8} == {
        command: sum(1 for task in tasks if task["command"] == command)
        for command in ("generate", "batch")
    }
    created = [float(str(task["created"])) for task in tasks]
    assert sorted(created, reverse=True) == created  # newest first


def test_tasks_filters_by_state_and_age(run_veo: Run, veo_mock: MockServer, home: Path) -> None:
    run_veo("generate", "a cat", "--out", "videos/")

    assert 1 == len(listed(run_veo, "--state", "succeeded", "--since", "1h"))
    assert [] == listed(run_veo, "--state", "failed")
    assert [] == listed(run_veo, "--since", "2999-01-01")
    bad = run_veo("tasks", "--since", "yesterday")
    assert 2 == bad.returncode
    assert "--since" in bad.stderr


def test_an_interrupted_generate_is_resumed_into_its_destination(
    veo_env: dict[str, str], run_veo: Run, veo_mock: MockServer, home: Path, tmp_path: Path
) -> None:
    veo_mock.state.lifecycle = Lifecycle(pace="time", pending_steps=60, running_steps=60)
    process = start_generate(veo_env, tmp_path)
    interrupt_when(process, lambda: veo_mock.state.requests_per_route()["get"] > 0)
    (task_id,) = veo_mock.state.tasks
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)

    result = run_veo("resume", task_id)

    assert 130 == process.returncode
    assert 0 == result.returncode, result.stderr
    path = Path(result.stdout.strip())
    assert tmp_path / "videos" == path.parent
    assert is_playable_mp4(path.read_bytes())
    assert str(path) == listed(run_veo)[0]["file"]
    assert 1 == veo_mock.state.tasks_created


def test_resume_of_an_unknown_task_names_the_ledger_and_veo_download(
    run_veo: Run, home: Path
) -> None:
    result = run_veo("resume", "never-made")

    assert 2 == result.returncode
    assert "veo download never-made" in result.stderr


def test_a_ledger_that_cannot_be_written_stops_nothing(
    veo_env: dict[str, str], run_veo: Run, veo_mock: MockServer, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the ledger's directory should be")
    env = {**veo_env, "VEO_HOME": str(blocked)}

    result = run_veo("generate", "a cat", "--out", "videos/", env=env)

    (task_id,) = veo_mock.state.tasks
    assert 0 == result.returncode, result.stderr
    assert is_playable_mp4(Path(result.stdout.strip()).read_bytes())
    assert 1 == result.stderr.count("warning: the task ledger")
    assert f"task {task_id} is not recorded there: keep its id" in result.stderr


def test_the_ledger_defaults_to_the_users_data_directory_not_the_current_one(
    veo_env: dict[str, str], run_veo: Run, tmp_path: Path
) -> None:
    env = {k: v for k, v in veo_env.items() if k not in ("VEO_HOME", "XDG_DATA_HOME")}
    env["HOME"] = str(tmp_path / "user")

    result = run_veo("generate", "a cat", "--out", "videos/", env=env)

    assert 0 == result.returncode, result.stderr
    if sys.platform.startswith("linux"):
        assert (tmp_path / "user" / ".local" / "share" / "veo" / LEDGER_NAME).exists()
    assert not list(tmp_path.glob("*.sqlite3"))
    assert veo_env["DUOMI_API_KEY"] not in (tmp_path / "user").joinpath(
        ".local", "share", "veo", LEDGER_NAME
    ).read_bytes().decode("latin-1")


def test_check_spend_records_its_tasks(run_veo: Run, veo_mock: MockServer, home: Path) -> None:
    result = run_veo("check", "--spend", "1", "--yes", "--json")

    assert json.loads(result.stdout)["spend"]
    assert [("check", veo_mock.state.tasks_created)] == [
        (task["command"], 1) for task in listed(run_veo)
    ]


def test_status_and_download_keep_the_ledger_current(
    run_veo: Run, veo_mock: MockServer, home: Path, tmp_path: Path
) -> None:
    created = run_veo("generate", "a cat", "--no-wait")
    task_id = created.stdout.strip()
    (before,) = listed(run_veo)

    status = run_veo("status", task_id)
    (after_status,) = listed(run_veo)
    download = run_veo("download", task_id, "--out", "v.mp4")
    (after_download,) = listed(run_veo)

    assert [0, 0, 0] == [created.returncode, status.returncode, download.returncode]
    assert "pending" == before["state"]
    assert "succeeded" == after_status["state"]
    assert str(tmp_path / "v.mp4") == after_download["file"]


def test_an_unknown_state_filter_names_the_states(run_veo: Run, home: Path) -> None:
    result = run_veo("tasks", "--state", "done")

    assert 2 == result.returncode
    assert "--state: must be one of pending, running, succeeded, failed, unknown" in result.stderr


def test_mock_tasks_are_kept_apart_and_never_resumed(
    run_veo: Run, veo_env: dict[str, str], home: Path
) -> None:
    made = run_veo("generate", "--mock", "a cat", "--out", "v.mp4")
    (task,) = listed(run_veo)

    resumed = run_veo("resume", str(task["id"]))

    assert 0 == made.returncode, made.stderr
    assert "mock" == task["service"]
    assert 2 == resumed.returncode
    assert "made by the embedded mock (--mock)" in resumed.stderr
    assert "nothing to resume" in resumed.stderr


def test_a_task_is_resumed_only_where_it_was_created(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer, home: Path
) -> None:
    task_id = run_veo("generate", "a cat", "--no-wait", "--out", "v.mp4").stdout.strip()

    elsewhere = run_veo("resume", task_id, "--base-url", "https://api.example.com")
    here = run_veo("resume", task_id)

    assert 2 == elsewhere.returncode
    assert f"created at {veo_mock.url}" in elsewhere.stderr
    assert f"--base-url {veo_mock.url}" in elsewhere.stderr
    assert 0 == here.returncode, here.stderr


def old_ledger(home: Path, *statements: str) -> None:
    """A ledger as the first versions wrote it (keyed by id, no service), then
    ``statements``."""
    home.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(home / LEDGER_NAME)) as db, db:
        db.execute(
            "CREATE TABLE tasks (id TEXT PRIMARY KEY, created REAL NOT NULL, command TEXT NOT "
            "NULL, mode TEXT, prompt TEXT NOT NULL, destination TEXT, state TEXT, file TEXT, "
            "updated REAL NOT NULL)"
        )
        for statement in statements:
            db.execute(statement)


def test_a_ledger_from_before_the_service_column_is_read_and_kept(
    run_veo: Run, veo_mock: MockServer, home: Path
) -> None:
    old_ledger(
        home, "INSERT INTO tasks VALUES ('old-1', 1, 'generate', NULL, 'p', NULL, NULL, NULL, 1)"
    )

    before = listed(run_veo)
    run_veo("generate", "a cat", "--no-wait")
    after = listed(run_veo)

    assert [("old-1", None)] == [(t["id"], t["service"]) for t in before]
    assert {"old-1": None, after[0]["id"]: veo_mock.url} == {t["id"]: t["service"] for t in after}


def test_an_interrupted_mock_run_says_nothing_was_paid(
    veo_env: dict[str, str], tmp_path: Path, home: Path
) -> None:
    process = start_generate(veo_env, tmp_path, "--mock")

    ledger = Ledger(home / LEDGER_NAME)
    _, stderr = interrupt_when(process, lambda: bool(ledger.entries()))

    assert 130 == process.returncode
    assert "created on the embedded mock (nothing was paid)" in stderr
    assert "paid for" not in stderr


def test_a_ledger_file_without_its_table_yet_reads_as_empty(tmp_path: Path) -> None:
    """A writer creates the file, then the table: a reader in between saw "no such
    table" (a command run at the same moment as another's first write)."""
    path = tmp_path / LEDGER_NAME
    sqlite3.connect(path).close()

    ledger = Ledger(path)

    assert ([], None) == (ledger.entries(), ledger.entry("t1"))


def _read_only_mount(directory: Path) -> list[str] | None:
    """A command prefix that runs its command with ``directory`` mounted read-only, in a
    mount namespace of its own (nothing changes outside it); None where this system
    cannot make one."""
    if shutil.which("unshare") is None:
        return None
    mount = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'  # $0: dir
    prefix = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, str(directory)]
    works = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    return prefix if works.returncode == 0 else None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX mounts")
def test_tasks_reads_a_ledger_in_a_directory_it_cannot_write(
    veo_env: dict[str, str], tmp_path: Path
) -> None:
    # Caught: "attempt to write a readonly database" (SQLite reads WAL through a -shm
    # file it makes beside the ledger).
    home = tmp_path / "home"
    Ledger(home / LEDGER_NAME).record("task-ro", command="generate", prompt="a read-only cat")
    read_only = _read_only_mount(home)
    if read_only is None:
        pytest.skip("no unshare/mount namespace on this system")

    result = subprocess.run(
        [*read_only, sys.executable, "-m", "veo", "tasks", "--json"],
        env={**veo_env, "VEO_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert 0 == result.returncode, result.stderr
    assert ["task-ro"] == [task["id"] for task in only_json(result.stdout)["tasks"]]
    assert [LEDGER_NAME] == sorted(path.name for path in home.iterdir())


def test_two_services_giving_the_same_id_are_two_tasks_each_resumed_into_its_own_place(
    run_veo: Run, veo_env: dict[str, str], veo_mock: MockServer, home: Path, tmp_path: Path
) -> None:
    # Caught: the ledger keyed tasks by id alone; the second service's task was not
    # recorded, and resuming it there was refused ("created at" the first service).
    def same_id(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
        return {**answer, "id": "task-same"}

    with (
        MockServer(api_key=veo_mock.api_key) as other_mock,
        RewritingService(veo_mock.url, same_id) as first,
        RewritingService(other_mock.url, same_id) as second,
    ):
        other_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)
        at_first = {**veo_env, "DUOMI_BASE_URL": first.url}
        at_second = {**veo_env, "DUOMI_BASE_URL": second.url}
        made = [
            run_veo("generate", "a cat", "--no-wait", "--out", "first/", env=at_first),
            run_veo("generate", "a dog", "--no-wait", "--out", "second/", env=at_second),
        ]
        tasks = listed(run_veo)
        resumed = [run_veo("resume", "task-same", env=env) for env in (at_second, at_first)]

    assert ["task-same", "task-same"] == [result.stdout.strip() for result in made]
    assert {(second.url, "a dog"), (first.url, "a cat")} == {
        (task["service"], task["prompt"]) for task in tasks
    }
    assert [0, 0] == [result.returncode for result in resumed], resumed[0].stderr
    assert ["task-same.mp4"] == [path.name for path in (tmp_path / "first").iterdir()]
    assert ["task-same.mp4"] == [path.name for path in (tmp_path / "second").iterdir()]
    files = {task["service"]: task["file"] for task in listed(run_veo)}
    assert files == {
        first.url: str(tmp_path / "first" / "task-same.mp4"),
        second.url: str(tmp_path / "second" / "task-same.mp4"),
    }


def test_a_ledger_keyed_by_id_alone_is_rekeyed_keeping_every_row(
    run_veo: Run, veo_mock: MockServer, home: Path
) -> None:
    old_ledger(
        home,
        "ALTER TABLE tasks ADD COLUMN service TEXT",
        "INSERT INTO tasks VALUES ('t-1', 1, 'generate', NULL, 'p', 'a/', 'succeeded', "
        "'a/t-1.mp4', 1, 'https://api.example.com')",
        "INSERT INTO tasks VALUES ('t-2', 2, 'generate', NULL, 'q', NULL, NULL, NULL, 2, NULL)",
    )

    made = run_veo("generate", "a cat", "--no-wait")

    assert 0 == made.returncode, made.stderr
    with contextlib.closing(sqlite3.connect(home / LEDGER_NAME)) as db:
        keys = [row[1] for row in db.execute("PRAGMA table_info(tasks)") if row[5]]
    assert ["id", "service"] == sorted(keys)
    rows = {(t["id"], t["service"], t["file"]) for t in listed(run_veo)}
    assert {
        ("t-1", "https://api.example.com", "a/t-1.mp4"),
        ("t-2", None, None),
        (made.stdout.strip(), veo_mock.url, None),
    } == rows
