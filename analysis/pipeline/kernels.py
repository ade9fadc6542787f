"""Executing one notebook with papermill in a kernel, into a staging folder."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.io import sha256_file
from analysis.pipeline.parameters import canonical_json
from analysis.pipeline.project import ERROR_TAG, INJECTED_TAG, PARAMETERS_TAG

_BUSY = False
#: The kernel kept for this process's next notebook: {"km", "key", "cwd"} (see _claim_warm).
_WARM: dict[str, Any] | None = None
_KERNEL_MANAGER_CLASS: Any = None


def _worker_init() -> None:
    """Worker start-up: ignore terminal Ctrl-C; the parent interrupts a worker with SIGTERM."""
    import multiprocessing.util

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def on_term(signum: int, frame: Any) -> None:
        if _BUSY:
            raise KeyboardInterrupt
        _discard_warm()
        os._exit(130)

    signal.signal(signal.SIGTERM, on_term)
    multiprocessing.util.Finalize(None, _discard_warm, exitpriority=100)


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
    import nbformat

    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _kernel_manager_class() -> Any:
    """An ``AsyncKernelManager`` that remembers its clients, to close them after a run."""
    global _KERNEL_MANAGER_CLASS
    if _KERNEL_MANAGER_CLASS is None:
        from jupyter_client.manager import AsyncKernelManager

        class TrackingKernelManager(AsyncKernelManager):  # type: ignore[misc]
            def client(self, **kwargs: Any) -> Any:
                client = super().client(**kwargs)
                self.__dict__.setdefault("_compendium_clients", []).append(client)
                return client

        _KERNEL_MANAGER_CLASS = TrackingKernelManager
    return _KERNEL_MANAGER_CLASS


def _notebook_kernel_name(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            name = json.load(handle).get("metadata", {}).get("kernelspec", {}).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def _launch_kernel(
    kernel_name: str, cwd: str, env: Mapping[str, str], staging_root: Path, prefix: str
) -> tuple[Any, Path]:
    """Start a kernel whose outputs go to a new staging folder; return it and the folder.

    The kernel's working directory is ``cwd`` (the notebook's folder, as under nbval), its
    environment ``env`` plus :data:`analysis.paths.OUTPUT_DIR_ENV` pointing at
    ``<staging>/out``, and its own stdout/stderr go to ``<staging>/kernel.log``.
    """
    from jupyter_core.utils import run_sync

    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=prefix))
    (staging / "out").mkdir()
    kernel_env = dict(env)
    kernel_env[paths.OUTPUT_DIR_ENV] = str(staging / "out")
    km = _kernel_manager_class()(kernel_name=kernel_name)
    with open(staging / "kernel.log", "ab") as log:
        run_sync(km.start_kernel)(cwd=cwd, env=kernel_env, stdout=log, stderr=log)
    return km, staging


def _stop_kernel(km: Any) -> None:
    """Close a kernel's clients and kill it (every cell has run; nothing is left to flush)."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop, run_sync

    # After an interruption nbclient leaves the cell's tasks pending on this thread's loop:
    # cancel them and collect their results quietly, or they report "Kernel died" later.
    loop = ensure_event_loop()
    pending = list(asyncio.all_tasks(loop))
    if pending:
        import logging

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


def _claim_warm(
    key: str, staging_root: Path, prefix: str
) -> tuple[Any, Path] | None:
    """Take the kernel kept for this worker's next notebook, if it suits this one.

    The kernel is the one the previous notebook ran on (same kernel name, folder and
    environment). Before it is handed over it is reset (see :func:`_reset_kernel`) and given a
    fresh staging folder, so the notebook starts as in a new kernel — except that the modules
    the previous notebook imported are already loaded, which is the point: importing pandas,
    matplotlib and statsmodels is most of a notebook's cost. nbval re-runs every notebook in a
    fresh kernel and compares its outputs with these, so any state that leaked would show.
    """
    global _WARM
    warm, _WARM = _WARM, None
    if warm is None:
        return None
    from jupyter_core.utils import run_sync

    alive = False
    with contextlib.suppress(Exception):
        alive = warm["key"] == key and bool(run_sync(warm["km"].is_alive)())
    if alive:
        staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=prefix))
        (staging / "out").mkdir()
        if _reset_kernel(warm["km"], warm["cwd"], staging / "out"):
            return warm["km"], staging
        shutil.rmtree(staging, ignore_errors=True)
    _stop_kernel(warm["km"])
    return None


def _reset_kernel(km: Any, cwd: str, out_dir: Path) -> bool:
    """Reset a used kernel to a fresh kernel's state, but for its loaded modules.

    Clears the user namespace and history (``%reset -f``), closes every figure, restores the
    working directory, points :data:`analysis.paths.OUTPUT_DIR_ENV` at the new staging folder,
    starts a new history session and restarts the execution counter at 1 (a new session, or
    IPython's history database refuses the repeated line numbers), all without output.

    Returns:
        Whether the kernel answered and the reset succeeded.
    """
    from jupyter_core.utils import run_sync

    code = (
        "get_ipython().run_line_magic('reset', '-f')\n"
        "import os as _os, sys as _sys\n"
        f"_os.chdir({cwd!r})\n"
        f"_os.environ[{paths.OUTPUT_DIR_ENV!r}] = {str(out_dir)!r}\n"
        "if 'matplotlib.pyplot' in _sys.modules:\n"
        "    _sys.modules['matplotlib.pyplot'].close('all')\n"
        "get_ipython().history_manager.reset(new_session=True)\n"
        "get_ipython().execution_count = 1\n"
        "del _os, _sys\n"
    )
    client = km.client()
    try:
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=60)
        reply = run_sync(client.execute_interactive)(
            code, silent=True, store_history=False, timeout=60
        )
        return reply.get("content", {}).get("status") == "ok"
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            client.stop_channels()


def _discard_warm() -> None:
    """Stop a kernel kept for a next notebook (end of a run, worker exit, interruption)."""
    global _WARM
    warm, _WARM = _WARM, None
    if warm is not None:
        _stop_kernel(warm["km"])


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    keep = [line for line in text.splitlines() if "without encryption" not in line]
    return "\n".join(keep[-lines:])


def execute(job: Mapping[str, Any]) -> dict[str, Any]:
    """Execute one notebook into a staging folder (the worker-process entry point).

    The kernel is started first (or the kernel the worker's previous notebook ran on is reset
    and taken, see :func:`_claim_warm`), then papermill is imported and runs the notebook on
    it with :func:`papermill.execute_notebook`; with ``prestart`` the kernel is kept, after a
    successful run, for the worker's next notebook.

    Args:
        job: ``notebook`` (path), ``staging_root`` (where staging folders go), ``parameters``
            (non-default ones, possibly empty), ``env`` (the kernel's environment), ``cwd``
            (the kernel's working directory) and ``prestart`` (another notebook follows: keep the
            kernel for it).

    Returns:
        ``staging`` (the folder used) and, on success, ``{"ok": True, "notebook": <staged
        executed notebook>, "notebook_sha": ..., "outputs": {relative path: sha256}}``; on
        failure ``{"ok": False, "cell_index", "exec_count", "ename", "evalue", "notebook" (or
        None), "detail"}``.
    """
    global _BUSY
    _BUSY = True
    try:
        return _execute(job)
    finally:
        _BUSY = False


def _execute(job: Mapping[str, Any]) -> dict[str, Any]:
    global _WARM
    notebook = Path(job["notebook"])
    parameters = dict(job["parameters"])
    cwd = str(job["cwd"])
    env = dict(job["env"])
    staging_root = Path(job["staging_root"])
    kernel_name = _notebook_kernel_name(notebook)
    key = canonical_json([kernel_name, cwd, sorted(env.items())])
    km = None
    try:
        if kernel_name:
            claimed = _claim_warm(key, staging_root, f"{notebook.stem}-")
            km, staging = claimed or _launch_kernel(
                kernel_name, cwd, env, staging_root, f"{notebook.stem}-"
            )
        else:  # papermill reports the missing kernel name
            staging_root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=f"{notebook.stem}-"))
            (staging / "out").mkdir()
    except Exception as error:  # e.g. no such kernel
        return {
            "ok": False,
            "cell_index": None,
            "exec_count": None,
            "ename": type(error).__name__,
            "evalue": str(error),
            "notebook": None,
            "detail": "",
        }
    keep = False
    try:
        result = _run_papermill(notebook, parameters, cwd, kernel_name, km, staging)
        # Keep the kernel for this worker's next notebook (see _claim_warm).
        keep = bool(kernel_name and job.get("prestart") and result.get("ok"))
    finally:
        if km is not None:
            if keep:
                _WARM = {"km": km, "key": key, "cwd": cwd}
            else:
                _stop_kernel(km)
    result["staging"] = str(staging)
    return result


def _run_papermill(
    notebook: Path,
    parameters: dict[str, Any],
    cwd: str,
    kernel_name: str | None,
    km: Any,
    staging: Path,
) -> dict[str, Any]:
    # Imported after the kernel was launched, so that the imports overlap its start-up.
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out_dir = staging / "out"
    source = staging / "input.ipynb"
    raw = staging / "executed.ipynb"
    final = staging / notebook.name
    log = staging / "kernel.log"

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
        failed = None
        if raw.is_file():
            failed_nb = normalize_notebook(nbformat.read(raw, as_version=4), parameters)
            final.write_bytes(notebook_bytes(failed_nb))
            failed = str(final)
        index = error.cell_index
        if parameters and index is not None:
            index -= 1 if _injected_before(nb, index) else 0
        return {
            "ok": False,
            "cell_index": index,
            "exec_count": error.exec_count,
            "ename": error.ename,
            "evalue": error.evalue,
            "notebook": failed,
            "detail": "",
        }
    except Exception as error:  # kernel died, timed out, no such kernel, ...
        failed = None
        if raw.is_file():
            with contextlib.suppress(Exception):
                failed_nb = normalize_notebook(nbformat.read(raw, as_version=4), parameters)
                final.write_bytes(notebook_bytes(failed_nb))
                failed = str(final)
        return {
            "ok": False,
            "cell_index": None,
            "exec_count": None,
            "ename": type(error).__name__,
            "evalue": str(error).strip().splitlines()[0] if str(error).strip() else "",
            "notebook": failed,
            "detail": _tail(log),
        }
    data = notebook_bytes(normalize_notebook(executed, parameters))
    final.write_bytes(data)
    outputs = {
        p.relative_to(out_dir).as_posix(): sha256_file(p)
        for p in sorted(out_dir.rglob("*"))
        if p.is_file()
    }
    return {
        "ok": True,
        "notebook": str(final),
        "notebook_sha": hashlib.sha256(data).hexdigest(),
        "outputs": outputs,
    }


def _injected_before(nb: Any, index: int) -> bool:
    """Whether papermill's injected cell sits before executed cell ``index``."""
    position = next(
        (i for i, c in enumerate(nb.cells) if PARAMETERS_TAG in c.metadata.get("tags", [])),
        -1,
    )
    # papermill inserts after the parameters cell, or at the top when there is none.
    return index > position + 1
