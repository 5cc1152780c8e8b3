"""The batch journal during a run: durable before a job moves on, never on the loop;
and the run itself, which keeps only its concurrency in flight."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import veo.cli._batch_run
from veo import VideoRequest
from veo.cli._batch import Job, Journal, Unrecorded, _Update, parse_batch, run_batch
from veo.cli._batch_run import run_jobs
from veo.mock import Lifecycle
from veo.testing import MockServer

from ..helpers import HoldingServer


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = Journal(tmp_path / "journal.sqlite3")
    jobs = [
        Job(line=n, name=f"job-{n}", request=VideoRequest(prompt="p"), digest=str(n))
        for n in range(1, 101)
    ]
    journal.register(jobs)
    yield journal
    journal.close()


def registered_batch(directory: Path, count: int) -> tuple[list[Job], Journal]:
    """A batch file of ``count`` jobs, parsed, and a journal with them registered."""
    jobs_file = directory / "jobs.jsonl"
    jobs_file.write_text(
        "".join(json.dumps({"prompt": f"p{n}", "name": f"j{n}"}) + "\n" for n in range(count))
    )
    jobs, _ = parse_batch(jobs_file)
    journal = Journal(directory / "journal.sqlite3")
    journal.register(jobs)
    return jobs, journal


def on_disk(journal: Journal) -> dict[int, str]:
    """The statuses another process would read now."""
    with contextlib.closing(sqlite3.connect(journal.path)) as other, other:
        return dict(other.execute("SELECT line, status FROM jobs").fetchall())


def test_a_recorded_transition_is_on_disk_when_record_returns(journal: Journal) -> None:
    async def main() -> dict[int, str]:
        await journal.record(7, "submitted", task_id="task-7")
        return on_disk(journal)

    assert "submitted" == asyncio.run(main())[7]


def test_commits_never_block_the_event_loop(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow disk: the commit waits until the loop has run something else. Were the
    # commit on the loop's thread, the loop could not run it, and the commit gives up.
    loop_ran = threading.Event()
    real_commit = journal._commit

    def slow_commit(updates: list[_Update]) -> None:
        assert loop_ran.wait(5), "the commit held the event loop"
        real_commit(updates)

    monkeypatch.setattr(journal, "_commit", slow_commit)

    async def another_job() -> None:
        loop_ran.set()

    async def main() -> None:
        await asyncio.gather(journal.record(1, "submitting"), another_job())

    asyncio.run(main())

    assert "submitting" == on_disk(journal)[1]


def test_transitions_arriving_together_share_commits(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    real_commit = journal._commit

    def counting_commit(updates: list[_Update]) -> None:
        groups.append(len(updates))
        real_commit(updates)

    monkeypatch.setattr(journal, "_commit", counting_commit)

    async def main() -> None:
        await asyncio.gather(*(journal.record(n, "done") for n in range(1, 101)))

    asyncio.run(main())

    assert 100 == sum(groups)
    assert len(groups) <= 3  # the first alone, the rest while it was being written
    assert {"done"} == set(on_disk(journal).values())


def test_one_refused_transition_fails_only_its_own_job(journal: Journal) -> None:
    async def main() -> list[BaseException | None]:
        return await asyncio.gather(
            journal.record(1, "done"),
            journal.record(2, "done", no_such_column="x"),
            journal.record(3, "done"),
            return_exceptions=True,
        )

    outcomes = asyncio.run(main())

    assert None is outcomes[0]
    assert None is outcomes[2]
    assert isinstance(outcomes[1], sqlite3.OperationalError)
    assert ("done", "new", "done") == tuple(on_disk(journal)[n] for n in (1, 2, 3))


def test_registering_ten_thousand_jobs_is_one_commit(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    commits: list[str] = []
    journal._db.set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None
    )
    jobs = [
        Job(line=n, name=f"job-{n}", request=VideoRequest(prompt="p"), digest=str(n))
        for n in range(1, 10_001)
    ]

    journal.register(jobs)
    journal.close()

    assert ["COMMIT"] == commits


def test_a_large_batch_keeps_only_its_concurrency_in_flight(
    veo_mock: MockServer, tmp_path: Path
) -> None:
    # 60 jobs at concurrency 4: four workers take the jobs in turn, rather than one
    # coroutine per job waiting for its turn (10,000 of them for a large batch).
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)
    jobs, journal = registered_batch(tmp_path, 60)
    alive: list[int] = []

    def report(job: Job, what: str, task: object) -> None:
        # Not counting the in-process mock transport's own tasks (anyio's TaskHandle).
        names = [getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks()]
        alive.append(sum(1 for name in names if not name.startswith("TaskHandle")))

    async def main() -> list[Unrecorded]:
        async with veo_mock.async_client() as client:
            return await run_batch(
                jobs,
                journal,
                client,
                tmp_path,
                concurrency=4,
                resubmit_unknown=False,
                timeout=60,
                report=report,
            )

    try:
        assert [] == asyncio.run(main())
        statuses = {row["status"] for row in journal.summary()}
    finally:
        journal.close()

    assert {"done"} == statuses
    assert 60 == veo_mock.state.tasks_created
    assert max(alive) <= 4 + 2  # the workers, asyncio.run's own task, a journal commit


def test_a_batch_keeps_at_most_its_connection_cap_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eight jobs at once against a server that holds each answer: with the cap at 3,
    # never more than three requests (and connections) at a time.
    monkeypatch.setattr(veo.cli._batch_run, "MAX_CONNECTIONS", 3)
    jobs, journal = registered_batch(tmp_path, 8)
    options = {"api_key": "k", "base_url": ""}
    try:
        with HoldingServer(hold=0.05) as server:
            options["base_url"] = server.url
            asyncio.run(run_jobs(jobs, journal, tmp_path, options, 8, False, 30, False))
    finally:
        journal.close()

    assert server.requests >= 8
    assert 3 == server.peak


def test_a_full_disk_ends_the_batch_with_every_task_id_and_never_hangs(
    veo_mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught before: a commit that failed for a single transition was re-raised inside
    the commit task, and that transition's job waited for it forever (the batch idle,
    its journal left at done/downloading/new)."""
    veo_mock.state.lifecycle = Lifecycle(pending_steps=0, running_steps=0)
    jobs, journal = registered_batch(tmp_path, 40)
    real_commit = journal._commit
    commits = 0

    def filling_disk(updates: list[_Update]) -> None:
        nonlocal commits
        commits += 1
        if commits > 12:  # the disk is full from here on
            raise sqlite3.OperationalError("database or disk is full")
        real_commit(updates)

    monkeypatch.setattr(journal, "_commit", filling_disk)

    async def main() -> list[Unrecorded]:
        async with veo_mock.async_client() as client:
            return await asyncio.wait_for(
                run_batch(
                    jobs,
                    journal,
                    client,
                    tmp_path,
                    concurrency=4,
                    resubmit_unknown=False,
                    timeout=60,
                    report=lambda *_: None,
                ),
                timeout=30,
            )

    try:
        unrecorded = asyncio.run(main())
    finally:
        journal.close()

    created = set(veo_mock.state.tasks)
    assert unrecorded
    assert all("disk is full" in lost.message for lost in unrecorded)
    # Every task bought and not recorded as done is named, with its id.
    assert created - {lost.task_id for lost in unrecorded} <= done_tasks(journal.path)


def done_tasks(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        return {row[0] for row in db.execute("SELECT task_id FROM jobs WHERE status = 'done'")}
