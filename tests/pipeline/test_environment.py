"""The environment record: what the manifest records per run, and what `run` says about it.

Expected values come from the interpreter itself (:mod:`platform`, :mod:`importlib.metadata`)
or are typed here; no notebook is executed (planning only, on a throwaway project).
"""

from __future__ import annotations

import dataclasses
import json
import platform
from importlib import metadata

import pytest

from analysis import paths, pipeline
from analysis.io import sha256_file
from analysis.pipeline.environment import (
    RECORDED_PACKAGES,
    Environment,
    current_environment,
    environment_changes,
)
from analysis.pipeline.manifest import Manifest, ManifestEntry, load_manifest
from analysis.pipeline.project import MANIFEST_FORMAT

RECORDED = Environment(
    "3.11.7", "CPython", "Linux x86_64 glibc 2.36",
    (("matplotlib", "3.11.2"), ("numpy", "2.4.6"), ("pandas", "3.1.1")),
)


def test_current_environment_is_this_interpreter_and_its_packages():
    """Interpreter version, implementation and each recorded package's installed version."""
    env = current_environment()
    assert env.python == platform.python_version()
    assert env.implementation == platform.python_implementation()
    assert env.platform.startswith(f"{platform.system()} {platform.machine()}")
    assert dict(env.packages) == {name: metadata.version(name) for name in RECORDED_PACKAGES}
    assert [name for name, _ in env.packages] == sorted(RECORDED_PACKAGES)
    for name in ("numpy", "pandas", "matplotlib", "statsmodels", "scipy", "seaborn",
                 "nbconvert", "nbformat"):
        assert name in RECORDED_PACKAGES  # the ones the issue names as shaping outputs


def test_changes_name_the_interpreter_first_then_platform_and_packages():
    """`Python 3.11.7 → 3.13.0` first; a package only when its version differs."""
    assert environment_changes(RECORDED, RECORDED) == ()
    other = dataclasses.replace(
        RECORDED,
        python="3.13.0",
        platform="Linux aarch64 glibc 2.39",
        packages=(("matplotlib", "3.11.2"), ("numpy", "2.4.7"), ("scipy", "1.17.1")),
    )
    assert environment_changes(RECORDED, other) == (
        "Python 3.11.7 → 3.13.0",
        "platform Linux x86_64 glibc 2.36 → Linux aarch64 glibc 2.39",
        "numpy 2.4.6 → 2.4.7",
        "pandas 3.1.1 → not installed",
        "scipy not installed → 1.17.1",
    )
    pypy = dataclasses.replace(RECORDED, implementation="PyPy", python="3.11.9")
    assert environment_changes(RECORDED, pypy)[0] == "interpreter CPython 3.11.7 → PyPy 3.11.9"


def test_manifest_round_trip_keeps_the_environment_and_is_byte_stable(tmp_path):
    """An entry's environment is written as its own section, read back equal, same bytes."""
    entry = ManifestEntry("notebooks/01-demo.ipynb", {}, {"code": "a" * 64},
                          {"figures/x.csv": "b" * 64}, environment=RECORDED)
    manifest = Manifest(tmp_path / "MANIFEST.json", {"01-demo": entry})
    manifest.save()
    data = json.loads(manifest.path.read_text(encoding="utf-8"))
    assert data["notebooks"]["01-demo"]["environment"] == {
        "implementation": "CPython",
        "packages": {"matplotlib": "3.11.2", "numpy": "2.4.6", "pandas": "3.1.1"},
        "platform": "Linux x86_64 glibc 2.36",
        "python": "3.11.7",
    }
    again = load_manifest(manifest.path)
    assert again.notebooks["01-demo"] == entry
    assert again.to_bytes() == manifest.to_bytes() == manifest.path.read_bytes()


def test_an_entry_without_environment_still_reads_and_a_bad_one_is_refused(tmp_path):
    """An entry without environment reads (None); a malformed one is the manifest error."""
    path = tmp_path / "MANIFEST.json"
    entry = {"notebook": "notebooks/01-demo.ipynb", "parameters": {}, "inputs": {},
             "outputs": {}, "declared": {}}
    path.write_text(json.dumps({"format": MANIFEST_FORMAT, "notebooks": {"01-demo": entry}}))
    assert load_manifest(path).notebooks["01-demo"].environment is None
    bad = {**entry, "environment": {"python": 3.11}}
    path.write_text(json.dumps({"format": MANIFEST_FORMAT, "notebooks": {"01-demo": bad}}))
    with pytest.raises(pipeline.PipelineError, match="entry '01-demo' is not a manifest entry"):
        load_manifest(path)


def test_committed_manifest_records_each_run_environment():
    """figures/MANIFEST.json records an environment for every notebook's run."""
    manifest = load_manifest(paths.MANIFEST)
    assert manifest.notebooks
    for stem, entry in manifest.notebooks.items():
        assert entry.environment is not None, stem
        assert set(dict(entry.environment.packages)) == set(RECORDED_PACKAGES), stem


@pytest.fixture
def project(throwaway) -> pipeline.Project:
    """One notebook whose manifest entry says its outputs are up to date."""
    project = throwaway({"01-demo": [("code", "output_dir = None", ["parameters"])]})
    project.figures_dir.mkdir()
    (project.figures_dir / "demo.csv").write_text("a\n1\n")
    return project


def _record(project: pipeline.Project, environment: Environment | None) -> None:
    """Write the manifest entry of an up-to-date run made in ``environment``."""
    (task,) = pipeline.plan(project, pipeline.discover_notebooks(project))
    outputs = {"figures/demo.csv": sha256_file(project.figures_dir / "demo.csv")}
    entry = ManifestEntry("notebooks/01-demo.ipynb", {}, dict(task.inputs), outputs,
                          environment=environment)
    Manifest(project.manifest, {"01-demo": entry}).save()


def test_an_interpreter_change_alone_skips_the_notebook_and_says_so(project):
    """Decided: the environment is recorded, not an input; `run` names the change.

    A run made under another Python is skipped, and the skip line names the change and what
    to do about it; --force runs it, naming the change in its reason.
    """
    older = dataclasses.replace(current_environment(), python="3.10.0")
    _record(project, older)
    (task,) = pipeline.plan(project, pipeline.discover_notebooks(project))
    assert task.reason is None
    assert task.skip_reason.startswith(
        f"inputs unchanged (environment changed: Python 3.10.0 → {platform.python_version()}"
    )
    assert "`verify` grades what it changes, `run --force` re-runs" in task.skip_reason
    (forced,) = pipeline.plan(project, pipeline.discover_notebooks(project), force=True)
    assert forced.reason == (
        f"--force; environment changed: Python 3.10.0 → {platform.python_version()}"
    )
    assert forced.environment == current_environment()


def test_same_environment_skips_quietly_and_unrecorded_is_said(project):
    """The usual case says only "inputs unchanged"; an entry without a record says so."""
    _record(project, current_environment())
    (task,) = pipeline.plan(project, pipeline.discover_notebooks(project))
    assert task.skip_reason == "inputs unchanged"
    _record(project, None)
    (task,) = pipeline.plan(project, pipeline.discover_notebooks(project))
    assert "the environment of its recorded run is unknown" in task.skip_reason
