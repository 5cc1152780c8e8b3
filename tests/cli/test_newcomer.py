"""A newcomer's first run, scripted as one: no key, the embedded mock twice into one
directory, then a Ctrl-C during a wait and what the command says to do, done as said."""

from __future__ import annotations

import signal
from pathlib import Path

from veo.cli._ledger import LEDGER_NAME, Ledger

from .conftest import Run
from .test_batch import start_veo
from .test_interrupts import interrupt_when

STORM = ("generate", "--mock", "A storm at sea", "--out", "out/")


def test_a_newcomers_first_videos_and_every_hint_followed(
    run_veo: Run, veo_env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in veo_env.items() if not k.startswith("DUOMI_")}  # no key at all
    env["VEO_HOME"] = str(tmp_path / "home")
    ledger = Ledger(tmp_path / "home" / LEDGER_NAME)

    first, second = run_veo(*STORM, env=env), run_veo(*STORM, env=env)
    assert (0, 0) == (first.returncode, second.returncode), second.stderr

    process = start_veo(env, tmp_path, *STORM)
    _, said = interrupt_when(process, lambda: len(ledger.entries()) == 3, signal.SIGINT)
    assert 130 == process.returncode
    assert "nothing was paid" in said
    assert "run it again" in said  # the hint, followed as said:
    again = run_veo(*STORM, env=env)

    assert 0 == again.returncode, again.stderr
    assert 3 == len(list((tmp_path / "out").glob("*.mp4")))
    assert 4 == len(ledger.entries())
    assert {"mock"} == {entry.service for entry in ledger.entries()}
