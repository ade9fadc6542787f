"""Stop signals as exceptions: SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`.

A run turns each stop signal into an exception in the main thread, so that ``finally`` blocks
stop the workers and remove the staging folder whichever signal arrived; while finished
outputs are moved into place the signal is held and raised right after (:meth:`hold`).
A signal that was ignored when the guard was entered (SIGINT in a background job of a
non-interactive shell, SIGHUP under ``nohup``) stays ignored.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType, TracebackType
from typing import Any, NoReturn

from analysis.pipeline.project import Interrupted

#: The signals that stop a run.
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class SignalGuard:
    """Context manager: stop signals raise :class:`Interrupted` inside the block."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._held = 0
        self._pending: int | None = None

    def __enter__(self) -> SignalGuard:
        for signum in STOP_SIGNALS:
            try:
                previous = signal.getsignal(signum)
                if previous is signal.SIG_IGN:
                    continue
                signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                break
            self._previous[signum] = previous
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._held:
            self._pending = self._pending or signum
            return
        raise Interrupted(signum)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Delay stop signals until the block is done, then raise the first one."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending is not None:
                signum, self._pending = self._pending, None
                raise Interrupted(signum)


#: ``prctl`` option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int, parent: int) -> None:
    """Have ``signum`` sent to this process when its parent dies (Linux; elsewhere a no-op).

    A forked worker or kernel calls it first thing, so that it never outlives the process that
    supervises it; if the parent is already gone, the process exits at once.

    Args:
        signum: The signal to receive.
        parent: The parent's pid, taken before the fork.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signum))
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(128 + int(signum))


def exit_forked_child(code: int) -> NoReturn:
    """End a forked worker or kernel: flush its streams, then leave with ``code`` at once.

    ``os._exit`` skips what the fork copied from the parent (``atexit`` handlers, finalizers,
    buffered files of the parent), which must run once, in the parent.

    Args:
        code: The exit status.
    """
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
