"""Faults on the compendium itself: one real-notebook case of each kind of fault.

The mechanics of supervision are tested on a two-notebook throwaway project
(``test_faults.py``), where a notebook can be told to wait or to write a big file. These cases
run the six real notebooks instead, in a git copy of the project (its own package, data and
committed outputs), so that what the throwaway cannot show is shown: real kernels with the
scientific stack, real figures and manifests. Each case checks the exit status, that no
process of the run is left (``tests/pipeline/faults.py``), no staging folder or connection
file, and the committed outputs:

- a stop signal while the notebooks' cells run: exit 130, outputs as committed;
- ``figures/`` a symlink to another filesystem and ``notebooks/`` a mount of one (issue 25):
  ``run --force`` succeeds and every file equals the committed one;
- ``figures/`` on a full filesystem: exit 3 with one error line naming the path, its mount,
  its free space and what the run needs; nothing committed changes, no truncated notebook
  is kept.

The filesystems are tmpfs mounts (root only: skipped otherwise, failing under ``CI``).
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline import copy_project
from analysis.pipeline.jobs import KERNEL_PID_FILE, OUTPUT_SUBDIR
from tests.pipeline.faults import (
    EXPECTED,
    FAULT_TEST_MARKS,
    Run,
    assert_clean,
    committed,
    files_in,
    fill,
    git,
    no_space_line,
    start,
)

pytestmark = list(FAULT_TEST_MARKS)

NOTEBOOKS = sorted(p.stem for p in paths.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the compendium (as git sees it) committed in a repository of its own."""
    root = tmp_path_factory.mktemp("real") / "project"
    copy_project(paths.ROOT, root)
    with open(root / ".gitignore", "a", encoding="utf-8") as handle:
        handle.write("marks/\njupyter-runtime/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "committed")
    return root


@pytest.fixture
def project(base: Path, tmp_path: Path) -> Path:
    """A fresh copy of the committed compendium for one case."""
    root = tmp_path / "project"
    shutil.copytree(base, root, symlinks=True)
    (root / "marks").mkdir()
    (root / "jupyter-runtime").mkdir()
    return root


def kernel_in_its_cells(run: Run) -> bool:
    """Whether some notebook's kernel is alive and has saved an output (it is in its cells)."""
    for staging in (run.root / "runs" / ".staging").glob("*"):
        pid_file, out = staging / KERNEL_PID_FILE, staging / OUTPUT_SUBDIR
        try:
            pid = int(pid_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if Path(f"/proc/{pid}").exists() and out.is_dir() and any(out.iterdir()):
            return True
    return False


def move_to(folder: Path, elsewhere: Path) -> None:
    """Replace ``folder`` by a symlink to a copy of it in ``elsewhere``."""
    shutil.copytree(folder, elsewhere / folder.name)
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere / folder.name)


def test_sigint_while_the_real_notebooks_run(project, limits):
    """SIGINT to the group while a kernel runs its cells: 130, nothing left, outputs kept."""
    run = start(project, limits, "--force", "--jobs", "2")
    run.wait_for(lambda: kernel_in_its_cells(run), "a kernel runs its cells")
    run.signal(signal.SIGINT, "group")
    code, seconds = run.finish()
    assert code == EXPECTED[signal.SIGINT], run.output()
    assert seconds < run.stop_within
    assert run.output().count("error:") == 1
    assert_clean(run)


def test_real_outputs_on_another_filesystem(project, tmp_path, tmpfs, limits):
    """figures/ and notebooks/ on other filesystems: run --force saves the committed bytes."""
    elsewhere = tmpfs(tmp_path / "elsewhere", "16m")
    move_to(project / "figures", elsewhere)
    notebooks = files_in(project / "notebooks")
    shutil.rmtree(project / "notebooks")
    tmpfs(project / "notebooks", "16m")
    for name, data in notebooks.items():
        (project / "notebooks" / name).write_bytes(data)
    assert os.stat(project / "figures").st_dev != os.stat(project).st_dev
    assert os.stat(project / "notebooks").st_dev != os.stat(project).st_dev

    run = start(project, limits, "--force", "--jobs", "2")
    code, _ = run.finish(run.hang_guard)
    assert code == 0, run.output()
    assert f"ran {len(NOTEBOOKS)}, skipped 0, failed 0" in run.output()
    assert files_in(elsewhere / "figures") == committed(project, "figures")  # no temp file left
    assert files_in(project / "notebooks") == committed(project, "notebooks")
    assert_clean(run, outputs_clean=False)


def test_real_outputs_on_a_full_filesystem(project, tmp_path, tmpfs, limits):
    """figures/ on a full filesystem: exit 3, one line, committed files untouched."""
    elsewhere = tmpfs(tmp_path / "elsewhere", "8m")
    move_to(project / "figures", elsewhere)
    fill(elsewhere, 0)
    before = files_in(elsewhere / "figures")
    run = start(project, limits, "--force", "--jobs", "2")
    code, _ = run.finish(run.hang_guard)
    assert code == 3, run.output()
    line = no_space_line(run)
    assert f"{project}/figures/" in line and f"(mounted at {elsewhere}, " in line
    assert files_in(elsewhere / "figures") == before  # untouched, no temporary copy left
    assert not (project / "runs" / "failed").exists()  # no truncated notebook kept
    assert_clean(run, outputs_clean=False)
    assert git(project, "status", "--porcelain", "--", "notebooks") == ""
