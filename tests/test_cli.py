"""Tests of the command line (python -m analysis).

Commands that act on a project run as ``python -m analysis`` in a throwaway compendium (its own
copy of the package, data and one small notebook; :mod:`tests.throwaway`). Tests of the
command line's own logic with a library function replaced (``run_notebooks``, ``verify``, the
extraction stage) call :func:`analysis.cli.main` in this process, on the real project, which
they never modify.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import types

import pytest

from analysis import cli, paths, pipeline
from analysis.dataset.source import ChecksumMismatchError
from analysis.pipeline.environment import Environment
from analysis.pipeline.replication import Comparison, Difference, Grade, RecordedEnvironment
from analysis.pipeline.replication_spec import load_replication_spec
from analysis.pipeline.verify import ReproductionError
from tests.throwaway import cli_env, run_cli

#: The module's `project` fixture runs a notebook in a kernel, and almost every test uses it.
pytestmark = pytest.mark.slow

NOTEBOOK = [
    ("code", 'n = 3  # number of points\nlabel = "demo"\noutput_dir = None', ["parameters"]),
    (
        "code",
        "import os\nfrom analysis import paths\n"
        'divisor = int(os.environ.get("PIPELINE_TEST_DIVISOR", "1"))',
        [],
    ),
    (
        "code",
        '(paths.output_dir(output_dir) / "demo.txt").write_text(f"{label} {n / divisor}\\n")\n'
        "print(n)",
        [],
    ),
]


@pytest.fixture(scope="module")
def project(throwaway) -> pipeline.Project:
    """A throwaway project with one notebook, run once."""
    project = throwaway({"01-demo": NOTEBOOK})
    done = run_cli(project.root, "run")
    assert done.returncode == 0, done.stdout + done.stderr
    return project


def outputs(project: pipeline.Project) -> dict[str, bytes]:
    """Return the bytes of the canonical outputs."""
    files = [*project.figures_dir.rglob("*"), *project.notebooks_dir.glob("*.ipynb")]
    return {str(p): p.read_bytes() for p in files if p.is_file()}


def test_unknown_parameter_exits_2_without_traceback(project):
    """An unknown -p name is a clear error (exit 2) naming notebook, name and accepted names."""
    done = run_cli(project.root, "run", "-p", "points", "4")
    assert done.returncode == 2
    assert "01-demo.ipynb" in done.stderr and "'points'" in done.stderr
    assert "n, label, output_dir" in done.stderr and "Traceback" not in done.stderr


def test_mistyped_parameter_exits_2(project):
    """A -p value of the wrong type names the expected type and the value."""
    done = run_cli(project.root, "run", "-p", "n", "many")
    assert done.returncode == 2
    assert "'n' expects int" in done.stderr and "'many'" in done.stderr


def test_parameter_file_and_precedence(monkeypatch, tmp_path):
    """-f reads YAML, -p values are inferred like papermill's and win over -f."""
    seen = {}

    def fake_run(project, notebooks, parameters, **kwargs):
        seen.update(parameters=parameters, notebooks=notebooks, **kwargs)
        return pipeline.RunSummary([], 0.0)

    monkeypatch.setattr(pipeline, "run_notebooks", fake_run)
    params = tmp_path / "params.yaml"
    params.write_text("conf_level: 0.8\nrate_method: wald\n")
    code = cli.main(["run", "02-police-victims", "-f", str(params), "-p", "conf_level", "0.9",
                     "--jobs", "1"])
    assert code == 0
    assert seen["parameters"] == {"conf_level": 0.9, "rate_method": "wald"}
    assert seen["notebooks"] == [paths.NOTEBOOKS_DIR / "02-police-victims.ipynb"]
    assert seen["jobs"] == 1 and seen["force"] is False


def test_unknown_notebook_exits_2(project):
    """Naming a notebook that does not exist lists the available ones."""
    done = run_cli(project.root, "run", "99-nope")
    assert done.returncode == 2 and "available: 01-demo" in done.stderr


def test_failure_exits_1_naming_cell_and_exception(project):
    """A failing notebook exits 1, names cell and exception, and keeps earlier outputs."""
    before = outputs(project)
    done = run_cli(project.root, "run", "--force", PIPELINE_TEST_DIVISOR="0")
    assert done.returncode == 1
    assert "cell 2 (In [3]) raised ZeroDivisionError: division by zero" in done.stderr
    assert "runs/failed/01-demo.ipynb" in done.stdout
    assert "ran 0, skipped 0, failed 1" in done.stdout
    assert outputs(project) == before


def test_noop_run_skips_without_heavy_imports(project):
    """`run` with everything up to date skips, says why, and imports no papermill or pandas."""
    script = textwrap.dedent(
        """
        import sys
        from analysis import cli
        code = cli.main(["run"])
        heavy = [m for m in ("papermill", "nbformat", "pandas", "matplotlib") if m in sys.modules]
        print("heavy:", heavy)
        sys.exit(code)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=cli_env(project.root), cwd=project.root)
    assert done.returncode == 0, done.stderr
    assert "skip  01-demo: inputs unchanged" in done.stdout
    assert "ran 0, skipped 1, failed 0" in done.stdout
    assert "heavy: []" in done.stdout


def test_list_shows_declared_parameters(project):
    """`list` prints each notebook with its parameters' type, default and help."""
    done = run_cli(project.root, "list")
    assert done.returncode == 0
    assert "notebooks/01-demo.ipynb" in done.stdout
    assert "    n: int = 3\n        number of points\n" in done.stdout
    assert "output_dir: any = None" in done.stdout


def test_list_shows_each_rule_of_a_real_notebook(capsys):
    """For the compendium's notebooks, `list 02` adds each parameter's meaning and range."""
    assert cli.main(["list", "02"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("notebooks/02-police-victims.ipynb\n")
    assert "    conf_level: float = 0.95\n        Confidence level" in out
    assert "Allowed: a number in (0, 1)." in out


def test_extract_calls_build_all(monkeypatch, capsys):
    """`extract` calls analysis.dataset.build.build_all (imported only when the command runs)."""
    calls = []
    fake = types.ModuleType("analysis.dataset.build")
    fake.build_all = lambda: calls.append(1) or {"table": paths.ROOT / "data/x.csv"}
    monkeypatch.setitem(sys.modules, "analysis.dataset.build", fake)
    assert cli.main(["extract"]) == 0
    assert calls == [1] and "wrote data/x.csv (table)" in capsys.readouterr().out


def test_extract_missing_is_a_clear_error(monkeypatch, capsys):
    """Without an extraction module `extract` fails with a message, not a traceback."""
    monkeypatch.setitem(sys.modules, "analysis.dataset.build", None)
    assert cli.main(["extract"]) == 1
    assert "extraction stage is not available" in capsys.readouterr().err


def _graded(*comparisons: Comparison) -> pipeline.VerifyResult:
    """A verify result with these comparisons, made under 3.11.7 and re-run under 3.13.0."""
    made = Environment("3.11.7", "CPython", "Linux x86_64 glibc 2.36", (("numpy", "2.4.6"),))
    rerun = dataclasses.replace(made, python="3.13.0")
    return pipeline.VerifyResult(
        comparisons=comparisons,
        claims=(),
        recorded=(RecordedEnvironment(made, ("01-demo",)),),
        current=rerun,
        spec=load_replication_spec(paths.ROOT),
    )


def test_verify_exit_status_follows_the_verdict(monkeypatch, capsys):
    """Exit 0 for reproduced (within tolerance), 1 otherwise; the verdict is the last line.

    The verdict names the interpreter; --exact fails on any output that is not identical.
    """
    identical = Comparison("figures/a.png", "image", Grade.IDENTICAL, "same bytes")
    equivalent = Comparison("notebooks/01-demo.ipynb", "notebook", Grade.EQUIVALENT,
                            "equal once metadata.language_info is dropped")
    close = Difference("row year=2014, column rate", "3.6729951158027414",
                       "3.6729951158027415", Grade.WITHIN_TOLERANCE, "relative difference 2.7e-17")
    within = Comparison("figures/b.csv", "table", Grade.WITHIN_TOLERANCE, "8 cells compared",
                        cells=8, differences=(close,), total_differences=1)
    changed = Difference("row year=2014, column victims", "746", "747", Grade.DIFFERS,
                         "difference +1")
    differs = Comparison("figures/c.csv", "table", Grade.DIFFERS, "8 cells compared", cells=8,
                         differences=(changed,), total_differences=1)
    cases = [
        ((identical, equivalent), [], 0, "verdict: reproduced under CPython 3.13.0 "
         "(outputs recorded under 3.11.7): 1 identical, 1 equivalent, 0 within tolerance, "
         "0 differ"),
        ((identical, within), [], 0, "verdict: reproduced within tolerance under CPython 3.13.0"),
        ((identical, within, differs), [], 1, "verdict: partially reproduced under CPython "
         "3.13.0 (outputs recorded under 3.11.7): reproduced: figures 1 of 1, tables 1 of 2; "),
        ((identical, equivalent), ["--exact"], 1, "verdict (--exact): not reproduced byte for "
         "byte under CPython 3.13.0 (outputs recorded under 3.11.7): 1 of 2 outputs"),
        ((identical,), ["--exact"], 0, "verdict (--exact): reproduced byte for byte"),
    ]
    for comparisons, options, code, last in cases:
        result = _graded(*comparisons)
        monkeypatch.setattr(
            pipeline, "verify", lambda *a, exact=False, result=result, **k: dataclasses.replace(
                result, exact=exact)
        )
        assert cli.main(["verify", *options]) == code, (comparisons, options)
        lines = capsys.readouterr().out.splitlines()
        assert lines[-1].startswith(last), lines[-1]
    result = _graded(identical, within, differs)
    monkeypatch.setattr(pipeline, "verify", lambda *a, **k: result)
    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "differs: figures/c.csv: 8 cells compared" in out
    assert "  figures/c.csv: row year=2014, column victims: 746 → 747 (difference +1)" in out
    assert "  figures/b.csv: row year=2014, column rate: 3.6729951158027414 → " \
        "3.6729951158027415 (relative difference 2.7e-17)" in out
    assert not any("figures/a.png" in line for line in out)  # identical: not listed


def test_verify_rerun_failure_is_one_error_line_exit_1(monkeypatch, capsys):
    """A re-run that fails in the scratch copy exits 1 (not 2) with one error line."""
    def failing(*args, **kwargs):
        raise ReproductionError("verify: `python -m analysis extract` failed (exit 1)")

    monkeypatch.setattr(pipeline, "verify", failing)
    assert cli.main(["verify"]) == 1
    err = capsys.readouterr().err
    assert err == "error: verify: `python -m analysis extract` failed (exit 1)\n"
    assert cli.main(["--verbose", "verify"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_bad_jobs_is_a_usage_error(capsys):
    """--jobs must be a positive whole number (argparse exits 2)."""
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", "--jobs", "0"])
    assert caught.value.code == 2


def test_tampered_statistics_refused_before_any_kernel(project):
    """A hand-edited value (746 -> 1746) stops `run` with exit 1 before anything executes."""
    table = project.processed_dir / "report_statistics.csv"
    text = table.read_text()
    table.write_text(text.replace(",2014,,746,", ",2014,,1746,", 1))
    try:
        done = run_cli(project.root, "run", "--force")
    finally:
        table.write_text(text)
    assert done.returncode == 1
    edited = next(n for n, line in enumerate(text.splitlines(), 1) if ",2014,,746," in line)
    assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
    assert f"report_statistics.csv: row {edited} " in done.stderr
    assert "column value" in done.stderr
    assert "'1746'" in done.stderr and "'746'" in done.stderr
    assert "start" not in done.stdout


def test_missing_statistics_refused_before_any_kernel(project):
    """Without the statistics table `run` names it and stops (exit 1); nothing executes."""
    table = project.processed_dir / "report_statistics.csv"
    kept = table.read_bytes()
    table.unlink()
    try:
        done = run_cli(project.root, "run", "--force")
    finally:
        table.write_bytes(kept)
    assert done.returncode == 1 and done.stderr.count("error:") == 1
    assert "report_statistics.csv" in done.stderr and "start" not in done.stdout


def test_extract_errors_are_one_line_unless_verbose(monkeypatch, capsys):
    """A checksum mismatch from `extract` is one error line (exit 1); --verbose adds the trace."""
    def build_all():
        raise ChecksumMismatchError("data/raw/report.txt: SHA-256 is 00, expected 11")

    fake = types.ModuleType("analysis.dataset.build")
    fake.build_all = build_all
    monkeypatch.setitem(sys.modules, "analysis.dataset.build", fake)
    assert cli.main(["extract"]) == 1
    err = capsys.readouterr().err
    assert err == "error: data/raw/report.txt: SHA-256 is 00, expected 11\n"
    assert cli.main(["--verbose", "extract"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("expected 11")


def test_output_dir_is_not_a_parameter_of_the_compendium(capsys):
    """The notebooks no longer take output_dir: `-p output_dir ../figures` is unknown, exit 2."""
    assert cli.main(["run", "02", "--force", "-p", "output_dir", "../figures"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "unknown parameter 'output_dir'" in err


def test_a_value_outside_its_rule_is_refused_before_any_kernel(capsys, monkeypatch):
    """`run 02-police-victims -p conf_level 1.5`: one error line, exit 2, no worker started."""
    from analysis.pipeline import runner

    def forbidden(*args, **kwargs):
        raise AssertionError("a worker was started")

    monkeypatch.setattr(runner, "_run_workers", forbidden)
    assert cli.main(["run", "02-police-victims", "--force", "-p", "conf_level", "1.5"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: 02-police-victims.ipynb: parameter 'conf_level' = 1.5 is out of "
                   "range: a number in (0, 1)\n")
