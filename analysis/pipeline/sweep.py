"""Parameter sweeps: one notebook over a grid of parameter values, summarised in one table.

``python -m analysis run NOTEBOOK --sweep NAME=V1,V2 [--sweep NAME2=...]`` runs the notebook
once per point of the grid (the Cartesian product of the values), in parallel, each point into
its own ``runs/<notebook>-<hash>/`` (a point equal to the defaults is the canonical run), then
writes ``runs/<notebook>-sweep-<hash>/summary.csv``: every row of every CSV each point
produced, preceded by that point's parameter values and the CSV's name. Every point is planned,
so unknown names and mistyped values are refused, before any kernel starts.
"""

from __future__ import annotations

import csv
import io
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.io import atomic_write, canonical_json
from analysis.outputs import parameters_digest
from analysis.pipeline.manifest import load_manifest
from analysis.pipeline.parameters import parse_cli_value
from analysis.pipeline.plan import Task, plan
from analysis.pipeline.project import Log, ParameterError, Project
from analysis.pipeline.runner import RunSummary, exclusive, execute_tasks
from analysis.pipeline.signals import SignalGuard

#: Name of the table a sweep writes.
SUMMARY_FILE = "summary.csv"


@dataclass(frozen=True)
class Sweep:
    """A grid of parameter values for one notebook.

    Attributes:
        axes: Each swept parameter with its values, in the order given.
        fixed: Parameters set once for every point (``-p``/``-f``).
    """

    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    fixed: Mapping[str, Any]

    def points(self) -> list[dict[str, Any]]:
        """Every combination of the axes' values, merged with the fixed parameters."""
        names = [name for name, _ in self.axes]
        return [
            {**self.fixed, **dict(zip(names, values, strict=True))}
            for values in itertools.product(*(values for _, values in self.axes))
        ]

    def folder(self, project: Project, notebook: Path) -> Path:
        """``runs/<notebook>-sweep-<hash>/``, named after the axes and the fixed values."""
        spec = {"axes": [[n, list(v)] for n, v in self.axes], "fixed": dict(self.fixed)}
        return project.runs_dir / f"{notebook.stem}-sweep-{parameters_digest(spec)}"


def parse_sweep(specs: Sequence[str], fixed: Mapping[str, Any]) -> Sweep:
    """Parse ``NAME=V1,V2,...`` options (values as ``-p`` parses them).

    Raises:
        ParameterError: A spec without ``=`` or values, a name given twice, or a name also
            set with ``-p``/``-f``.
    """
    axes: list[tuple[str, tuple[Any, ...]]] = []
    for spec in specs:
        name, sep, text = spec.partition("=")
        values = [v.strip() for v in text.split(",")] if sep else []
        if not name.strip() or not values or not all(values):
            raise ParameterError(f"--sweep {spec!r}: expected NAME=VALUE1,VALUE2,...")
        name = name.strip()
        if name in fixed or any(name == other for other, _ in axes):
            raise ParameterError(f"--sweep {spec!r}: parameter {name!r} is given twice")
        parsed: dict[str, Any] = {}  # canonical JSON -> value: a repeated value counts once
        for value in map(parse_cli_value, values):
            parsed.setdefault(canonical_json(value), value)
        axes.append((name, tuple(parsed.values())))
    return Sweep(tuple(axes), dict(fixed))


def run_sweep(
    project: Project,
    notebook: Path,
    sweep: Sweep,
    *,
    jobs: int | None = None,
    force: bool = False,
    log: Log = print,
) -> tuple[RunSummary, Path]:
    """Run ``notebook`` at every point of ``sweep`` and write the summary table.

    Returns:
        The run's summary and the path of ``summary.csv`` (written only when every point
        succeeded).

    Raises:
        ParameterError: A point has an unknown name or a mistyped value (before any kernel).
    """
    started = time.perf_counter()
    with SignalGuard() as guard, exclusive(project):
        points: dict[Path, tuple[dict[str, Any], Task]] = {}
        for point in sweep.points():  # points that validate to the same run are run once
            task = plan(project, [notebook], point, force=force)[0]
            points.setdefault(task.notebook_out, (point, task))
        tasks = [task for _, task in points.values()]
        outcomes = execute_tasks(project, tasks, jobs, log, guard)
        summary = RunSummary(outcomes, time.perf_counter() - started)
        target = sweep.folder(project, notebook) / SUMMARY_FILE
        if summary.ok:
            with guard.hold():
                atomic_write(target, summary_text(project, sweep, list(points.values())))
        return summary, target


def summary_text(
    project: Project, sweep: Sweep, points: Sequence[tuple[dict[str, Any], Task]]
) -> str:
    """The summary table: per point, its parameters, then each row of each CSV it produced."""
    names = [name for name, _ in sweep.axes] + [n for n in sweep.fixed if n not in dict(sweep.axes)]
    rows: list[dict[str, str]] = []
    columns: dict[str, None] = {}
    for point, task in points:
        entry = load_manifest(task.manifest_path).notebooks[task.stem]
        prefix = {name: _cell(point[name]) for name in names}
        prefix["run"] = project.rel(task.dest_dir)
        for rel in sorted(r for r in entry.outputs if r.endswith(".csv")):
            with open(project.root / rel, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    # A CSV column named like a parameter (or run, file) is kept beside it.
                    row = {(f"{k} (csv)" if k in prefix or k == "file" else k): v
                           for k, v in row.items()}
                    columns.update(dict.fromkeys(row))
                    rows.append({**prefix, "file": Path(rel).name, **row})
    header = [*names, "run", "file", *columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value)
