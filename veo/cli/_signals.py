"""Stop signals (``kill``, a closed terminal) take the Ctrl-C path while a command runs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType


STOP_SIGNALS = ("SIGTERM", "SIGHUP", "SIGBREAK")
"""Signals that stop a command as Ctrl-C does: ``kill``, a closed terminal, a service
manager stopping it, Ctrl-Break on Windows (each where the system has it)."""


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """Hand a stop signal to whatever answers Ctrl-C at this moment: Python's handler
    raises ``KeyboardInterrupt``; ``asyncio.run``'s cancels the batch's main task."""
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signum, frame)
    else:  # Ctrl-C ignored (a background job): a stop is still a stop
        raise KeyboardInterrupt


@contextmanager
def stops_as_ctrl_c() -> Iterator[None]:
    """While a command runs, ``STOP_SIGNALS`` take the Ctrl-C path: the paid task's id
    and how to recover it are printed, no temporary file is left, a batch's journal
    stays consistent. One ignored when the command started (``nohup``) stays ignored."""
    installed: list[int] = []
    if threading.current_thread() is threading.main_thread():
        for name in STOP_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) == signal.SIG_DFL:
                signal.signal(number, _as_ctrl_c)
                installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            signal.signal(number, signal.SIG_DFL)
