"""Fault injection: `run` stopped by signals at several moments, and a failure while saving.

Each case runs ``python -m analysis run`` on a copy of a small throwaway project (a git repo
with committed outputs, two pure-Python notebooks that can be told to wait), injects the fault,
then checks: the exit status, that no process of the run is alive (every process started by a
run carries a unique environment variable, looked up in ``/proc``), that no staging folder or
kernel connection file is left, and that ``git status`` of the outputs is clean.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.io import sha256_file
from tests.pipeline.faults import (
    EXPECTED,
    FAULT_TEST_MARKS,
    LEFT_FREE,
    assert_clean,
    committed,
    fifo_has_reader,
    files_in,
    fill,
    git,
    no_space_line,
    run_env,
    start,
)
from tests.throwaway import Cell

pytestmark = list(FAULT_TEST_MARKS)

PARAMETERS = (
    'output_dir: str = ""  # pipeline-owned\n'
    'data_path: str = ""  # a file of the project\n'
    'label: str = "x"  # a label'
)
BODY = (
    "import os, pathlib, time\n"
    "from analysis import paths\n"
    "out = paths.output_dir(output_dir)\n"
    'marks = os.environ.get("FAULT_MARKS")\n'
    "if marks:\n"
    '    pathlib.Path(marks, "{stem}.started").touch()\n'
    'awaited = os.environ.get("FAULT_AWAIT_{key}")  # a mark of another notebook\n'
    "while awaited and not pathlib.Path(marks, awaited).exists():\n"
    "    time.sleep(0.02)\n"
    '(out / "{stem}-a.csv").write_text("n\\n1\\n")\n'
    '(out / "{stem}-b.csv").write_text("n\\n2\\n")\n'
    'big = int(os.environ.get("FAULT_BYTES_{key}", "0"))\n'
    "if big:\n"
    '    (out / "{stem}-big.bin").write_bytes(b"0" * big)\n'
    'time.sleep(float(os.environ.get("FAULT_SLEEP_{key}", "0")))'
)
STEMS = {"01-quick": "01", "02-slow": "02"}
def fault_notebook(stem: str, key: str) -> list[Cell]:
    """The cells of one of the two notebooks of the throwaway project."""
    return [("code", PARAMETERS, ["parameters"]), ("code", BODY.format(stem=stem, key=key), [])]


@pytest.fixture(scope="module")
def base(throwaway) -> Path:
    """A throwaway project with committed outputs (a git repository)."""
    root = throwaway({stem: fault_notebook(stem, key) for stem, key in STEMS.items()}).root
    (root / ".gitignore").write_text("runs/\nmarks/\njupyter-runtime/\n__pycache__/\n")
    env = run_env(root, "setup")
    (root / "marks").mkdir()
    (root / "jupyter-runtime").mkdir()
    done = subprocess.run([sys.executable, "-m", "analysis", "run"], cwd=root, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "outputs")
    shutil.rmtree(root / "marks")
    shutil.rmtree(root / "jupyter-runtime")
    return root


@pytest.fixture
def project(base: Path, tmp_path: Path) -> Path:
    """A fresh copy of the throwaway project for one case."""
    root = tmp_path / "project"
    shutil.copytree(base, root, symlinks=True)
    # Without the base run's durations, notebooks start in name order (01 before 02), which
    # the cases below rely on; with them, the longest would start first.
    shutil.rmtree(root / "build", ignore_errors=True)
    (root / "marks").mkdir()
    (root / "jupyter-runtime").mkdir()
    return root


@pytest.mark.parametrize(
    ("signum", "target"), [(signal.SIGINT, "group"), (signal.SIGTERM, "parent")]
)
def test_signal_before_the_first_kernel(project, signum, target, limits):
    """Stopped while reading its parameter file (a FIFO that never delivers): no kernel ran."""
    fifo = project / "marks" / "parameters.yaml"
    os.mkfifo(fifo)
    run = start(project, limits, "--force", "-f", str(fifo))
    run.wait_for(lambda: fifo_has_reader(fifo), "the parameter file is opened")
    run.signal(signum, target)
    code, seconds = run.finish()
    assert code == EXPECTED[signum], run.output()
    assert not any(run.started(stem) for stem in STEMS)
    assert_clean(run)


@pytest.mark.parametrize(
    ("signum", "target"),
    [
        (signal.SIGINT, "group"),
        (signal.SIGINT, "parent"),
        (signal.SIGTERM, "parent"),
        (signal.SIGHUP, "group"),
    ],
)
def test_signal_mid_notebook(project, signum, target, limits):
    """Stopped while both notebooks run: exit 128+signal within seconds, nothing left."""
    run = start(project, limits, "--force", FAULT_SLEEP_01="60", FAULT_SLEEP_02="60")
    run.wait_for(lambda: run.started("01-quick") and run.started("02-slow"), "both notebooks run")
    run.signal(signum, target)
    code, seconds = run.finish()
    assert code == EXPECTED[signum], run.output()
    assert seconds < run.stop_within
    assert run.output().count("error:") == 1
    assert_clean(run)


@pytest.mark.parametrize(
    ("signum", "target"), [(signal.SIGINT, "parent"), (signal.SIGTERM, "group")]
)
def test_signal_between_notebooks(project, signum, target, limits):
    """Stopped just after the first notebook finished while the second runs (issue 10, 1)."""
    run = start(project, limits, "--force", "--jobs", "2", FAULT_SLEEP_02="60")
    run.wait_for(lambda: "done  01-quick" in run.output(), "the first notebook is done")
    run.signal(signum, target)
    code, seconds = run.finish()
    assert code == EXPECTED[signum], run.output()
    assert_clean(run)  # 01's committed outputs are byte-identical, 02's untouched


SIGNAL_WHILE_SAVING = """
import os, signal, sys
from pathlib import Path
from analysis import cli, io

class OsSendingSigtermAtFirstOutputMove:  # io.replace_all moves the group's files
    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def replace(source, target):
        if not fired and Path(target).parent.name == "figures":
            fired.append(True)
            os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of a group of moves
        os.replace(source, target)

fired = []
io.os = OsSendingSigtermAtFirstOutputMove()
sys.exit(cli.main(["run", "--force", "--jobs", "1", "01-quick"]))
"""


def test_signal_while_saving(project, limits):
    """SIGTERM during the moves: the group completes, then the run stops with 143."""
    run = start(project, limits, command=[sys.executable, "-c", SIGNAL_WHILE_SAVING])
    code, _ = run.finish(run.hang_guard)
    assert code == 143, run.output()
    manifest = pipeline.load_manifest(project / "figures" / "MANIFEST.json")
    for rel, digest in manifest.notebooks["01-quick"].outputs.items():
        assert sha256_file(project / rel) == digest
    assert_clean(run)


def test_failure_while_saving(project, limits):
    """figures/ replaced by a file: exit 1 and one error line, no hang, nothing left."""
    shutil.rmtree(project / "figures")
    (project / "figures").write_text("not a folder\n")
    run = start(project, limits, "--force")
    code, _ = run.finish(run.hang_guard)
    assert code == 1, run.output()
    errors = [line for line in run.output().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot save" in errors[0], run.output()
    assert "Traceback" not in run.output()
    assert_clean(run, outputs_clean=False)
    assert git(project, "status", "--porcelain", "--", "notebooks") == ""


BACKGROUND = """
{job_control}
"$@" &
pid=$!
until [ -e marks/01-quick.started ]; do sleep 0.05; done
kill -INT $pid
wait $pid
"""


@pytest.mark.parametrize(("job_control", "expected"), [("set -m", 130), ("", 0)])
def test_sigint_to_a_background_job(project, job_control, expected, limits):
    """`run &` in a script: SIGINT stops it with job control on; without, it is ignored."""
    script = BACKGROUND.format(job_control=job_control)
    command = ["bash", "-c", script, "bash", sys.executable, "-m", "analysis", "run", "--force"]
    run = start(project, limits, command=command, FAULT_SLEEP_01="1")
    code, _ = run.finish(run.hang_guard)
    assert code == expected, run.output()
    assert_clean(run)


# --- Storage: outputs on another filesystem, and a full disk (issue 25) ---------------------

#: The size of the file a notebook writes to fill what is left.
BIG_OUTPUT = 1024 * 1024


def test_outputs_on_another_filesystem(project, tmp_path, tmpfs, limits):
    """figures/ a symlink to another filesystem, notebooks/ a mount of one: run --force saves."""
    elsewhere = tmpfs(tmp_path / "elsewhere")
    shutil.copytree(project / "figures", elsewhere / "figures")
    shutil.rmtree(project / "figures")
    (project / "figures").symlink_to(elsewhere / "figures")
    notebooks = {p.name: p.read_bytes() for p in (project / "notebooks").iterdir()}
    shutil.rmtree(project / "notebooks")
    tmpfs(project / "notebooks")
    for name, data in notebooks.items():
        (project / "notebooks" / name).write_bytes(data)
    assert os.stat(project / "figures").st_dev != os.stat(project).st_dev
    assert os.stat(project / "notebooks").st_dev != os.stat(project).st_dev

    run = start(project, limits, "--force")
    code, _ = run.finish(run.hang_guard)
    assert code == 0, run.output()
    assert "ran 2, skipped 0, failed 0" in run.output()
    assert files_in(elsewhere / "figures") == committed(project, "figures")  # no temp file left
    assert files_in(project / "notebooks") == committed(project, "notebooks")
    assert_clean(run, outputs_clean=False)


def test_full_disk_in_a_cell_stops_the_run(project, tmpfs, limits):
    """A cell hits a full staging filesystem: exit 3 at once, nothing kept, 02 never starts."""
    runs = tmpfs(project / "runs", "2m")
    fill(runs, LEFT_FREE)
    run = start(project, limits, "--force", "--jobs", "1",
                FAULT_BYTES_01=str(BIG_OUTPUT), FAULT_SLEEP_02="60")
    run.wait_for(lambda: run.started("01-quick"), "01 runs")  # then within seconds of its fault
    code, seconds = run.finish()
    assert code == 3, run.output()
    line = no_space_line(run)
    assert f"{runs}/.staging/01-quick-" in line and f"(mounted at {runs}, " in line
    assert not run.started("02-slow")
    assert sorted(p.name for p in runs.iterdir()) == ["filler"]  # no staging, no runs/failed
    assert_clean(run)


def test_full_disk_for_the_staging_folder(project, tmpfs, limits):
    """No room even for a worker's job file: exit 3 before any notebook starts."""
    runs = tmpfs(project / "runs", "1m")
    fill(runs, 0)
    run = start(project, limits, "--force")
    code, _ = run.finish()
    assert code == 3, run.output()
    assert f"{runs}/.staging" in no_space_line(run)
    assert not any(run.started(stem) for stem in STEMS)
    assert sorted(p.name for p in runs.iterdir()) == ["filler"]
    assert_clean(run)


def test_full_disk_while_saving_stops_the_running_notebook(project, tmp_path, tmpfs, limits):
    """figures/ on a full filesystem: 01's outputs cannot be copied there; 02 is stopped."""
    elsewhere = tmpfs(tmp_path / "elsewhere", "2m")
    shutil.copytree(project / "figures", elsewhere / "figures")
    shutil.rmtree(project / "figures")
    (project / "figures").symlink_to(elsewhere / "figures")
    fill(elsewhere, LEFT_FREE)
    before = files_in(elsewhere / "figures")
    run = start(project, limits, "--force", "--jobs", "2", FAULT_BYTES_01=str(BIG_OUTPUT),
                FAULT_AWAIT_01="02-slow.started", FAULT_SLEEP_02="60")  # 02 runs when 01 saves
    run.wait_for(lambda: run.started("02-slow"), "02 runs")
    code, seconds = run.finish()
    assert code == 3, run.output()
    line = no_space_line(run)
    assert f"{project}/figures/01-quick-big.bin (mounted at {elsewhere}, " in line
    assert files_in(elsewhere / "figures") == before  # untouched, no temporary copy left
    assert not (project / "runs").exists()
    assert_clean(run, outputs_clean=False)
    assert git(project, "status", "--porcelain", "--", "notebooks") == ""
