"""The worker process: executes one job (``<staging>/job.json``) and leaves its result beside it.

Forked by the run's launcher (:mod:`analysis.pipeline.launcher`) in a session (process group)
of its own, so that a terminal's Ctrl-C reaches only the parent, which then stops the workers
itself. SIGTERM, SIGHUP and SIGINT make the worker interrupt its notebook, stop its kernel and
exit with 128 + signal;
the result of a finished notebook is left in ``<staging>/result.json``. A full filesystem that
keeps it from saving that result makes it exit with
:data:`~analysis.pipeline.jobs.NO_SPACE_STATUS`.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from analysis.io import is_no_space
from analysis.pipeline.jobs import NO_SPACE_STATUS, Job
from analysis.pipeline.kernels import execute
from analysis.pipeline.signals import STOP_SIGNALS


class Stopped(BaseException):
    """Raised in the worker when the parent (or anyone) asks it to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: FrameType | None) -> None:
    for other in STOP_SIGNALS:  # a second signal must not interrupt the clean-up
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signum)


def main(job: Job, kernel_path: Sequence[str]) -> int:
    """Execute ``job`` and save its result in its staging folder.

    Args:
        job: The job (read from ``<staging>/job.json`` by the launcher that forked this
            worker, whose environment it already has).
        kernel_path: The ``sys.path`` of a kernel: the kernel is forked from this process
            (see :func:`.kernels.launch_kernel`).

    Returns:
        0 when a result was saved (the notebook may still have failed), 128 + signal when
        stopped, :data:`~analysis.pipeline.jobs.NO_SPACE_STATUS` when a full filesystem kept
        it from saving one.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        execute(job, kernel_path).save(Path(job.staging))
    except Stopped as stopped:
        return 128 + stopped.signum
    except OSError as error:
        if not is_no_space(error):
            raise
        return NO_SPACE_STATUS
    return 0
