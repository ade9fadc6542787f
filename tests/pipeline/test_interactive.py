"""A notebook run outside the pipeline never writes the canonical outputs.

JupyterLab and plain papermill run a notebook's kernel without the pipeline's staging
folder; whatever the parameters, its figures go to ``runs/interactive-<hash>/`` and the
notebook's first output says so. ``figures/`` and ``notebooks/`` stay byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import paths

pytestmark = pytest.mark.slow


def _digests() -> dict[str, str]:
    return {
        path.relative_to(paths.ROOT).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in (paths.FIGURES_DIR, paths.NOTEBOOKS_DIR)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_plain_papermill_with_other_parameters_leaves_the_canonical_outputs_alone(tmp_path):
    """`papermill 02 -p conf_level 0.9`, run as JupyterLab would (kernel in notebooks/)."""
    before = _digests()
    env = {k: v for k, v in os.environ.items() if k != paths.OUTPUT_DIR_ENV}
    executed = tmp_path / "02.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "papermill", "--cwd", str(paths.NOTEBOOKS_DIR),
         str(paths.NOTEBOOKS_DIR / "02-police-victims.ipynb"), str(executed),
         "-p", "conf_level", "0.9", "--no-progress-bar"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    nb = nbformat.read(executed, as_version=4)
    shown = "".join(
        output.get("data", {}).get("text/plain", "")
        for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )
    found = re.search(r"Outputs of this run go to (runs/interactive-[0-9a-f]+)/", shown)
    assert found, shown[:500]
    folder = paths.ROOT / found.group(1)
    try:
        assert _digests() == before  # figures/ and notebooks/ untouched
        table = (folder / "police_victims_by_year_offence.csv").read_text().splitlines()
        assert table[0].split(",")[6] == "conf_level"
        assert {row.split(",")[6] for row in table[1:]} == {"0.9"}
        assert (folder / ".declared" / "police_victims_by_year_offence.json").is_file()
        assert Path(folder).is_relative_to(paths.RUNS_DIR)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
