"""Executing one notebook with papermill in a kernel, into a staging folder (worker side).

This module runs inside a worker process (:mod:`analysis.pipeline.worker`), one per notebook.
The worker starts the kernel itself — forked from the worker, which the launcher forked after
importing the kernel's modules (:mod:`analysis.pipeline.launcher`), so the kernel does not
import them again — with its connection file in the staging folder (``JUPYTER_RUNTIME_DIR``)
and its process id recorded there, so that the parent can remove or kill everything the
worker left even if the worker itself was killed. The kernel is always stopped before the
worker returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop, run_sync

from analysis import paths
from analysis.io import atomic_write, sha256_file
from analysis.outputs import DECLARED_SUBDIR, DeclaredOutput
from analysis.pipeline.jobs import (
    KERNEL_LOG,
    KERNEL_PID_FILE,
    OUTPUT_SUBDIR,
    RUNTIME_SUBDIR,
    Job,
    Result,
    last_log_lines,
)
from analysis.pipeline.project import ERROR_TAG, INJECTED_TAG, PARAMETERS_TAG
from analysis.pipeline.signals import STOP_SIGNALS, die_with_parent, exit_forked_child


class TrackingKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """An ``AsyncKernelManager`` that remembers its clients, to close them after a run."""

    def client(self, **kwargs: Any) -> Any:
        """Return a new client, remembered for :func:`stop_kernel`."""
        client = super().client(**kwargs)
        self.__dict__.setdefault("_compendium_clients", []).append(client)
        return client


def execute(job: Job, kernel_path: Sequence[str] | None = None) -> Result:
    """Execute one notebook into its staging folder; the kernel is stopped before returning.

    Args:
        job: The notebook, its staging folder, parameters, kernel environment and folder.
        kernel_path: Fork the kernel from this process, with this ``sys.path`` (the worker was
            forked by the launcher, which imported the kernel's modules); ``None`` starts it
            as a new process.

    Returns:
        On success the staged executed notebook, its digest and the outputs' digests; on
        failure the failing cell (if a cell raised), the exception and the kernel's stderr.
    """
    notebook = Path(job.notebook)
    staging = Path(job.staging)
    (staging / OUTPUT_SUBDIR).mkdir(parents=True, exist_ok=True)
    kernel_name = _notebook_kernel_name(notebook)
    km = None
    try:
        if kernel_name:  # else papermill reports the missing kernel name
            km = launch_kernel(kernel_name, job.cwd, job.env, staging, kernel_path)
    except Exception as error:  # e.g. no such kernel
        return Result.failure(error)
    try:
        return _run_papermill(notebook, dict(job.parameters), job.cwd, kernel_name, km, staging)
    finally:
        if km is not None:
            stop_kernel(km)
            (staging / KERNEL_PID_FILE).unlink(missing_ok=True)


def launch_kernel(
    kernel_name: str,
    cwd: str,
    env: Mapping[str, str],
    staging: Path,
    kernel_path: Sequence[str] | None = None,
) -> Any:
    """Start a kernel whose outputs go to ``<staging>/out``; record its pid in the staging folder.

    The kernel's working directory is ``cwd`` (the notebook's folder, as under nbval), its
    environment ``env`` plus :data:`analysis.paths.OUTPUT_DIR_ENV`, and its own stdout and
    stderr go to ``<staging>/kernel.log``. With ``kernel_path``, a kernel of this very
    interpreter (ipykernel's ``python3``) whose folder is this process's working directory is
    forked from this process (:func:`_fork_kernel`) instead of started as a new one.
    """
    kernel_env = dict(env)
    kernel_env[paths.OUTPUT_DIR_ENV] = str(staging / OUTPUT_SUBDIR)
    # The connection file (it holds the kernel's key) in the staging folder, which the run
    # removes whatever ends it; jupyter_client would otherwise make a temporary file of its own.
    runtime = staging / RUNTIME_SUBDIR
    runtime.mkdir(parents=True, exist_ok=True)
    km = TrackingKernelManager(kernel_name=kernel_name,
                               connection_file=str(runtime / "kernel.json"))
    try:
        with open(staging / KERNEL_LOG, "ab") as log:
            if kernel_path is not None and _forkable(km, cwd):
                _fork_kernel(km, cwd, kernel_env, log.fileno(), kernel_path)
            else:
                run_sync(km.start_kernel)(cwd=cwd, env=kernel_env, stdout=log, stderr=log)
        pid = getattr(getattr(km, "provisioner", None), "pid", None)
        if pid:
            (staging / KERNEL_PID_FILE).write_text(f"{pid}\n", encoding="utf-8")
    except BaseException:  # stopped (or failed) while the kernel was starting
        stop_kernel(km)
        raise
    return km


def _forkable(km: Any, cwd: str) -> bool:
    """Whether the kernel is ipykernel on this interpreter, in this process's working folder."""
    argv = list(km.kernel_spec.argv)
    major, minor = sys.version_info[:2]
    python_names = {"python", f"python{major}", f"python{major}.{minor}"}
    same_python = bool(argv) and (argv[0] in python_names or argv[0] == sys.executable)
    return same_python and argv[1:3] == ["-m", "ipykernel_launcher"] and (
        os.path.realpath(cwd) == os.path.realpath(os.getcwd())
    )


def _fork_kernel(
    km: Any, cwd: str, env: Mapping[str, str], log: int, kernel_path: Sequence[str]
) -> None:
    """Fork the kernel from this process and hand it to ``km`` as if jupyter_client started it.

    jupyter_client prepares the launch (kernel id, provisioner, connection file, environment)
    in an event loop that is closed again before the fork, so that the child inherits no
    event loop, no ZeroMQ context and no thread (none exists yet in a worker).

    The kernel binds its own ports: jupyter_client picks free ports by binding and releasing
    them, so two kernels started at once (two notebooks, or two runs) can be handed the same
    port, and one dies with "Address already in use". Here the connection file goes to the
    kernel with every port 0; ipykernel binds each socket to a random free port (atomically,
    retrying on a clash) and writes the ports back, and the manager reads them from there.
    """
    _, launch = asyncio.run(km._async_pre_start_kernel(cwd=cwd, env=dict(env)))
    kernel_env = dict(launch["env"], JPY_PARENT_PID=str(os.getpid()))  # as jupyter_client sets
    _unset_ports(Path(km.connection_file))
    sys.stdout.flush()
    sys.stderr.flush()
    worker = os.getpid()
    pid = os.fork()
    if pid == 0:
        _become_kernel(km.connection_file, cwd, kernel_env, log, kernel_path, worker)
    provisioner = km.provisioner
    provisioner.process = ForkedProcess(pid)
    provisioner.pid = provisioner.pgid = pid
    provisioner.cwd = cwd
    _await_ports(Path(km.connection_file), provisioner.process)
    for name in _PORTS:  # jupyter_client only reads the ports it does not know yet
        setattr(km, name, 0)
    km.load_connection_file()


#: The ports of a kernel's connection file.
_PORTS: tuple[str, ...] = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
#: How long a forked kernel may take to bind its ports (it imports nothing: the launcher did).
PORTS_TIMEOUT: float = 120.0


def _unset_ports(connection_file: Path) -> None:
    """Rewrite a connection file with every port 0, for the kernel to choose and write."""
    info = json.loads(connection_file.read_text(encoding="utf-8"))
    info.update(dict.fromkeys(_PORTS, 0))
    connection_file.write_text(json.dumps(info, indent=1), encoding="utf-8")


def _await_ports(connection_file: Path, kernel: ForkedProcess) -> None:
    """Wait until the kernel has written the ports it bound (or has died).

    Raises:
        RuntimeError: The kernel exited first, or wrote no ports within
            :data:`PORTS_TIMEOUT` (its log then says why).
    """
    deadline = time.monotonic() + PORTS_TIMEOUT
    while time.monotonic() < deadline:
        try:
            info = json.loads(connection_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # not written yet, or being written
            info = {}
        if all(isinstance(info.get(name), int) and info[name] > 0 for name in _PORTS):
            return
        if kernel.poll() is not None:
            raise RuntimeError(f"the kernel exited with status {kernel.returncode} before "
                               "binding its ports")
        time.sleep(0.005)
    raise RuntimeError(f"the kernel bound no ports within {PORTS_TIMEOUT:g} s")


def _become_kernel(
    connection_file: str,
    cwd: str,
    env: Mapping[str, str],
    log: int,
    kernel_path: Sequence[str],
    worker: int,
) -> NoReturn:
    """In the forked child: become the kernel ``python -m ipykernel_launcher -f FILE`` would be.

    A session of its own, stdin from ``/dev/null``, stdout and stderr to the kernel's log,
    default signal handlers, the notebook's folder, exactly the kernel's environment, the
    kernel's ``sys.path`` and ``sys.argv``, a new event-loop policy, the package's own modules
    forgotten (the notebook imports them afresh), numpy's global random state reseeded
    (Python's ``random`` reseeds itself after a fork), and death with the worker. Never
    returns.
    """
    code = 1
    try:
        os.setsid()
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        die_with_parent(signal.SIGKILL, worker)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(cwd)
        asyncio.set_event_loop_policy(None)  # no trace of the worker's closed event loop
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = list(kernel_path)
        import ipykernel_launcher

        sys.argv = [ipykernel_launcher.__file__, "-f", connection_file]
        for name in [m for m in sys.modules if m == "analysis" or m.startswith("analysis.")]:
            del sys.modules[name]
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        exit_forked_child(code)


class ForkedProcess:
    """What jupyter_client's provisioner uses of :class:`subprocess.Popen`, for a forked child.

    Attributes:
        pid: The child's process id.
        returncode: Its exit code once it has been reaped (negative: killed by that signal).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """Reap the child if it has exited; return its exit code (``None`` while it runs)."""
        if self.returncode is None:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                done, status = self.pid, 0
            if done:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to exit (``subprocess.TimeoutExpired`` after ``timeout``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return code

    def send_signal(self, signum: int) -> None:
        """Signal the child, unless it has been reaped (its pid may be reused)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM the child."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the child."""
        self.send_signal(signal.SIGKILL)


def stop_kernel(km: Any) -> None:
    """Close a kernel's clients and kill it (every cell has run; nothing is left to flush)."""
    # After an interruption nbclient leaves the cell's tasks pending on this thread's loop:
    # cancel them and collect their results quietly, or they report "Kernel died" later.
    loop = ensure_event_loop()
    pending = list(asyncio.all_tasks(loop))
    if pending:
        for task in pending:
            task.cancel()
        papermill_log = logging.getLogger("papermill")
        disabled, papermill_log.disabled = papermill_log.disabled, True
        try:
            with contextlib.suppress(Exception):
                loop.run_until_complete(
                    asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 5)
                )
        finally:
            papermill_log.disabled = disabled
    for client in km.__dict__.pop("_compendium_clients", []):
        with contextlib.suppress(Exception):
            client.stop_channels()
    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)


def _notebook_kernel_name(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            name = json.load(handle).get("metadata", {}).get("kernelspec", {}).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def clean_notebook(nb: Any) -> Any:
    """Prepare a notebook for execution: drop stale outputs and papermill leftovers.

    Clears every code cell's outputs and execution count, removes papermill's and nbclient's
    metadata, papermill's error-marker cells and any injected-parameters cell (a canonical run
    has none; a parameterised run gets a fresh one from papermill), upgrades the format to
    4.5 and gives cells deterministic ids (``cell-<n>``) where they have none.

    Args:
        nb: An ``nbformat.NotebookNode`` (modified in place).

    Returns:
        ``nb``.
    """
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if ERROR_TAG in tags or INJECTED_TAG in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        nb.nbformat, nb.nbformat_minor = 4, 5
    _fix_cell_ids(nb)
    return nb


def _fix_cell_ids(nb: Any) -> None:
    seen: set[str] = set()
    errors = 0
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if INJECTED_TAG in tags:
            wanted = INJECTED_TAG
        elif ERROR_TAG in tags:
            errors += 1
            wanted = f"papermill-error-cell-{errors}"
        else:
            wanted = cell.get("id") or f"cell-{index}"
        while wanted in seen:
            wanted = f"{wanted}-{index}"
        seen.add(wanted)
        cell["id"] = wanted


def normalize_notebook(nb: Any, parameters: Mapping[str, Any] | None) -> Any:
    """Strip the volatile parts of an executed notebook so re-runs give identical bytes.

    Removes ``metadata.papermill`` (times, paths, environment) and each cell's
    ``metadata.papermill`` and ``metadata.execution``; keeps outputs, execution counts and the
    ``parameters``/``injected-parameters`` tags. A run with non-default parameters records
    them as ``metadata.papermill.parameters``. Cell ids are made deterministic.

    Args:
        nb: The executed ``nbformat.NotebookNode`` (modified in place).
        parameters: The non-default parameters, if any.

    Returns:
        ``nb``.
    """
    nb.metadata.pop("papermill", None)
    if parameters:
        nb.metadata["papermill"] = {"parameters": dict(parameters)}
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "tags" in cell.metadata and not cell.metadata["tags"]:
            del cell.metadata["tags"]  # papermill adds an empty list to every cell
    _fix_cell_ids(nb)
    return nb


def notebook_bytes(nb: Any) -> bytes:
    """Serialise a notebook with nbformat (sorted keys) and a trailing newline."""
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _run_papermill(
    notebook: Path,
    parameters: dict[str, Any],
    cwd: str,
    kernel_name: str | None,
    km: Any,
    staging: Path,
) -> Result:
    """Run papermill on a cleaned copy of ``notebook`` with the kernel ``km``."""
    # Imported here, not at the top: only the worker needs papermill (the launcher imported it
    # before forking the worker, so this finds it in sys.modules).
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = staging / "input.ipynb"
    raw = staging / "executed.ipynb"
    nb = clean_notebook(nbformat.read(notebook, as_version=4))
    source.write_bytes(notebook_bytes(nb))
    try:
        executed = papermill.execute_notebook(
            str(source),
            str(raw),
            parameters=parameters or None,
            kernel_name=kernel_name,
            # The kernel already runs in ``cwd`` (set when it was launched); papermill's
            # ``cwd`` is passed too, for kernels it would start itself.
            cwd=cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            # nbclient options: the kernel started above, no per-cell timings, streams
            # merged as nbval merges them.
            km=km,
            record_timing=False,
            coalesce_streams=True,
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as error:
        index = error.cell_index
        if parameters and index is not None:
            index -= 1 if _injected_before(nb, index) else 0
        return Result(
            False,
            notebook=_save_failed_notebook(raw, staging / notebook.name, parameters),
            cell_index=index,
            exec_count=error.exec_count,
            ename=error.ename,
            evalue=error.evalue,
        )
    except Exception as error:  # kernel died, timed out, no such kernel, ...
        failed = Result.failure(error, detail=last_log_lines(staging / KERNEL_LOG))
        saved = _save_failed_notebook(raw, staging / notebook.name, parameters)
        return Result(**{**failed.__dict__, "notebook": saved})
    return _success(executed, parameters, staging / notebook.name, staging / OUTPUT_SUBDIR)


def _success(executed: Any, parameters: Mapping[str, Any], final: Path, out_dir: Path) -> Result:
    """Normalise and save the executed notebook; digest it and every output file.

    The declarations the notebook wrote beside its files (``out/.declared/``) are read into
    the result, each with the index and id of the cell that saved it, and are not outputs.
    """
    data = notebook_bytes(normalize_notebook(executed, parameters))
    atomic_write(final, data)  # never a truncated notebook, even on a full disk
    declared_dir = out_dir / DECLARED_SUBDIR
    outputs = {
        p.relative_to(out_dir).as_posix(): sha256_file(p)
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and declared_dir not in p.parents
    }
    return Result(
        True, notebook=str(final), notebook_sha=hashlib.sha256(data).hexdigest(),
        outputs=outputs, title=_title(executed), declared=_declared_outputs(declared_dir, executed),
    )


def _title(nb: Any) -> str:
    """The notebook's title: the first heading of its first markdown cell."""
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            for line in str(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
            return ""
    return ""


def _declared_outputs(folder: Path, executed: Any) -> list[dict[str, Any]]:
    """The notebook's output declarations, each with ``cell`` (index) and ``cell_id``."""
    cells = {
        cell.get("execution_count"): (index, cell.get("id", ""))
        for index, cell in enumerate(executed.cells)
        if cell.get("cell_type") == "code" and cell.get("execution_count") is not None
    }
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        output = DeclaredOutput.from_json(json.loads(path.read_text(encoding="utf-8")))
        cell, cell_id = cells.get(output.execution_count, (None, ""))
        found.append({**output.to_json(), "cell": cell, "cell_id": cell_id})
    return found


def _save_failed_notebook(raw: Path, final: Path, parameters: Mapping[str, Any]) -> str | None:
    """Normalise the executed notebook of a failed run, if papermill wrote one."""
    if not raw.is_file():
        return None
    try:
        failed_nb = normalize_notebook(nbformat.read(raw, as_version=4), parameters)
        atomic_write(final, notebook_bytes(failed_nb))
    except Exception:  # an unreadable partial notebook: report the failure without it
        return None
    return str(final)


def _injected_before(nb: Any, index: int) -> bool:
    """Whether papermill's injected cell sits before executed cell ``index``."""
    position = next(
        (i for i, c in enumerate(nb.cells) if PARAMETERS_TAG in c.metadata.get("tags", [])),
        -1,
    )
    # papermill inserts after the parameters cell, or at the top when there is none.
    return index > position + 1
