"""The launcher: one process per run that imports once and forks a pristine worker per notebook.

The launcher (``python -c`` :data:`analysis.pipeline.supervisor.BOOT`) is started by the
parent (:mod:`.supervisor`) in a session of its own, with the notebooks' folder as working
directory and exactly the kernels' environment. It imports, once, what every worker and every
kernel would otherwise import again (:data:`PRELOAD`: papermill and nbclient for the worker;
ipykernel and IPython for the kernel; pandas, matplotlib, seaborn and statsmodels for the
notebooks), then reads job files from its standard input, one per line, and forks one worker
per job.

The launcher itself never runs a notebook, starts no Python thread, creates no ZeroMQ context
and no event loop: every fork happens before any of those exist, so each worker — and each
kernel, which its worker forks in turn (:func:`analysis.pipeline.kernels.launch_kernel`) —
starts from the same pristine state: the imports, nothing else. (numpy's OpenBLAS starts native
threads at import; it shuts them down around ``fork`` itself.)

Protocol, one line each, on the launcher's standard output (everything else it prints goes to
its standard error):

* ``started <pid> <job file>`` for every job (the worker's pid is its process group, too);
* ``exited <pid> <status>`` when a worker ended (``status``: its exit code, or 128 + the
  signal that killed it).

When its standard input closes (the parent exited or stopped the run) the launcher kills every
worker it started that is still running, and exits.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import os
import select
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from analysis.pipeline import worker
from analysis.pipeline.jobs import WORKER_LOG, Job
from analysis.pipeline.signals import die_with_parent, exit_forked_child

#: Modules every worker or kernel imports, imported once by the launcher before it forks.
PRELOAD: tuple[str, ...] = (
    "papermill",
    "nbclient",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
)
#: Libraries the launcher may also import for the notebooks, when the notebooks of the run
#: import them (:func:`analysis.pipeline.imports.imported_libraries`, handed over on its
#: command line): known to start no thread and open nothing at import, so that forking after
#: importing them is safe. Another library is left for each kernel to import itself.
FORK_SAFE: frozenset[str] = frozenset({
    "numpy", "pandas", "scipy", "matplotlib", "seaborn", "statsmodels", "yaml",
})
#: The backend ipykernel selects for matplotlib when none is set (``IPKernelApp``); set before
#: matplotlib is imported, as it is in a kernel started the usual way.
KERNEL_MPLBACKEND = "module://matplotlib_inline.backend_inline"
#: Seconds between checks for workers that exited while no job arrives.
REAP_INTERVAL = 0.05


def main(kernel_path: Sequence[str], libraries: Sequence[str] = ()) -> int:
    """Import :data:`PRELOAD` and the run's libraries, then fork a worker per job from stdin.

    Args:
        kernel_path: The ``sys.path`` of a kernel started the usual way, without its first
            entry (``ipykernel_launcher`` removes it and IPython puts ``""`` there).
        libraries: Modules the run's notebooks import; those of :data:`FORK_SAFE` libraries
            are imported too.

    Returns:
        0 once stdin is closed and every worker has been reaped.
    """
    kernel_path = list(kernel_path)
    messages = os.dup(1)
    os.dup2(2, 1)  # a stray print must not corrupt the protocol
    _preload([*PRELOAD, *preloadable(libraries)])
    children: set[int] = set()
    try:
        _serve(messages, children, kernel_path)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return 0


def preloadable(libraries: Sequence[str]) -> list[str]:
    """The libraries of :data:`FORK_SAFE` among ``libraries``, sorted."""
    return sorted({name for name in libraries if name.split(".")[0] in FORK_SAFE})


def _preload(modules: Sequence[str]) -> None:
    """Import ``modules`` as a kernel would import them.

    matplotlib is imported with the backend ipykernel selects, and IPython's ``get_ipython``
    answers as in a kernel (:class:`_KernelShell`): pandas decides at import whether it prints
    to a terminal (``display.max_columns`` 0, fitted to the terminal) or to a Jupyter kernel
    (20) by looking for a ``kernel`` on it. A module that asked more of it at import would
    fail loudly here (the stand-in has nothing else). matplotlib's inline backend, which hooks
    into the running shell when imported, is not preloaded.
    """
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = KERNEL_MPLBACKEND
    builtins.get_ipython = _KernelShell  # type: ignore[attr-defined]
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]
    if os.environ.get("MPLBACKEND") == KERNEL_MPLBACKEND:
        del os.environ["MPLBACKEND"]  # a kernel's environment does not carry it either


class _KernelShell:
    """What ``get_ipython()`` returns during the launcher's imports: a shell with a kernel."""

    kernel = None


def _serve(messages: int, children: set[int], kernel_path: list[str]) -> None:
    """Fork a worker for each job line on stdin; report starts and exits; end on EOF."""
    pending = b""
    while True:
        _reap(messages, children)
        readable, _, _ = select.select([0], [], [], REAP_INTERVAL)
        if not readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            job = line.decode("utf-8").strip()
            if job:
                pid = _fork_worker(job, messages, kernel_path)
                children.add(pid)
                _say(messages, f"started {pid} {job}")


def _reap(messages: int, children: set[int]) -> None:
    """Report every worker that has exited."""
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 255 << 8
        if done:
            children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            _say(messages, f"exited {pid} {128 - code if code < 0 else code}")


def _say(messages: int, line: str) -> None:
    os.write(messages, (line + "\n").encode("utf-8"))


def _fork_worker(job: str, messages: int, kernel_path: list[str]) -> int:
    """Fork a worker for ``job``: a session of its own, its log as stdout and stderr."""
    sys.stdout.flush()
    sys.stderr.flush()
    launcher = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()
        die_with_parent(signal.SIGTERM, launcher)  # no worker outlives the launcher
        os.close(messages)
        _redirect(Path(job).parent)
        loaded = Job.load(Path(job))
        _take_environment(loaded)
        code = worker.main(loaded, kernel_path)
    except BaseException:  # the worker must never return into the launcher's loop
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        exit_forked_child(code)


def _take_environment(job: Job) -> None:
    """Give the worker the job's environment (its own ``JUPYTER_RUNTIME_DIR``, ...)."""
    env = dict(job.env)
    os.environ.clear()
    os.environ.update(env)


def _redirect(staging: Path) -> None:
    """Standard input from ``/dev/null``; standard output and error to the worker's log."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    log = os.open(staging / WORKER_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
