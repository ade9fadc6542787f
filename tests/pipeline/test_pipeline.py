"""Tests of analysis.pipeline on a throwaway compendium (two small notebooks; tests.throwaway)."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time

import nbformat
import pytest

from analysis import paths, pipeline
from analysis.pipeline import ParameterError, Project, runner
from analysis.pipeline.project import KERNEL_ENV_DEFAULTS
from tests.pipeline.trees import paint_block
from tests.throwaway import cli_env, run_cli

pytestmark = pytest.mark.slow

ALPHA = [
    ("markdown", "# Alpha", []),
    (
        "code",
        'n = 3  # number of points\nlabel = "alpha"  # chart title\noutput_dir = None',
        ["parameters"],
    ),
    (
        "code",
        'import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\n'
        "from analysis import paths",
        [],
    ),
    (
        "code",
        "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot(range(n))\nax.set_title(label)\n"
        'fig.savefig(paths.output_dir(output_dir) / "alpha.png")\nprint(f"{label}: {n} points")',
        [],
    ),
]
BETA = [
    ("markdown", "# Beta", []),
    ("code", "scale = 1.5  # multiplier\noutput_dir = None", ["parameters"]),
    (
        "code",
        "import os\nfrom analysis import paths\nout = paths.output_dir(output_dir)\n"
        'divisor = int(os.environ.get("PIPELINE_TEST_DIVISOR", "1"))',
        [],
    ),
    (
        "code",
        "rows = [(i, i * scale / divisor) for i in range(3)]\n"
        '(out / "beta.csv").write_text("".join(f"{i},{v}\\n" for i, v in rows))\n'
        'if os.environ.get("PIPELINE_TEST_EXTRA"):\n'
        '    (out / "extra.txt").write_text("extra\\n")\n'
        "rows",
        [],
    ),
]


def snapshot(project: Project) -> dict[str, bytes]:
    """Return the bytes of every canonical output (notebooks, figures, manifest)."""
    files = sorted(project.figures_dir.rglob("*")) + sorted(project.notebooks_dir.glob("*.ipynb"))
    return {project.rel(p): p.read_bytes() for p in files if p.is_file()}


@pytest.fixture(scope="module")
def project(throwaway) -> Project:
    """A throwaway project, shared by the tests of this module."""
    return throwaway({"01-alpha": ALPHA, "02-beta": BETA})


@pytest.fixture(scope="module")
def first_run(project: Project) -> tuple[pipeline.RunSummary, dict[str, bytes]]:
    """The first run of the throwaway project and the outputs it left."""
    lines: list[str] = []
    summary = pipeline.run_notebooks(project, log=lines.append)
    return summary, snapshot(project)


def up_to_date(project: Project) -> dict[str, bytes]:
    """Bring the project up to date (usually a no-op) and return its outputs."""
    summary = pipeline.run_notebooks(project, log=lambda line: None)
    assert summary.ok
    return snapshot(project)


def test_run_writes_figures_and_clean_notebooks(project, first_run):
    """A first run executes both notebooks, writes their files, a manifest and clean notebooks."""
    summary, files = first_run
    assert [(o.notebook, o.status) for o in summary.outcomes] == [
        ("01-alpha", "ran"),
        ("02-beta", "ran"),
    ]
    assert files["figures/alpha.png"].startswith(b"\x89PNG")
    assert files["figures/beta.csv"] == b"0,0.0\n1,1.5\n2,3.0\n"
    nb = nbformat.reads(files["notebooks/01-alpha.ipynb"].decode(), as_version=4)
    assert "papermill" not in nb.metadata
    assert [c.metadata.get("tags", []) for c in nb.cells][1] == ["parameters"]
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert all("papermill" not in c.metadata and "execution" not in c.metadata for c in nb.cells)
    assert nb.cells[3].outputs[0]["text"] == "alpha: 3 points\n"
    assert nb.cells[3].execution_count == 3
    assert files["notebooks/01-alpha.ipynb"].endswith(b"}\n")
    manifest = json.loads(files["figures/MANIFEST.json"])
    assert set(manifest["notebooks"]["01-alpha"]["outputs"]) == {
        "figures/alpha.png",
        "notebooks/01-alpha.ipynb",
    }
    text = files["figures/MANIFEST.json"].decode()
    assert text == json.dumps(manifest, sort_keys=True, indent=2) + "\n"
    assert not project.runs_dir.exists()  # staging cleaned up


def test_forced_rerun_is_byte_identical(project, first_run):
    """A forced sequential re-run gives the same bytes."""
    _, before = first_run
    summary = pipeline.run_notebooks(project, force=True, jobs=1, log=lambda line: None)
    assert summary.count("ran") == 2
    assert snapshot(project) == before


def test_second_run_skips(project, limits):
    """With nothing changed every notebook is skipped, in less time than the import floor."""
    up_to_date(project)
    lines: list[str] = []
    began = time.perf_counter()
    summary = pipeline.run_notebooks(project, log=lines.append)
    assert time.perf_counter() - began < limits(1)
    assert summary.count("skipped") == 2
    assert lines == ["skip  01-alpha: inputs unchanged", "skip  02-beta: inputs unchanged"]


@pytest.fixture
def no_execution(monkeypatch):
    """Make any attempt to execute a notebook fail the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel was about to start")

    monkeypatch.setattr(runner, "_run_workers", forbidden)


def test_unknown_parameter_rejected_before_execution(project, first_run, no_execution):
    """An undeclared parameter is rejected, naming notebook, parameter and accepted names."""
    before = up_to_date(project)
    with pytest.raises(ParameterError) as caught:
        pipeline.run_notebooks(project, parameters={"points": 4}, force=True)
    message = str(caught.value)
    assert "01-alpha.ipynb" in message and "'points'" in message
    assert "n, label, output_dir" in message
    assert snapshot(project) == before and not project.runs_dir.exists()


def test_mistyped_parameter_rejected_before_execution(project, first_run, no_execution):
    """A value of the wrong type is rejected, naming the expected type and the value."""
    before = up_to_date(project)
    alpha = project.notebooks_dir / "01-alpha.ipynb"
    with pytest.raises(ParameterError) as caught:
        pipeline.run_notebooks(project, [alpha], parameters={"n": "many"})
    message = str(caught.value)
    assert "01-alpha.ipynb" in message and "'n'" in message
    assert "expects int" in message and "'many'" in message
    beta = project.notebooks_dir / "02-beta.ipynb"
    with pytest.raises(ParameterError, match="expects float"):
        pipeline.run_notebooks(project, [beta], parameters={"scale": True})
    assert snapshot(project) == before and not project.runs_dir.exists()


def test_parameter_parsing_and_defaults():
    """-p values are inferred like papermill; ints pass for floats; defaults are dropped."""
    assert [pipeline.parse_cli_value(v) for v in ("3", "1.5", "True", "None", "x")] == [
        3,
        1.5,
        True,
        None,
        "x",
    ]
    declared = {
        "n": pipeline.Parameter("n", "int", "3"),
        "scale": pipeline.Parameter("scale", "float", "1.5"),
        "out": pipeline.Parameter("out", None, "None"),
    }
    assert pipeline.validate_parameters("nb", declared, {"n": 3, "scale": 2}) == {"scale": 2.0}
    assert pipeline.validate_parameters("nb", declared, {"out": "x"}) == {"out": "x"}
    with pytest.raises(ParameterError, match="expects int"):
        pipeline.validate_parameters("nb", declared, {"n": True})


def test_non_default_parameters_go_to_runs_folder(project):
    """Non-default parameters write runs/<stem>-<hash>/ and leave canonical outputs alone."""
    before = up_to_date(project)
    alpha = project.notebooks_dir / "01-alpha.ipynb"
    summary = pipeline.run_notebooks(project, [alpha], {"n": 5}, log=lambda line: None)
    assert summary.ok and summary.count("ran") == 1
    folder = project.runs_dir / f"01-alpha-{pipeline.parameters_digest({'n': 5})}"
    assert (folder / "alpha.png").is_file()
    nb = nbformat.read(folder / "01-alpha.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "n = 5" in injected[0].source
    assert nb.metadata.papermill == {"parameters": {"n": 5}}
    assert "alpha: 5 points" in nb.cells[4].outputs[0]["text"]
    assert snapshot(project) == before
    again = pipeline.run_notebooks(project, [alpha], {"n": 5}, log=lambda line: None)
    assert again.count("skipped") == 1


def test_failure_names_cell_and_keeps_outputs(project, monkeypatch):
    """A failing cell is reported by index and exception; earlier outputs stay byte-identical."""
    before = up_to_date(project)
    monkeypatch.setenv("PIPELINE_TEST_DIVISOR", "0")
    beta = project.notebooks_dir / "02-beta.ipynb"
    lines: list[str] = []
    summary = pipeline.run_notebooks(project, [beta], force=True, log=lines.append)
    assert not summary.ok
    outcome = summary.outcomes[0]
    assert outcome.status == "failed"
    assert "cell 3" in outcome.message and "ZeroDivisionError" in outcome.message
    assert outcome.failed_notebook == project.failed_dir / "02-beta.ipynb"
    failed = nbformat.read(outcome.failed_notebook, as_version=4)
    errors = [o.get("ename") for c in failed.cells for o in c.get("outputs", [])]
    assert "ZeroDivisionError" in errors
    assert any(line.startswith("FAIL  02-beta") and "cell 3" in line for line in lines)
    assert snapshot(project) == before
    assert not project.staging_root.exists()


def test_failure_with_parameters_names_source_cell(project, monkeypatch):
    """With injected parameters the failing cell is still named by its index in the source."""
    before = up_to_date(project)
    monkeypatch.setenv("PIPELINE_TEST_DIVISOR", "0")
    beta = project.notebooks_dir / "02-beta.ipynb"
    summary = pipeline.run_notebooks(project, [beta], {"scale": 2}, log=lambda line: None)
    assert summary.outcomes[0].status == "failed"
    assert summary.outcomes[0].message.startswith("cell 3 (In [4]) raised ZeroDivisionError")
    assert snapshot(project) == before


def test_stale_output_is_removed(project, monkeypatch):
    """An output a notebook no longer produces is deleted from figures/ and the manifest."""
    up_to_date(project)
    beta = project.notebooks_dir / "02-beta.ipynb"
    monkeypatch.setenv("PIPELINE_TEST_EXTRA", "1")
    pipeline.run_notebooks(project, [beta], force=True, log=lambda line: None)
    assert (project.figures_dir / "extra.txt").is_file()
    monkeypatch.delenv("PIPELINE_TEST_EXTRA")
    lines: list[str] = []
    pipeline.run_notebooks(project, [beta], force=True, log=lines.append)
    assert not (project.figures_dir / "extra.txt").exists()
    assert "removed figures/extra.txt (no longer produced by 02-beta)" in lines
    manifest = pipeline.load_manifest(project.manifest)
    assert "figures/extra.txt" not in manifest.notebooks["02-beta"].outputs


def test_change_in_notebook_code_reruns(project):
    """Changing a module the notebooks import re-runs them and says why.

    A new module that none of them imports does not.
    """
    up_to_date(project)
    (project.root / "analysis" / "dataset" / "helpers.py").write_text('"""Added by a test."""\n')
    assert pipeline.run_notebooks(project, log=lambda line: None).count("skipped") == 2
    with open(project.root / "analysis" / "paths.py", "a", encoding="utf-8") as handle:
        handle.write("# edited by a test\n")
    lines: list[str] = []
    summary = pipeline.run_notebooks(project, log=lines.append)
    assert summary.count("ran") == 2
    assert any(line.startswith("start 01-alpha (package code it imports") for line in lines)
    assert pipeline.run_notebooks(project, log=lambda line: None).count("skipped") == 2


def test_a_notebooks_code_is_what_its_imports_reach():
    """In the real notebooks, a module or spec is an input of those whose imports reach it.

    The statistics tables reach only 02 and 03; the claims spec only 06 (the one notebook that
    imports the claims layer); the pipeline and the site none; the chart theme all six.
    """
    from analysis.pipeline.imports import notebook_code

    real = pipeline.Project.default()
    code = {
        nb.stem: {p.relative_to(real.root).as_posix()
                  for p in notebook_code(real.package_dir, nb, real.module_data)}
        for nb in pipeline.discover_notebooks(real)
    }
    users = {name: sorted(stem for stem, files in code.items() if name in files)
             for name in ("analysis/stats/tables.py", "data/claims.yaml",
                          "analysis/pipeline/runner.py", "analysis/site/viewer.py",
                          "analysis/charts/theme.py")}
    assert users["analysis/stats/tables.py"] == ["02-police-victims", "03-justice"]
    assert users["data/claims.yaml"] == ["06-claims"]
    assert users["analysis/pipeline/runner.py"] == users["analysis/site/viewer.py"] == []
    assert len(users["analysis/charts/theme.py"]) == 6


def test_change_in_cli_or_pipeline_does_not_rerun(project):
    """The command line and the pipeline are not notebook inputs: editing them skips all."""
    up_to_date(project)
    for name in ("cli.py", "pipeline/runner.py"):
        with open(project.root / "analysis" / name, "a", encoding="utf-8") as handle:
            handle.write("# edited by a test\n")
    summary = pipeline.run_notebooks(project, log=lambda line: None)
    assert summary.count("skipped") == 2


def test_verify_passes_then_grades_altered_files(project):
    """The --exact contract on the machine that made the outputs; altered files are graded.

    Every output is byte-identical. Then, in the committed tree, beta.csv's 1.5 becomes the
    next float (a change in the 17th significant digit: within tolerance) and a block of
    alpha.png is painted over (differs, its pixels named): the verdict is partially
    reproduced, and --exact fails.
    """
    up_to_date(project)
    result = pipeline.verify(project, log=lambda line: None, exact=True)
    verdict = result.verdict()
    assert verdict.ok, [(c.rel, c.grade, c.summary) for c in result.comparisons]
    assert verdict.label is pipeline.Label.REPRODUCED
    assert "figures/alpha.png" in result.identical
    assert "data/processed/table.csv" in result.identical
    assert result.identical == [c.rel for c in result.comparisons]
    assert result.verdict_line().startswith("verdict (--exact): reproduced byte for byte")
    table, figure = project.figures_dir / "beta.csv", project.figures_dir / "alpha.png"
    originals = {path: path.read_bytes() for path in (table, figure)}
    assert b"1,1.5\n" in originals[table]
    next_float = f"1,{math.nextafter(1.5, 2)}\n".encode()  # 1.5000000000000002
    table.write_bytes(originals[table].replace(b"1,1.5\n", next_float))
    paint_block(figure, 10, 10)
    try:
        result = pipeline.verify(project, log=lambda line: None)
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
    assert result.differ == ["figures/alpha.png", "figures/beta.csv"]
    assert not result.missing and not result.extra
    grades = {c.rel: c for c in result.comparisons if c.rel in result.differ}
    beta, alpha = grades["figures/beta.csv"], grades["figures/alpha.png"]
    assert beta.grade is pipeline.Grade.WITHIN_TOLERANCE
    # beta.csv has no header: its first line is read as one, its first column is the key.
    assert [d.where for d in beta.differences] == ["row 0=1, column 0.0"]
    assert alpha.grade is pipeline.Grade.DIFFERS
    assert alpha.differences[0].where == "pixels x 10-29, y 10-29"
    assert result.verdict().label is pipeline.Label.PARTIAL and not result.verdict().ok
    assert not dataclasses.replace(result, exact=True).verdict().ok
    assert result.verdict_line().startswith("verdict: partially reproduced under CPython ")


def test_each_notebook_gets_a_fresh_kernel(throwaway):
    """No state leaks from one notebook to the next: names, working directory, counts."""
    project = throwaway({
        "01-alpha": [("code", "leak = 42  # left behind\noutput_dir = None", ["parameters"]),
                     ("code", "import os\nos.chdir('/')", [])],
        "02-beta": [("code", "output_dir = None", ["parameters"]),
                    ("code", "import os\nfrom analysis import paths\n"
                     "print('leak' in dir(), os.getcwd().endswith('notebooks'))\n"
                     "print(paths.output_dir(output_dir).parent.name != 'figures')", [])],
    })
    summary = pipeline.run_notebooks(project, jobs=1, log=lambda line: None)
    assert summary.ok
    nb = nbformat.read(project.notebooks_dir / "02-beta.ipynb", as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2]
    assert nb.cells[1].outputs[0]["text"] == "False True\nTrue\n"


def test_sweep_runs_every_point_and_joins_their_csvs(project):
    """`--sweep scale=1,2` runs beta twice into runs/ and writes one summary table."""
    up_to_date(project)
    before = snapshot(project)
    beta = project.notebooks_dir / "02-beta.ipynb"
    sweep = pipeline.parse_sweep(["scale=1,2.5,1.0,2.5"], {})
    assert sweep.axes == (("scale", (1, 2.5, 1.0)),)  # 1 and 1.0 differ as text, not as runs
    summary, table = pipeline.run_sweep(project, beta, sweep, log=lambda line: None)
    assert summary.ok and summary.count("ran") == 2
    assert table.parent.parent == project.runs_dir
    assert table.parent.name.startswith("02-beta-sweep-")
    lines = table.read_text().splitlines()
    assert lines[0] == "scale,run,file,0,0.0"  # beta.csv has no header: its first row is one
    # beta.csv holds i, i * scale for i = 0, 1, 2 (computed here, not read from the code)
    values = [(line.split(",")[0], line.split(",")[-1]) for line in lines[1:]]
    assert values == [("1", str(i * 1.0)) for i in (1, 2)] + [("2.5", str(i * 2.5)) for i in (1, 2)]
    assert snapshot(project) == before  # canonical outputs untouched


def test_sweep_refuses_bad_points_before_any_kernel(project, no_execution):
    """An unknown name or a mistyped value in a sweep is refused before anything runs."""
    beta = project.notebooks_dir / "02-beta.ipynb"
    with pytest.raises(ParameterError, match="expects float"):
        pipeline.run_sweep(project, beta, pipeline.parse_sweep(["scale=1,abc"], {}))
    with pytest.raises(ParameterError, match="unknown parameter 'nope'"):
        pipeline.run_sweep(project, beta, pipeline.parse_sweep(["nope=1"], {}))
    with pytest.raises(ParameterError, match="given twice"):
        pipeline.parse_sweep(["scale=1", "scale=2"], {})


PROBE = (
    "import os, sys\n"
    "state = {'analysis imported': 'analysis' in sys.modules}\n"
    "import matplotlib, pandas as pd\n"
    "from analysis import paths\n"
    "state.update({\n"
    "    'cwd': os.getcwd(), 'argv': [os.path.basename(sys.argv[0]), sys.argv[1]],\n"
    "    'path': [p for p in sys.path if 'site-packages' not in p],\n"
    "    'env': sorted(k for k in os.environ if k != 'COMPENDIUM_OUTPUT_DIR'),\n"
    "    'ppid is parent': os.environ.get('JPY_PARENT_PID') == str(os.getppid()),\n"
    "    'max_columns': pd.get_option('display.max_columns'),\n"
    "    'backend': matplotlib.get_backend(), 'interactive': matplotlib.is_interactive(),\n"
    "    'shell': type(get_ipython()).__name__, 'hash seed': sys.flags.hash_randomization,\n"
    "    'paths module': paths.__file__, 'session leader': os.getsid(0) == os.getpid(),\n"
    "})\n"
    "for key, value in state.items():\n"
    "    print(key, '=', value)"
)


def test_a_forked_kernel_is_like_a_started_one(throwaway, tmp_path):
    """The pipeline's kernel (forked from the launcher) matches one jupyter_client starts.

    The same probe runs as a pipeline notebook and under papermill with a kernel started the
    usual way (``python -m ipykernel_launcher``), in the same folder and environment: where
    it imports from, its arguments, working folder, environment names, pandas' and
    matplotlib's settings chosen at import, the shell, the hash seed.
    """
    project = throwaway({"01-probe": [("code", "output_dir = None", ["parameters"]),
                                      ("code", PROBE, [])]})
    done = run_cli(project.root, "run")  # its package first on PYTHONPATH, as verify runs it
    assert done.returncode == 0, done.stdout + done.stderr
    forked = nbformat.read(project.notebooks_dir / "01-probe.ipynb", as_version=4)

    env = cli_env(project.root)  # as the run's kernels get it
    for name, value in KERNEL_ENV_DEFAULTS.items():
        env.setdefault(name, value)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env[paths.OUTPUT_DIR_ENV] = str(tmp_path / "out")
    (tmp_path / "out").mkdir()
    script = (
        "import papermill, sys\n"
        "papermill.execute_notebook(sys.argv[1], sys.argv[2], cwd=sys.argv[3], "
        "kernel_name='python3', progress_bar=False)\n"
    )
    started = tmp_path / "started.ipynb"
    subprocess.run([sys.executable, "-c", script, str(project.notebooks_dir / "01-probe.ipynb"),
                    str(started), str(project.notebooks_dir)], env=env, check=True,
                   capture_output=True, cwd=project.root)
    usual = nbformat.read(started, as_version=4)

    def printed(nb):
        lines = nb.cells[1].outputs[0]["text"].splitlines()
        return dict(line.split(" = ", 1) for line in lines)

    probe = printed(forked)
    assert probe["paths module"] == str(project.root / "analysis" / "paths.py")
    assert probe["max_columns"] == "20" and probe["shell"] == "ZMQInteractiveShell"
    assert probe["analysis imported"] == "False" and probe["session leader"] == "True"
    assert probe == printed(usual)
