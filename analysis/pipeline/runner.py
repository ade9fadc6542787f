"""Running notebooks: plan, start workers, commit what finished, clean up on any exit.

:func:`run_notebooks` holds the project's run lock, plans the run (parameters are checked
before any kernel starts), runs at most ``jobs`` worker processes at once
(:mod:`analysis.pipeline.supervisor`) and commits each finished notebook as one group
(:mod:`analysis.pipeline.commit`). SIGINT, SIGTERM and SIGHUP raise
:class:`~analysis.pipeline.project.Interrupted`; whatever ends the run, the workers and their
kernels are stopped and the staging folder (with the kernels' connection files) removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.io import atomic_write, is_no_space
from analysis.pipeline.commit import Committer, NotebookOutcome
from analysis.pipeline.imports import imported_libraries
from analysis.pipeline.jobs import OUTPUT_SUBDIR, Result
from analysis.pipeline.plan import Task, plan
from analysis.pipeline.project import (
    KERNEL_ENV_DEFAULTS,
    Log,
    NoSpaceError,
    PipelineError,
    Project,
    discover_notebooks,
)
from analysis.pipeline.signals import SignalGuard
from analysis.pipeline.supervisor import Running, WorkerPool


@dataclass
class RunSummary:
    """The result of :func:`run_notebooks`."""

    outcomes: list[NotebookOutcome]
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
            entries of deleted notebooks are dropped, with the files only they recorded).
        parameters: Parameters for every notebook; any non-default value sends the run to
            ``runs/<stem>-<hash>/``.
        jobs: Maximum notebooks at once (default: the number of CPUs).
        force: Run even notebooks whose inputs and outputs are unchanged.
        log: Receives the progress lines.

    Returns:
        The outcome of each notebook and the total wall time.

    Raises:
        ParameterError: Invalid parameters (raised before any kernel starts).
        SaveError: Finished outputs could not be moved into place (the run stops).
        NoSpaceError: A filesystem the run writes to is full or over quota: the first such
            error anywhere stops the run as a signal would (nothing committed after it).
        Interrupted: SIGINT, SIGTERM or SIGHUP; workers and kernels are stopped, no staging
            file is left and no output is half-written.
    """
    started = time.perf_counter()
    with SignalGuard() as guard, exclusive(project):
        selected = list(notebooks) if notebooks is not None else discover_notebooks(project)
        tasks = plan(project, selected, parameters, force=force)
        prune = selected if notebooks is None and not parameters else None
        outcomes = execute_tasks(project, tasks, jobs, log, guard, prune)
        return RunSummary(outcomes, time.perf_counter() - started)


def execute_tasks(
    project: Project,
    tasks: Sequence[Task],
    jobs: int | None,
    log: Log,
    guard: SignalGuard,
    prune: Sequence[Path] | None = None,
) -> list[NotebookOutcome]:
    """Run the planned tasks that must run, commit them, and return every task's outcome.

    Args:
        project: The project (its run lock must be held).
        tasks: Planned tasks (those without a reason to run are reported as skipped).
        jobs: Maximum notebooks at once (default: the number of CPUs).
        log: Receives the progress lines.
        guard: The signal guard of the run.
        prune: The notebooks that exist, to forget manifest entries of the others; ``None``
            to keep every entry.

    Returns:
        One outcome per task, in the order of ``tasks``.
    """
    committer = Committer(project, tasks, log, guard)
    outcomes = {
        t.notebook_out: NotebookOutcome(t.stem, "skipped", message=t.skip_reason)
        for t in tasks
        if t.reason is None
    }
    for task in tasks:
        if task.reason is None:
            log(f"skip  {task.stem}: {task.skip_reason}")
    todo = [t for t in tasks if t.reason is not None]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    try:
        with _full_disk_is_one_error(project, committer, todo):
            if prune is not None:
                committer.prune(prune)
            if todo:
                outcomes.update(_run_workers(project, todo, committer, log, workers, guard))
    finally:
        if todo:
            _remove_staging(project)
    return [outcomes[t.notebook_out] for t in tasks]


@contextlib.contextmanager
def _full_disk_is_one_error(
    project: Project, committer: Committer, todo: Sequence[Task]
) -> Iterator[None]:
    """Turn the first "no space left" anywhere in the block into one :class:`NoSpaceError`.

    The error leaves the block (so the worker pool stops every worker as a signal would and
    nothing more is scheduled) carrying the failing path and roughly what the run needs.
    """
    try:
        yield
    except NoSpaceError as error:
        raise NoSpaceError(error.path, _space_needed(project, committer, todo)) from None
    except OSError as error:
        if not is_no_space(error):
            raise
        path = error.filename or project.staging_root
        raise NoSpaceError(path, _space_needed(project, committer, todo)) from None


def _space_needed(project: Project, committer: Committer, todo: Sequence[Task]) -> int:
    """Roughly the bytes a run of ``todo`` needs, estimated when the disk filled.

    For each notebook: the files its last recorded run produced (its executed notebook
    included; the notebook's own size when nothing is recorded) and two copies of its source
    in the staging folder (the cleaned input and papermill's raw output); plus what this run
    had already written to the staging folder (outputs larger than last time show there).
    """
    total = sum(p.stat().st_size for p in project.staging_root.rglob("*") if p.is_file())
    for task in todo:
        source = task.notebook.stat().st_size if task.notebook.is_file() else 0
        entry = committer.manifests[task.manifest_path].notebooks.get(task.stem)
        recorded = [project.root / rel for rel in (entry.outputs if entry else ())]
        produced = sum(p.stat().st_size for p in recorded if p.is_file()) or source
        total += produced + 2 * source
    return total


@contextlib.contextmanager
def exclusive(project: Project) -> Iterator[None]:
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


def _run_workers(
    project: Project,
    todo: Sequence[Task],
    committer: Committer,
    log: Log,
    workers: int,
    guard: SignalGuard,
) -> dict[Path, NotebookOutcome]:
    """Run ``todo`` on at most ``workers`` worker processes; commit each as it finishes.

    Notebooks never timed here start first, in name order; then those that took longest last
    time (longest processing time first: the longest notebook no longer starts last, when a
    worker that finishes early has nothing left to take). Outputs do not depend on the order.
    """
    outcomes: dict[Path, NotebookOutcome] = {}
    durations = load_durations(project)
    queue = longest_first(todo, durations)
    try:
        libraries = sorted(imported_libraries(project.package_dir, [t.notebook for t in todo]))
        with WorkerPool(project, _kernel_env(), guard, libraries) as pool:
            while queue or pool.running:
                while queue and len(pool.running) < workers:
                    task = queue.pop(0)
                    log(_start_line(task))
                    pool.start(task)
                for finished in pool.wait_any():
                    outcome = _finish(project, finished, committer, log)
                    outcomes[finished.task.notebook_out] = outcome
                    if outcome.status == "ran":
                        durations[finished.task.stem] = round(outcome.seconds, 2)
                    shutil.rmtree(finished.staging, ignore_errors=True)  # else the run removes it
    finally:
        save_durations(project, durations)
    return outcomes


def load_durations(project: Project) -> dict[str, float]:
    """The seconds each notebook took when it last ran here (empty when none is known)."""
    try:
        data = json.loads(project.durations_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def save_durations(project: Project, durations: Mapping[str, float]) -> None:
    """Keep the notebooks' last durations for the next run's order (never fails a run)."""
    if not durations:
        return
    with contextlib.suppress(OSError):
        atomic_write(project.durations_file,
                     json.dumps(dict(sorted(durations.items())), indent=1) + "\n")


def longest_first(tasks: Sequence[Task], durations: Mapping[str, float]) -> list[Task]:
    """``tasks``, those never timed first (in their order), then the longest known first."""
    unknown = [t for t in tasks if t.stem not in durations]
    known = sorted((t for t in tasks if t.stem in durations), key=lambda t: -durations[t.stem])
    return unknown + known


def _finish(project: Project, finished: Running, committer: Committer, log: Log) -> NotebookOutcome:
    """Commit (or record the failure of) a finished worker's notebook and log it."""
    task = finished.task
    seconds = finished.seconds
    result = finished.result()
    if result.out_of_space:  # not the notebook's fault: end the run, keep nothing
        raise NoSpaceError(result.error_path or finished.staging / OUTPUT_SUBDIR)
    if result.ok:
        outcome = committer.commit(task, result, seconds)
    else:
        saved = committer.save_failed(task, result)
        message = _describe_failure(result)
        outcome = NotebookOutcome(task.stem, "failed", seconds, message, failed_notebook=saved)
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


def _describe_failure(result: Result) -> str:
    if result.cell_index is not None:
        count = result.exec_count
        where = f"cell {result.cell_index}" + (f" (In [{count}])" if count else "")
        text = f"{where} raised {result.ename}: {result.evalue}"
    else:
        text = f"{result.ename}: {result.evalue}".rstrip(": ")
    if result.detail:
        text += "\n    kernel stderr:\n      " + result.detail.replace("\n", "\n      ")
    return text


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in KERNEL_ENV_DEFAULTS.items():
        env.setdefault(key, value)
    env.pop(paths.OUTPUT_DIR_ENV, None)
    return env


def _start_line(task: Task) -> str:
    target = "" if task.canonical else f" -> {task.dest_dir.name}/"
    return f"start {task.stem}{target} ({task.reason})"


def _remove_staging(project: Project) -> None:
    shutil.rmtree(project.staging_root, ignore_errors=True)
    with contextlib.suppress(OSError):
        project.runs_dir.rmdir()  # only if empty
