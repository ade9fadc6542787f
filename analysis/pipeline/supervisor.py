"""Supervising the worker processes, one per notebook, each in a process group of its own.

The parent starts one launcher per run (:mod:`.launcher`, in a session
of its own, so that a terminal's Ctrl-C reaches only the parent; :mod:`.launcher`), which
imports the worker's and the kernels' modules once and forks a pristine worker for each job the
parent hands it; each worker forks its kernel. The parent polls the launcher's reports, and on
any exit path (:meth:`WorkerPool.stop_all`) sends SIGTERM to every worker's group, waits a few
seconds, then SIGKILLs the group and the worker's kernel (whose pid the worker records in its
staging folder; the kernel runs in a session of its own), and closes the launcher, which kills
whatever it started that is still alive. A worker dies with its launcher and a kernel with its
worker. There is no queue or shared lock that a killed process could leave blocked, and the
kernel's connection file lives in the staging folder, which the run removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

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
#: The folder holding the ``analysis`` package the parent runs (put in front of the launcher's
#: ``sys.path`` so that the workers run the same code).
PACKAGE_PARENT: Path = Path(__file__).resolve().parents[2]
#: The launcher's command line: ``python -c BOOT PACKAGE_PARENT``. The interpreter starts with
#: exactly the kernels' environment, so its ``sys.path`` (after the first entry, ``""`` here and
#: the working folder for ``python -m ipykernel_launcher``) is the one a kernel started the
#: usual way would have; that is recorded for the kernels before the folder holding the
#: parent's ``analysis`` package is put in front, so that the workers run the parent's code.
BOOT = (
    "import sys; kernel_path = sys.path[1:]; sys.path.insert(1, sys.argv[1]); "
    "from analysis.pipeline.launcher import main; sys.exit(main(kernel_path, sys.argv[2:]))"
)
#: The launcher's log (its standard error), in the staging folder.
LAUNCHER_LOG = "launcher.log"


@dataclass
class WorkerProcess:
    """A worker the launcher forks for one job.

    Attributes:
        job_file: The job it runs.
        pid: Its process id (and process group), once the launcher reported it.
        returncode: Its exit status once it ended (128 + signal when killed by one).
        forked_at: When the launcher's report of its start was read (``time.perf_counter``):
            the first workers wait for the launcher's imports before they are forked.
    """

    job_file: str
    pid: int | None = None
    returncode: int | None = None
    forked_at: float | None = None

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the worker's process group (nothing if it has no pid yet)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)


class Launcher:
    """The run's launcher process and what it reported (see :mod:`.launcher`)."""

    def __init__(
        self, project: Project, env: Mapping[str, str], libraries: Sequence[str] = ()
    ) -> None:
        command = [sys.executable, "-c", BOOT, str(PACKAGE_PARENT), *libraries]
        self.log = project.staging_root / LAUNCHER_LOG
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=project.notebooks_dir,  # the kernels' folder (matplotlib reads it at import)
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        self._reports: IO[bytes] = self.process.stdout  # type: ignore[assignment]
        os.set_blocking(self._reports.fileno(), False)
        self._pending = b""
        self._workers: dict[str, WorkerProcess] = {}
        self.gone = False

    def submit(self, worker: WorkerProcess) -> None:
        """Ask for a worker for ``worker.job_file`` (forked once the imports are done)."""
        self._workers[worker.job_file] = worker
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(f"{worker.job_file}\n".encode())
            self.process.stdin.flush()
        except BrokenPipeError:
            self.gone = True

    def pump(self, timeout: float) -> None:
        """Read the launcher's reports for up to ``timeout`` seconds; note starts and exits."""
        if self.gone:
            return
        readable, _, _ = select.select([self._reports], [], [], timeout)
        if not readable:
            return
        chunk = self._reports.read() or b""
        if not chunk:
            self._lost()
            return
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            kind, _, rest = line.decode("utf-8").partition(" ")
            first, _, second = rest.partition(" ")
            if kind == "started" and second in self._workers:
                self._workers[second].pid = int(first)
                self._workers[second].forked_at = time.perf_counter()
            elif kind == "exited":
                for worker in self._workers.values():
                    if worker.pid == int(first):
                        worker.returncode = int(second)

    def _lost(self) -> None:
        """The launcher is gone: every worker without an exit report counts as ended."""
        self.gone = True
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_GRACE)
        for worker in self._workers.values():
            if worker.returncode is None:
                worker.signal_group(signal.SIGKILL)
                worker.returncode = 128 + signal.SIGKILL

    def close(self) -> None:
        """Close the launcher's input (it kills what it started and exits) and reap it."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(OSError):
            self._reports.close()


@dataclass
class Running:
    """A worker process executing one task.

    Attributes:
        task: The notebook's task.
        job: The job the worker was given.
        worker: The worker process (leader of its own process group).
        launcher_log: The launcher's log (read when the worker never started).
        began: When it was handed to the launcher (``time.perf_counter``).
    """

    task: Task
    job: Job
    worker: WorkerProcess
    launcher_log: Path
    began: float

    @property
    def seconds(self) -> float:
        """Its time so far: from its fork (from its hand-over if no fork was reported).

        The wait for the launcher's imports is the run's, not the notebook's: it is left out
        of the time ``run`` prints and records for scheduling (``build/run-durations.json``).
        """
        return time.perf_counter() - (self.worker.forked_at or self.began)

    @property
    def staging(self) -> Path:
        """The notebook's staging folder."""
        return Path(self.job.staging)

    def result(self) -> Result:
        """The worker's result, or a failure naming its exit status and the end of its log."""
        found = Result.load(self.staging)
        if found is not None:
            return found
        code = self.worker.returncode
        if code == NO_SPACE_STATUS:
            full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.job.staging)
            return Result.failure(full)
        if self.worker.pid is None:
            log = last_log_lines(self.launcher_log)
            return Result.failure("the launcher exited before starting the worker", log)
        log = last_log_lines(self.staging / WORKER_LOG)
        return Result.failure(f"worker exited with status {code}", log)


class WorkerPool:
    """Starts, polls and stops worker processes; a context manager that stops them all."""

    def __init__(
        self,
        project: Project,
        kernel_env: Mapping[str, str],
        guard: SignalGuard,
        libraries: Sequence[str] = (),
    ) -> None:
        self.project = project
        self.kernel_env = dict(kernel_env)
        self.guard = guard
        self.libraries = tuple(libraries)
        self.running: list[Running] = []
        self.launcher: Launcher | None = None

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
        """Hand ``task``, with a new staging folder, to the launcher (started for the first)."""
        root = self.project.staging_root
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root, prefix=f"{task.stem}-"))
        runtime = staging / RUNTIME_SUBDIR
        runtime.mkdir()
        env = dict(self.kernel_env, JUPYTER_RUNTIME_DIR=str(runtime))
        job = Job(str(task.notebook), str(staging), dict(task.parameters),
                  str(task.notebook.parent), env)
        job_file = job.save()
        # Held, so that a signal cannot fall between the start and the bookkeeping.
        with self.guard.hold():
            if self.launcher is None:
                self.launcher = Launcher(self.project, self.kernel_env, self.libraries)
            worker = WorkerProcess(str(job_file))
            self.launcher.submit(worker)
            running = Running(task, job, worker, self.launcher.log, time.perf_counter())
            self.running.append(running)
        return running

    def wait_any(self) -> list[Running]:
        """Block until at least one worker has exited; return those that have, by name."""
        assert self.launcher is not None or not self.running
        while True:
            finished = [r for r in self.running if r.worker.returncode is not None]
            if finished:
                for running in finished:
                    self.running.remove(running)
                    _kill_kernel(running.staging)
                return sorted(finished, key=lambda r: r.task.stem)
            if self.launcher is not None:
                self.launcher.pump(POLL_INTERVAL)

    def stop_all(self) -> None:
        """Stop every worker and its kernel (SIGTERM, a grace, SIGKILL); close the launcher."""
        running, self.running = self.running, []
        launcher, self.launcher = self.launcher, None
        if launcher is None:
            return
        workers = [r.worker for r in running]
        told: set[int] = set()
        deadline = time.monotonic() + STOP_GRACE
        while True:
            launcher.pump(0)
            for worker in workers:  # those forked since are told as soon as they are known
                if worker.pid is not None and worker.pid not in told:
                    worker.signal_group(signal.SIGTERM)
                    told.add(worker.pid)
            alive = [w for w in workers if w.returncode is None]
            if not alive or launcher.gone or time.monotonic() >= deadline:
                break
            launcher.pump(POLL_INTERVAL)
        for worker in alive:  # stragglers and their groups
            worker.signal_group(signal.SIGKILL)
        launcher.close()
        for worker in running:
            _kill_kernel(worker.staging)


def _kill_kernel(staging: Path) -> None:
    """Kill the kernel a worker recorded and did not stop itself (it removes the record)."""
    try:
        pid = int((staging / KERNEL_PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
