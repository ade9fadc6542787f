"""Test-only: throwaway compendia, each with its own copy of the package, its data and notebooks.

A throwaway project is laid out like the real one and holds everything its command line needs:
a copy of ``analysis/`` (so that ``python -m analysis`` run there, with the copy first on
``PYTHONPATH``, acts on the copy: ``analysis.paths.ROOT`` is the copy's root), the raw report,
``data/claims.yaml``, the processed statistics table (which ``run`` checks against the raw
report before any kernel starts), a small processed table of its own, a lock file, the
replication tolerances (``replication.yaml``, which ``verify`` reads) and its notebooks. Its
extraction stage is a stand-in that copies the processed tables from the project's
``fixtures/`` folder, so that ``verify`` can rebuild ``data/processed/`` in seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat

import analysis
from analysis import paths
from analysis.pipeline import Project

#: The package and the repository the copies are made from.
PACKAGE = Path(analysis.__file__).resolve().parent
REPOSITORY = PACKAGE.parent
#: A notebook cell: its kind (``"code"`` or ``"markdown"``), source and tags.
Cell = tuple[str, str, Sequence[str]]
#: The throwaway project's own processed table (besides the report's statistics).
TABLE = "year,victims\n2010,614\n2014,741\n"
#: Its extraction stage: the processed tables are copied from ``fixtures/``.
EXTRACT = '''"""The throwaway project's extraction stage: its processed tables, from fixtures/."""

import shutil

from analysis import paths


def build_all():
    """Copy every table of fixtures/ into data/processed/; return what was written."""
    paths.PROCESSED_DIR.mkdir(parents=True, exist_ok=True)
    written = {}
    for source in sorted((paths.ROOT / "fixtures").glob("*.csv")):
        written[source.stem] = shutil.copy(source, paths.PROCESSED_DIR / source.name)
    return written
'''


def write_notebook(path: Path, cells: Sequence[Cell]) -> None:
    """Write a notebook of ``cells`` (deterministic cell ids ``c0``, ``c1``, ...)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for index, (kind, source, tags) in enumerate(cells):
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cell = maker(source)
        cell.id = f"c{index}"
        if tags:
            cell.metadata.tags = list(tags)
        nb.cells.append(cell)
    nbformat.write(nb, path)


def build_project(root: Path, notebooks: Mapping[str, Sequence[Cell]]) -> Project:
    """Lay out a throwaway compendium in ``root`` with these notebooks (by stem)."""
    shutil.copytree(PACKAGE, root / "analysis", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "analysis" / "dataset" / "build.py").write_text(EXTRACT, encoding="utf-8")
    shutil.copytree(REPOSITORY / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPOSITORY / "data" / "claims.yaml", root / "data" / "claims.yaml")
    fixtures = root / "fixtures"
    fixtures.mkdir()
    shutil.copy(REPOSITORY / "data" / "processed" / "report_statistics.csv", fixtures)
    (fixtures / "table.csv").write_text(TABLE, encoding="utf-8")
    shutil.copytree(fixtures, root / "data" / "processed")
    (root / "requirements.lock").write_text("nbformat\n", encoding="utf-8")
    shutil.copy(REPOSITORY / "replication.yaml", root / "replication.yaml")
    (root / "notebooks").mkdir()
    for stem, cells in notebooks.items():
        write_notebook(root / "notebooks" / f"{stem}.ipynb", cells)
    (root / ".gitignore").write_text("runs/\n__pycache__/\n", encoding="utf-8")
    return Project.at(root)


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a command run in the throwaway project: its package first."""
    env = dict(os.environ, PYTHONPATH=str(root), **extra)
    env.pop(paths.OUTPUT_DIR_ENV, None)
    return env


def run_cli(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m analysis ARGS`` in the throwaway project and return what it did."""
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=root,
                          env=cli_env(root, **extra), capture_output=True, text=True)
