"""Stop signals (``kill``, a closed terminal) take the Ctrl-C path while a command runs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

    Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


STOP_SIGNALS = ("SIGTERM", "SIGHUP", "SIGBREAK")
"""Signals that stop a command as Ctrl-C does: ``kill``, a closed terminal, a service
manager stopping it, Ctrl-Break on Windows (each where the system has it)."""


class _Stops:
    """The stop signals of one command run: the first is the command's Ctrl-C, and every
    one after it (a second ``kill``, Ctrl-C twice, a closed terminal during a ``kill``)
    is ignored until the process ends. Answering a stop takes milliseconds (the paid
    task's id to the ledger and the terminal, a ``--json`` document); a second stop in
    them must not end the process before that answer is out, nor take its place."""

    def __init__(self) -> None:
        self.installed: dict[int, Handler] = {}  # signal -> its handler before the run
        self.stopping = False

    def install(self) -> None:
        for name in STOP_SIGNALS:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) == signal.SIG_DFL:
                self.installed[number] = signal.signal(number, self.as_ctrl_c)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.installed[signal.SIGINT] = signal.signal(signal.SIGINT, self.ctrl_c)

    def ctrl_c(self, signum: int, frame: FrameType | None) -> None:
        """Python's own Ctrl-C, noted as this run's first stop."""
        if self.stopping:
            return
        self.stopping = True
        signal.default_int_handler(signum, frame)

    def as_ctrl_c(self, signum: int, frame: FrameType | None) -> None:
        """Hand the first stop signal to whatever answers Ctrl-C at this moment:
        Python's handler raises ``KeyboardInterrupt``; ``asyncio.run``'s cancels the
        batch's main task."""
        if self.stopping:
            return
        self.stopping = True
        handler = signal.getsignal(signal.SIGINT)
        if handler == self.ctrl_c:
            signal.default_int_handler(signum, frame)
        elif callable(handler):
            handler(signum, frame)
        else:  # Ctrl-C ignored (a background job): a stop is still a stop
            raise KeyboardInterrupt

    def answering(self) -> None:
        """A stop is being answered: ignore every other one from now on."""
        self.stopping = True
        for number in self.installed:
            signal.signal(number, signal.SIG_IGN)

    def restore(self) -> None:
        if self.stopping:  # the process is on its way out, exit code 130: stay deaf
            self.answering()
            return
        for number, handler in self.installed.items():
            signal.signal(number, handler)

    @contextmanager
    def python_ctrl_c(self) -> Iterator[None]:
        """Python's own Ctrl-C handler back for a block (``asyncio.run`` installs its
        own only in place of that one)."""
        if self.installed.get(signal.SIGINT) is None:
            yield
            return
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            yield
        finally:
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, self.ctrl_c)


_running: list[_Stops] = []  # the run stops_as_ctrl_c is guarding, if any


@contextmanager
def stops_as_ctrl_c() -> Iterator[None]:
    """While a command runs, ``STOP_SIGNALS`` take the Ctrl-C path: the paid task's id
    and how to recover it are printed, no temporary file is left, a batch's journal
    stays consistent. One ignored when the command started (``nohup``) stays ignored.
    After the first stop, further stops are ignored (see ``answering_a_stop``)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal.signal() works only in the main thread
        return
    stops = _Stops()
    stops.install()
    _running.append(stops)
    try:
        yield
    finally:
        _running.remove(stops)
        stops.restore()


def answering_a_stop() -> None:
    """Called as a command starts answering Ctrl-C or a stop signal: from here until the
    process exits, a second Ctrl-C or stop signal is ignored, so the answer (the paid
    task's id, ``--json``'s document) is written whole and the exit code stays 130.
    Outside ``stops_as_ctrl_c`` (the CLI called in-process), nothing changes."""
    if _running and threading.current_thread() is threading.main_thread():
        _running[-1].answering()


@contextmanager
def asyncio_ctrl_c() -> Iterator[None]:
    """Around ``asyncio.run``: Ctrl-C cancels the main task (asyncio's handler), and a
    stop signal takes the same path."""
    if _running and threading.current_thread() is threading.main_thread():
        with _running[-1].python_ctrl_c():
            yield
    else:
        yield
