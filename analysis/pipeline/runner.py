"""Running notebooks: workers, committing outputs, the manifest, the run lock."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.pipeline.kernels import _discard_warm, _worker_init, execute
from analysis.pipeline.manifest import load_manifest, notebook_source_digest, write_manifest
from analysis.pipeline.plan import Task, plan
from analysis.pipeline.project import (
    KERNEL_ENV_DEFAULTS,
    MANIFEST_FORMAT,
    Log,
    PipelineError,
    Project,
    discover_notebooks,
)


@dataclass
class Outcome:
    """What happened to one notebook.

    Attributes:
        notebook: The notebook's stem.
        status: ``"ran"``, ``"skipped"`` or ``"failed"``.
        seconds: Wall time of its execution (0 when skipped).
        message: The reason it was skipped, or what went wrong.
        outputs: Paths (relative to the root) of the files it produced.
        failed_notebook: Where the executed notebook of a failed run was saved.
    """

    notebook: str
    status: str
    seconds: float = 0.0
    message: str = ""
    outputs: list[str] = field(default_factory=list)
    failed_notebook: Path | None = None


@dataclass
class RunSummary:
    """The result of :func:`run_notebooks`."""

    outcomes: list[Outcome]
    seconds: float

    def count(self, status: str) -> int:
        """Return how many notebooks ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """Whether no notebook failed."""
        return self.count("failed") == 0

    def line(self) -> str:
        """Return the summary line (ran N, skipped M, failed K, total time)."""
        return (
            f"ran {self.count('ran')}, skipped {self.count('skipped')}, "
            f"failed {self.count('failed')} in {self.seconds:.1f} s"
        )


@contextlib.contextmanager
def _defer_sigint() -> Iterator[None]:
    """Hold Ctrl-C until the block (moving finished files into place) is done."""
    try:
        previous = signal.getsignal(signal.SIGINT)
        received: list[int] = []
        signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in KERNEL_ENV_DEFAULTS.items():
        env.setdefault(key, value)
    env.pop(paths.OUTPUT_DIR_ENV, None)
    return env


def _describe_failure(task: Task, result: Mapping[str, Any], project: Project) -> str:
    if result.get("cell_index") is not None:
        count = result.get("exec_count")
        where = f"cell {result['cell_index']}" + (f" (In [{count}])" if count else "")
        text = f"{where} raised {result['ename']}: {result['evalue']}"
    else:
        text = f"{result['ename']}: {result['evalue']}".rstrip(": ")
    if result.get("detail"):
        text += "\n    kernel stderr:\n      " + result["detail"].replace("\n", "\n      ")
    return text


class _Runner:
    """Commits finished notebooks and keeps the manifests up to date (parent process)."""

    def __init__(self, project: Project, tasks: Sequence[Task], log: Log) -> None:
        self.project = project
        self.log = log
        self.manifests = {t.manifest_path: load_manifest(t.manifest_path) for t in tasks}
        self.claimed: dict[str, str] = {}

    def commit(self, task: Task, result: Mapping[str, Any], seconds: float) -> Outcome:
        project = self.project
        staged_nb = Path(result["notebook"])
        staged_out = staged_nb.parent / "out"
        if task.canonical and notebook_source_digest(task.notebook) != task.inputs["notebook"]:
            return Outcome(
                task.stem,
                "failed",
                seconds,
                f"{project.rel(task.notebook)} was edited while it ran; not overwritten",
            )
        targets = {rel: task.dest_dir / rel for rel in result["outputs"]}
        for rel, target in targets.items():
            key = project.rel(target)
            owner = self.claimed.get(key)
            if target.resolve() in (task.manifest_path.resolve(), task.notebook_out.resolve()):
                return Outcome(task.stem, "failed", seconds, f"output name {rel!r} is reserved")
            if owner and owner != task.stem:
                return Outcome(
                    task.stem, "failed", seconds, f"output {key} is also written by {owner}"
                )
        manifest = self.manifests[task.manifest_path]
        entries = manifest["notebooks"]
        previous = entries.get(task.stem, {}).get("outputs", {})
        outputs: dict[str, str] = {}
        with _defer_sigint():
            for rel, target in targets.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_out / rel, target)
                key = project.rel(target)
                outputs[key] = result["outputs"][rel]
                self.claimed[key] = task.stem
            task.notebook_out.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged_nb, task.notebook_out)
            outputs[project.rel(task.notebook_out)] = result["notebook_sha"]
            for stale in sorted(set(previous) - set(outputs)):
                self._remove_output(stale, task.dest_dir, f"no longer produced by {task.stem}")
            for other, entry in entries.items():  # an output that moved to this notebook
                if other != task.stem:
                    for key in set(entry.get("outputs", {})) & set(outputs):
                        del entry["outputs"][key]
            entries[task.stem] = {
                "notebook": project.rel(task.notebook),
                "parameters": task.parameters,
                "inputs": task.inputs,
                "outputs": outputs,
            }
            manifest["format"] = MANIFEST_FORMAT
            write_manifest(task.manifest_path, manifest)
        return Outcome(task.stem, "ran", seconds, outputs=sorted(outputs))

    def _remove_output(self, rel: str, dest_dir: Path, why: str) -> None:
        path = self.project.root / rel
        try:
            path.resolve().relative_to(dest_dir.resolve())
        except ValueError:
            return
        if path.is_file():
            path.unlink()
            self.log(f"removed {rel} ({why})")

    def prune(self, existing: Iterable[Path]) -> None:
        """Forget notebooks that no longer exist and remove their recorded figure files."""
        stems = {p.stem for p in existing}
        path = self.project.manifest
        manifest = self.manifests.setdefault(path, load_manifest(path))
        gone = sorted(set(manifest["notebooks"]) - stems)
        if not gone:
            return
        with _defer_sigint():
            for stem in gone:
                entry = manifest["notebooks"].pop(stem)
                for rel in sorted(entry.get("outputs", {})):
                    self._remove_output(
                        rel, self.project.figures_dir, f"notebook {stem} no longer exists"
                    )
                self.log(f"forgot {stem} (notebook no longer exists)")
            write_manifest(path, manifest)

    def save_failed(self, task: Task, result: Mapping[str, Any]) -> Path | None:
        if not result.get("notebook"):
            return None
        target = self.project.failed_dir / task.notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(result["notebook"], target)
        return target


def run_notebooks(
    project: Project,
    notebooks: Sequence[Path] | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    log: Log = print,
) -> RunSummary:
    """Execute notebooks that need it, in parallel, and move their outputs into place.

    Args:
        project: The project.
        notebooks: The notebooks to run; ``None`` means all of them (and then manifest
            entries of deleted notebooks are dropped, with their figure files).
        parameters: Parameters for every notebook; any non-default value sends the run to
            ``runs/<stem>-<hash>/``.
        jobs: Maximum notebooks at once (default: the number of CPUs).
        force: Run even notebooks whose inputs and outputs are unchanged.
        log: Receives the progress lines.

    Returns:
        The outcome of each notebook and the total wall time.

    Raises:
        ParameterError: Invalid parameters (raised before any kernel starts).
        KeyboardInterrupt: Interrupted; no half-written file is left behind.
    """
    started = time.perf_counter()
    with _exclusive(project):
        return _run_locked(project, notebooks, parameters, jobs, force, log, started)


@contextlib.contextmanager
def _exclusive(project: Project) -> Iterator[None]:
    """Hold an advisory lock on the project root so that two runs do not interleave."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    handle = os.open(project.root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PipelineError(
                f"another `run` is in progress in {project.root}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(handle)


def _run_locked(
    project: Project,
    notebooks: Sequence[Path] | None,
    parameters: Mapping[str, Any] | None,
    jobs: int | None,
    force: bool,
    log: Log,
    started: float,
) -> RunSummary:
    selected = list(notebooks) if notebooks is not None else discover_notebooks(project)
    tasks = plan(project, selected, parameters, force=force)
    runner = _Runner(project, tasks, log)
    outcomes: dict[str, Outcome] = {}
    for task in tasks:
        if task.reason is None:
            log(f"skip  {task.stem}: {task.skip_reason}")
            outcomes[task.stem] = Outcome(task.stem, "skipped", message=task.skip_reason)
    if notebooks is None and not parameters:
        runner.prune(selected)
    todo = [t for t in tasks if t.reason is not None]
    if todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        env = _kernel_env()
        project.staging_root.mkdir(parents=True, exist_ok=True)
        try:
            if workers == 1:
                _run_inline(project, todo, env, runner, outcomes, log)
            else:
                _run_pool(project, todo, env, runner, outcomes, log, workers)
        finally:
            _remove_staging(project)
    ordered = [outcomes[t.stem] for t in tasks]
    summary = RunSummary(ordered, time.perf_counter() - started)
    return summary


def _remove_staging(project: Project) -> None:
    shutil.rmtree(project.staging_root, ignore_errors=True)
    with contextlib.suppress(OSError):
        project.runs_dir.rmdir()  # only if empty


def _job(project: Project, task: Task, env: Mapping[str, str], prestart: bool) -> dict[str, Any]:
    return {
        "notebook": str(task.notebook),
        "staging_root": str(project.staging_root),
        "parameters": task.parameters,
        "env": dict(env),
        "cwd": str(task.notebook.parent),
        "prestart": prestart,
    }


def _finish(
    project: Project,
    task: Task,
    job: Mapping[str, Any],
    result: Mapping[str, Any],
    seconds: float,
    runner: _Runner,
    log: Log,
) -> Outcome:
    try:
        if result.get("ok"):
            outcome = runner.commit(task, result, seconds)
        else:
            saved = runner.save_failed(task, result)
            message = _describe_failure(task, result, project)
            outcome = Outcome(task.stem, "failed", seconds, message, failed_notebook=saved)
    finally:
        if result.get("staging"):
            shutil.rmtree(result["staging"], ignore_errors=True)
    if outcome.status == "ran":
        log(f"done  {task.stem} in {seconds:.1f} s")
    else:
        where = (
            f"; executed notebook saved to {project.rel(outcome.failed_notebook)}"
            if outcome.failed_notebook
            else ""
        )
        log(f"FAIL  {task.stem} after {seconds:.1f} s: {outcome.message}{where}")
    return outcome


def _start_line(task: Task) -> str:
    target = "" if task.canonical else f" -> {task.dest_dir.name}/"
    return f"start {task.stem}{target} ({task.reason})"


def _run_inline(
    project: Project,
    todo: Sequence[Task],
    env: Mapping[str, str],
    runner: _Runner,
    outcomes: dict[str, Outcome],
    log: Log,
) -> None:
    try:
        for index, task in enumerate(todo):
            job = _job(project, task, env, prestart=index + 1 < len(todo))
            log(_start_line(task))
            began = time.perf_counter()
            result = execute(job)
            outcomes[task.stem] = _finish(
                project, task, job, result, time.perf_counter() - began, runner, log
            )
    finally:
        _discard_warm()


def _run_pool(
    project: Project,
    todo: Sequence[Task],
    env: Mapping[str, str],
    runner: _Runner,
    outcomes: dict[str, Outcome],
    log: Log,
    workers: int,
) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # Workers are forked from one process that imported what every worker needs before
        # it can launch a kernel; papermill itself is imported while the kernels boot.
        context.set_forkserver_preload(["analysis.pipeline.kernels", "jupyter_client.manager"])
    queue = list(todo)
    submitted = 0
    running: dict[Future[dict[str, Any]], tuple[Task, dict[str, Any], float]] = {}
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.pop(0)
                # A worker pre-starts a kernel when there will be a notebook left for it.
                job = _job(project, task, env, prestart=submitted + workers < len(todo))
                submitted += 1
                log(_start_line(task))
                running[executor.submit(execute, job)] = (task, job, time.perf_counter())
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f][0].stem):
                task, job, began = running.pop(future)
                seconds = time.perf_counter() - began
                try:
                    result = future.result()
                except Exception as error:  # a worker died
                    result = {
                        "ok": False,
                        "cell_index": None,
                        "ename": type(error).__name__,
                        "evalue": str(error),
                        "notebook": None,
                    }
                outcomes[task.stem] = _finish(project, task, job, result, seconds, runner, log)
    except BaseException:
        for process in list(getattr(executor, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()  # SIGTERM: the worker interrupts its notebook and cleans up
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
