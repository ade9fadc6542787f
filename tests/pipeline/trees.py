"""Test-only: two copies of committed outputs ("committed" and "re-run"), graded as verify does.

The report and comparison tests perturb the re-run copy and grade it; expected values are
computed in the tests from the files themselves.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from analysis import paths
from analysis.pipeline.compare import compare_output
from analysis.pipeline.compare_tables import compare_claims
from analysis.pipeline.environment import current_environment
from analysis.pipeline.manifest import load_manifest
from analysis.pipeline.replication import VerifyResult, recorded_environments
from analysis.pipeline.replication_spec import load_replication_spec

#: The committed outputs the report tests copy: the claims table, a chart's PNG and SVG, a
#: figure's data, the manifest, a notebook, the data package and the statistics table.
REPORT_FILES = (
    "figures/claims.csv",
    "figures/claims_changes.png",
    "figures/claims_changes.svg",
    "figures/police_victims_by_year_offence.csv",
    "figures/MANIFEST.json",
    "notebooks/01-dataset.ipynb",
    "data/datapackage.json",
    "data/processed/report_statistics.csv",
)


def copy_trees(base: Path, files: Iterable[str]) -> tuple[Path, Path]:
    """Copy ``files`` (relative to the project root) into ``base/committed`` and ``base/rerun``."""
    trees = (base / "committed", base / "rerun")
    for root in trees:
        for rel in files:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(paths.ROOT / rel, target)
    return trees


def graded(trees: tuple[Path, Path], **changes: object) -> VerifyResult:
    """Grade every file of both trees as verify does, the re-run "made" under Python 3.13.0.

    The recorded environments come from the committed tree's ``figures/MANIFEST.json``.
    """
    committed, rerun = trees
    spec = load_replication_spec(paths.ROOT)
    names = sorted(
        {p.relative_to(root).as_posix() for root in trees for p in root.rglob("*") if p.is_file()}
    )
    current = dataclasses.replace(current_environment(), python="3.13.0")
    manifest = load_manifest(committed / "figures/MANIFEST.json")
    result = VerifyResult(
        comparisons=tuple(compare_output(rel, committed, rerun, spec) for rel in names),
        claims=compare_claims(committed, rerun, spec),
        recorded=recorded_environments(manifest),
        current=current,
        spec=spec,
        figures={r.name: r.files for r in manifest.records("figure")},
    )
    return dataclasses.replace(result, **changes)


#: The colour of a painted block (magenta: in none of the figures' palettes).
MAGENTA = (255, 0, 255, 255)


def read_rows(path: Path) -> list[list[str]]:
    """A CSV file's records."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write records as CSV with Unix line ends, as the pipeline does."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def paint_block(png: Path, left: int, top: int, size: int = 20) -> None:
    """Paint a ``size`` x ``size`` magenta square over a PNG, its corner at (left, top)."""
    with Image.open(png) as image:
        painted = image.convert("RGBA")
    painted.paste(MAGENTA, (left, top, left + size, top + size))
    painted.save(png)
