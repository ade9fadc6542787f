"""Across environments, for real: the committed outputs verified under a second interpreter.

The machines (and CI) have pyenv interpreters besides the one the outputs were made with. This
test takes the newest one that the package declares support for (``requires-python``) and
that is not the running interpreter's minor version, builds a virtual environment for it the
way the Makefile does (the project's own uv from ``.uv/``, the universal, hash-checked
``requirements.lock``, wheels from uv's cache, nothing downloaded), and runs ``python -m
analysis verify`` once, in a copy of the project. It asserts the verdict *reproduced*, with
that interpreter named and the interpreter change listed first.

Another processor too: the run uses the processor's baseline code paths, as a machine without
AVX2 or AVX-512 would. NumPy's vectorised ``exp``/``log``/``power`` choose their code by
processor (``NPY_DISABLE_CPU_FEATURES`` turns off every dispatched feature this one has) and
so does OpenBLAS (``OPENBLAS_CORETYPE``, on x86-64). Two outputs once moved in their 15th
digit that way, between two machines (a GLM fit, a grid from ``numpy.geomspace``); they are
now computed one number at a time with :mod:`math`.

Locally the test skips when no such interpreter (or uv) is found; with ``CI`` set it fails.

Bytecode: the machines set ``PYTHONDONTWRITEBYTECODE=1``, under which every process would
compile pandas, matplotlib and statsmodels from source. Compiling the whole environment at
install (``UV_COMPILE_BYTECODE=1``) costs about 22 CPU-seconds; here the variable is unset for
the verify run instead, so that the first process to import a module writes its bytecode and
the others (kernels, workers) reuse it: only what the pipeline imports is compiled.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tomllib
from pathlib import Path

import pytest
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from analysis import paths
from analysis.pipeline import copy_project, load_manifest
from tests.prerequisites import require

pytestmark = pytest.mark.slow

UV = paths.ROOT / ".uv" / "bin" / "uv"


def baseline_processor_env() -> dict[str, str]:
    """Environment variables that make NumPy and OpenBLAS use their baseline code paths."""
    env = {"NPY_DISABLE_CPU_FEATURES": " ".join(
        feature for feature in __cpu_dispatch__ if __cpu_features__.get(feature))}
    if platform.machine() == "x86_64":
        env["OPENBLAS_CORETYPE"] = "Prescott"
    return env


def pyenv_root() -> Path | None:
    """Where pyenv keeps its interpreters (``$PYENV_ROOT``, ``pyenv root`` or ``~/.pyenv``)."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    try:
        completed = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
        return Path(completed.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        fallback = Path.home() / ".pyenv"
        return fallback if fallback.is_dir() else None


def other_interpreter() -> tuple[Version, Path] | None:
    """The newest pyenv interpreter the package supports, of another minor version."""
    declared = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    supported = SpecifierSet(declared["project"]["requires-python"])
    running = Version(platform.python_version())
    root = pyenv_root()
    found = []
    for folder in sorted((root / "versions").iterdir()) if root and (root / "versions").is_dir() \
            else []:
        try:
            version = Version(folder.name)
        except InvalidVersion:
            continue
        python = folder / "bin" / f"python{version.major}.{version.minor}"
        same_minor = (version.major, version.minor) == (running.major, running.minor)
        if version in supported and not same_minor and python.is_file():
            found.append((version, python))
    return max(found) if found else None


def test_committed_outputs_are_reproduced_under_another_interpreter(tmp_path: Path) -> None:
    """Under a second interpreter verify exits 0: reproduced, the interpreter named."""
    chosen = other_interpreter()
    require(chosen is not None,
            "no second interpreter within requires-python under $(pyenv root)/versions")
    require(UV.is_file(), f"{UV} missing: run `make venv` (the project's own uv)")
    assert chosen is not None
    version, python = chosen
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    for command in (
        [str(UV), "venv", "--quiet", "--python", str(python), str(venv)],
        [str(UV), "pip", "sync", "--quiet", "--python", str(venv / "bin" / "python"),
         "--require-hashes", str(paths.LOCK_FILE)],
    ):
        completed = subprocess.run(command, env=env, capture_output=True, text=True)
        assert completed.returncode == 0, completed.stderr
    project = tmp_path / "project"
    copy_project(paths.ROOT, project)
    run_env = {k: v for k, v in env.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", paths.OUTPUT_DIR_ENV)}
    run_env.update(baseline_processor_env())
    completed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "analysis", "verify", "--jobs", "2"],
        cwd=project, env=run_env, capture_output=True, text=True, timeout=900,
    )
    lines = completed.stdout.splitlines()
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    recorded = sorted({e.environment.python for e in load_manifest(paths.MANIFEST)
                       .notebooks.values() if e.environment})
    assert recorded and str(version) not in recorded
    notebooks = len(load_manifest(paths.MANIFEST).notebooks)
    assert lines[0].startswith(
        f"verify: environment: Python {', '.join(recorded)} → {version} (recorded for all "
        f"{notebooks} notebooks; this run: CPython {version} on "
    ), lines[0]
    assert lines[-1].startswith(
        f"verdict: reproduced under CPython {version} (outputs recorded under "
        f"{', '.join(recorded)}): "
    ), lines[-1]
    report = json.loads((project / "build" / "verify" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "reproduced" and report["ok"] is True
    assert report["environment"]["rerun"]["python"] == str(version)
    assert report["counts"]["differs"] == report["counts"]["within tolerance"] == 0
    figures = {s["group"]: s for s in report["shares"]}["figures"]
    assert figures["reproduced"] == figures["total"] > 0
    for output in report["outputs"]:
        if output["class"] == "equivalent":  # only what carries no results changed
            assert output["kind"] in ("notebook", "manifest"), output
