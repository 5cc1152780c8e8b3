"""``veo batch``'s directory lock, down both of its paths: ``flock`` on POSIX, and
``msvcrt.locking`` on Windows, run here through a stand-in ``msvcrt`` that locks the
same byte range with POSIX record locks and fails as Windows does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PLATFORMS = {
    "posix": "",
    "windows": """
import fcntl, os, types
from veo.cli import _batch  # everything imported first: then the platform is "Windows"

msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_NBLCK = 2

def locking(fd, mode, nbytes):
    assert mode == msvcrt.LK_NBLCK
    start = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, nbytes, start)
    except OSError:
        raise PermissionError(13, "Permission denied") from None  # Windows' answer

def kill(pid, sig):
    raise AssertionError("os.kill ends the process on Windows, whatever the signal")

msvcrt.locking = locking
sys.modules["msvcrt"] = msvcrt
sys.platform = "win32"
os.kill = kill
""",
}

HOLD = """
import sys
from pathlib import Path
PLATFORM
from veo.cli._batch import batch_lock
with batch_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""

TRY = """
import os, sys
from pathlib import Path
PLATFORM
from veo.cli._batch import BatchLockedError, batch_lock
try:
    with batch_lock(Path(sys.argv[1])):
        print("got it", os.getpid())
except BatchLockedError as exc:
    print("refused:", exc)
"""


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_second_runner_is_refused_naming_the_holder_then_gets_the_lock(
    platform: str, tmp_path: Path
) -> None:
    def code(template: str) -> str:
        return template.replace("PLATFORM", PLATFORMS[platform])

    holder = subprocess.Popen(
        [sys.executable, "-c", code(HOLD), str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert "held" == holder.stdout.readline().strip()
        refused = subprocess.run(
            [sys.executable, "-c", code(TRY), str(tmp_path)], capture_output=True, text=True
        )
    finally:
        holder.communicate("\n", timeout=30)
    after = subprocess.run(
        [sys.executable, "-c", code(TRY), str(tmp_path)], capture_output=True, text=True
    )

    assert 0 == refused.returncode, refused.stderr
    assert refused.stdout.startswith("refused: another veo batch (process ")
    assert f"(process {holder.pid})" in refused.stdout
    assert 0 == after.returncode, after.stderr
    assert after.stdout.startswith("got it")
