"""Benchmark ``python -m analysis run`` against the import floor and the papermill CLI.

Run by hand (not a test), from anywhere::

    .venv/bin/python benchmarks/bench_pipeline.py            # the real notebooks, or dummies
    .venv/bin/python benchmarks/bench_pipeline.py --dummy 4  # 4 dummy notebooks
    .venv/bin/python benchmarks/bench_pipeline.py --baseline REV  # also the pipeline of REV

Everything runs in a scratch copy of the repository (its ``analysis`` package first on
``PYTHONPATH``), so the committed outputs are never touched. Measured:

(a) floor: a fresh ``python -c "import pandas, matplotlib.pyplot, seaborn, statsmodels.api"``;
(b) cold: ``python -m analysis run --force``;
(b') the same with ``--jobs N`` (every notebook at once), when N > cores;
(c) no-op: ``python -m analysis run`` with everything up to date;
(d) the papermill CLI, ``papermill <nb> <out>``, over the same notebooks one after the other;
(b0) with ``--baseline REV``: (b) with the ``analysis`` package of git revision ``REV`` (in a
second scratch copy; same notebooks and data), so that two designs are compared in one run.

(a), (b), (b') and (c) are taken in ``--repeat`` interleaved rounds (the floor before and after
each run) and the ratios computed per round, so that a shared machine's changing load affects
both sides of a ratio alike; medians are printed.

Printed: (b) / (ceil(N / cores) x (a)) [target <= 1.3], (d) / (b) [target >= 3] and (c)
[target <= 0.5 s].
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import paths, pipeline

FLOOR = "import pandas, matplotlib.pyplot, seaborn, statsmodels.api"

DUMMY_SETUP = (
    "import pandas as pd\n"
    "import matplotlib.pyplot as plt\n"
    "import seaborn as sns\n"
    "import statsmodels.api as sm\n"
    "from analysis import paths"
)
DUMMY_FIGURE = (
    "frame = pd.DataFrame({{'x': range(n), 'y': [i * i for i in range(n)]}})\n"
    "fit = sm.OLS(frame['y'], sm.add_constant(frame['x'])).fit()\n"
    "fig, ax = plt.subplots(figsize=(4, 3))\n"
    "sns.lineplot(data=frame, x='x', y='y', ax=ax)\n"
    "fig.savefig(paths.output_dir(output_dir) / 'bench-{index:02d}.png')\n"
    "print(round(float(fit.params['x']), 6))"
)


def write_dummy_notebooks(folder: Path, count: int) -> list[Path]:
    """Write ``count`` notebooks that import the heavy libraries and save one chart each."""
    import nbformat

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count):
        nb = nbformat.v4.new_notebook()
        nb.metadata.kernelspec = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        params = nbformat.v4.new_code_cell("output_dir = None  # figures folder\nn = 10")
        params.metadata.tags = ["parameters"]
        nb.cells = [
            nbformat.v4.new_code_cell(DUMMY_SETUP),
            params,
            nbformat.v4.new_code_cell(DUMMY_FIGURE.format(index=index)),
        ]
        for number, cell in enumerate(nb.cells):
            cell.id = f"cell-{number}"
        path = folder / f"{90 + index:02d}-bench.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written


def timed(command: list[str], cwd: Path, env: dict[str, str], quiet: bool = True) -> float:
    """Run ``command`` and return its wall time; raise if it fails."""
    began = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=quiet, text=True)
    seconds = time.perf_counter() - began
    if completed.returncode != 0:
        sys.stderr.write((completed.stdout or "") + (completed.stderr or ""))
        raise SystemExit(f"failed ({completed.returncode}): {' '.join(command)}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dummy", type=int, default=None, help="use N dummy notebooks instead of the real ones"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument(
        "--baseline", metavar="REV", default=None,
        help="also time run --force with the analysis package of this git revision",
    )
    args = parser.parse_args()

    python = sys.executable
    papermill_cli = str(Path(python).with_name("papermill"))
    cores = args.jobs or os.cpu_count() or 1
    scratch = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        repo = scratch / "repo"
        pipeline.copy_project(paths.ROOT, repo)
        project = pipeline.Project.at(repo)
        real = pipeline.discover_notebooks(project)
        if args.dummy or not real:
            for path in real:
                path.unlink()
            notebooks = write_dummy_notebooks(project.notebooks_dir, args.dummy or 4)
            kind = "dummy"
        else:
            notebooks = real
            kind = "real"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
        env.pop(paths.OUTPUT_DIR_ENV, None)
        base_repo = scratch / "baseline" if args.baseline else None
        if base_repo is not None:
            shutil.copytree(repo, base_repo, symlinks=True)
            shutil.rmtree(base_repo / "analysis")
            archive = subprocess.run(["git", "archive", args.baseline, "analysis"],
                                     cwd=paths.ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base_repo)], input=archive, check=True)
        base_env = dict(env, PYTHONPATH=os.pathsep.join(
            filter(None, [str(base_repo), os.environ.get("PYTHONPATH")])))
        n = len(notebooks)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"{n} {kind} notebooks, {cores} cores, python {sys.version.split()[0]}, "
            f"load average before: {load:.2f}"
        )

        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        run = [python, "-m", "analysis", "run"]
        wide_jobs = n if not args.jobs and n > cores else 0
        rounds = []
        # Interleaved rounds, so that each ratio compares measurements taken under the same
        # load (the machine may be shared); the floor is taken before and after each run.
        for _ in range(args.repeat):
            before = timed([python, "-c", FLOOR], repo, env)
            cold = timed([*run, "--force", *jobs], repo, env)
            wide = timed([*run, "--force", "--jobs", str(wide_jobs)], repo, env) if wide_jobs else 0
            base = timed([*run, "--force", *jobs], base_repo, base_env) if base_repo else 0
            after = timed([python, "-c", FLOOR], repo, env)
            noop = timed(run, repo, env)
            rounds.append((statistics.mean([before, after]), cold, wide, noop, base))
        rounds_per_core = math.ceil(n / cores)
        a = statistics.median(r[0] for r in rounds)
        b = statistics.median(r[1] for r in rounds)
        c = statistics.median(r[3] for r in rounds)
        print(f"(a) floor (fresh import):      {a:6.2f} s   {fmt([r[0] for r in rounds])}")
        print(f"(b) run --force (cold):        {b:6.2f} s   {fmt([r[1] for r in rounds])}")
        if wide_jobs:
            w = statistics.median(r[2] for r in rounds)
            print(f"(b') run --force --jobs {n}:     {w:6.2f} s   {fmt([r[2] for r in rounds])}")
        print(f"(c) run, nothing to do:        {c:6.2f} s   {fmt([r[3] for r in rounds])}")
        if base_repo is not None:
            b0 = statistics.median(r[4] for r in rounds)
            print(f"(b0) run --force, {args.baseline[:10]}: {b0:6.2f} s   "
                  f"{fmt([r[4] for r in rounds])}")

        out = scratch / "papermill-cli"
        out.mkdir()
        cli_env = dict(env, **{paths.OUTPUT_DIR_ENV: str(out)})
        began = time.perf_counter()
        for notebook in notebooks:
            timed(
                [papermill_cli, str(notebook), str(out / notebook.name)], notebook.parent, cli_env
            )
        d = time.perf_counter() - began
        print(f"(d) papermill CLI, sequential: {d:6.2f} s")

        ratios = [r[1] / (rounds_per_core * r[0]) for r in rounds]
        print()
        print(
            f"(b) / (ceil(N/cores) x (a)) = {statistics.median(ratios):.2f}   per round "
            f"{fmt(ratios)}   target <= 1.3"
        )
        if wide_jobs:
            wide_ratios = [r[2] / (rounds_per_core * r[0]) for r in rounds]
            print(
                f"(b') / (ceil(N/cores) x (a)) = {statistics.median(wide_ratios):.2f}   per "
                f"round {fmt(wide_ratios)}   (--jobs {n})"
            )
        if base_repo is not None:
            base_ratios = [r[4] / (rounds_per_core * r[0]) for r in rounds]
            print(
                f"(b0) / (ceil(N/cores) x (a)) = {statistics.median(base_ratios):.2f}   per "
                f"round {fmt(base_ratios)}   ({args.baseline[:10]})"
            )
        print(f"(d) / (b)                   = {d / b:.2f}   target >= 3")
        print(f"(c)                         = {c:.2f} s   target <= 0.5 s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


if __name__ == "__main__":
    raise SystemExit(main())
