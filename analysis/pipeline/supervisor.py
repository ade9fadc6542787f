"""Supervising the worker processes, one per notebook, each in a process group of its own.

Supervision is plain ``subprocess``: the parent starts ``python -m analysis.pipeline.worker``
with ``start_new_session=True`` (so a terminal's Ctrl-C reaches only the parent), polls the
workers, and on any exit path (:meth:`WorkerPool.stop_all`) sends SIGTERM to every worker's
group, waits a few seconds, then SIGKILLs the group and the worker's kernel (whose pid the
worker records in its staging folder; jupyter_client starts kernels in a session of their own).
There is no queue, pipe or shared lock that a killed process could leave blocked, and the
kernel's connection file lives in the staging folder, which the run removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from analysis.pipeline.jobs import (
    KERNEL_PID_FILE,
    NO_SPACE_STATUS,
    RUNTIME_SUBDIR,
    WORKER_LOG,
    Job,
    Result,
    last_log_lines,
)
from analysis.pipeline.plan import Task
from analysis.pipeline.project import Project
from analysis.pipeline.signals import SignalGuard

#: Seconds a worker gets to stop its kernel after SIGTERM before its group is killed.
STOP_GRACE: float = 3.0
#: Seconds between polls of the running workers.
POLL_INTERVAL: float = 0.05
#: The folder holding the ``analysis`` package the parent runs (put first on the worker's
#: ``PYTHONPATH`` so that the worker runs the same code).
PACKAGE_PARENT: Path = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    """A worker process executing one task.

    Attributes:
        task: The notebook's task.
        job: The job the worker was given.
        process: The worker process (leader of its own process group).
        began: When it was started (``time.perf_counter``).
    """

    task: Task
    job: Job
    process: subprocess.Popen[bytes]
    began: float

    @property
    def staging(self) -> Path:
        """The notebook's staging folder."""
        return Path(self.job.staging)

    def result(self) -> Result:
        """The worker's result, or a failure naming its exit status and the end of its log."""
        found = Result.load(self.staging)
        if found is not None:
            return found
        if self.process.returncode == NO_SPACE_STATUS:
            full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.job.staging)
            return Result.failure(full)
        log = last_log_lines(self.staging / WORKER_LOG)
        return Result.failure(f"worker exited with status {self.process.returncode}", log)


class WorkerPool:
    """Starts, polls and stops worker processes; a context manager that stops them all."""

    def __init__(
        self, project: Project, kernel_env: Mapping[str, str], guard: SignalGuard
    ) -> None:
        self.project = project
        self.kernel_env = dict(kernel_env)
        self.guard = guard
        self.running: list[Running] = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(self, task: Task) -> Running:
        """Start a worker for ``task`` in a new staging folder."""
        root = self.project.staging_root
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root, prefix=f"{task.stem}-"))
        runtime = staging / RUNTIME_SUBDIR
        runtime.mkdir()
        env = dict(self.kernel_env, JUPYTER_RUNTIME_DIR=str(runtime))
        job = Job(str(task.notebook), str(staging), dict(task.parameters),
                  str(task.notebook.parent), env)
        worker_env = dict(env)
        worker_env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")])
        )
        command = [sys.executable, "-m", "analysis.pipeline.worker", str(job.save())]
        # Held, so that a signal cannot fall between the start and the bookkeeping.
        with self.guard.hold(), open(staging / WORKER_LOG, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=self.project.root,
                env=worker_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            running = Running(task, job, process, time.perf_counter())
            self.running.append(running)
        return running

    def wait_any(self) -> list[Running]:
        """Block until at least one worker has exited; return those that have, by name."""
        while True:
            finished = [r for r in self.running if r.process.poll() is not None]
            if finished:
                for running in finished:
                    self.running.remove(running)
                    _kill_kernel(running.staging)
                return sorted(finished, key=lambda r: r.task.stem)
            time.sleep(POLL_INTERVAL)

    def stop_all(self) -> None:
        """Stop every running worker and its kernel: SIGTERM, a grace period, then SIGKILL."""
        running, self.running = self.running, []
        for worker in running:
            _signal_group(worker.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for worker in running:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(worker.process, signal.SIGKILL)
                worker.process.wait()
            _signal_group(worker.process, signal.SIGKILL)  # anything it left in its group
            _kill_kernel(worker.staging)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _kill_kernel(staging: Path) -> None:
    """Kill the kernel a worker recorded and did not stop itself (it removes the record)."""
    try:
        pid = int((staging / KERNEL_PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


