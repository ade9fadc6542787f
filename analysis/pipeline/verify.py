"""Verification: re-run everything in a scratch copy and grade every output.

Each output is graded identical, equivalent, within tolerance or differs
(:mod:`analysis.pipeline.compare`, with the tolerances of ``replication.yaml``), and the re-run
gets one verdict (:mod:`analysis.pipeline.replication`): reproduced, reproduced within
tolerance, partially reproduced or not reproduced. ``exact`` keeps the byte-identical
contract. The environment of the re-run is compared with the one the manifest records.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from analysis import paths
from analysis.pipeline.compare_tables import compare_claims
from analysis.pipeline.environment import current_environment
from analysis.pipeline.manifest import load_manifest
from analysis.pipeline.project import COPY_IGNORE, Log, PipelineError, Project
from analysis.pipeline.replication import VerifyResult, environment_lines, recorded_environments
from analysis.pipeline.replication_spec import load_replication_spec

#: Outputs compared by :func:`verify`: (folder or file, glob, recursive).
VERIFY_OUTPUTS: tuple[tuple[str, str, bool], ...] = (
    ("data/processed", "*", True),
    ("data", "datapackage.json", False),
    ("notebooks", "*.ipynb", False),
    ("figures", "*", True),
)


class ReproductionError(PipelineError):
    """``extract`` or ``run`` failed in verify's scratch copy: a failure (exit 1), not misuse."""

    exit_code = 1


def _output_paths(root: Path) -> list[str]:
    """The outputs under ``root`` (:data:`VERIFY_OUTPUTS`), relative to it."""
    found: list[str] = []
    for folder, pattern, recursive in VERIFY_OUTPUTS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob(pattern) if recursive else base.glob(pattern):
            rel = path.relative_to(root)
            if path.is_file() and not any(
                part in ("__pycache__", ".ipynb_checkpoints") for part in rel.parts
            ):
                found.append(rel.as_posix())
    return found


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in COPY_IGNORE)


def copy_project(source: Path, target: Path) -> None:
    """Copy a project's files (as git sees them, else minus :data:`COPY_IGNORE`) to ``target``.

    With git, tracked and untracked-but-not-ignored files are copied; ``.git`` is not.
    """
    listed = None
    if (source / ".git").exists() and shutil.which("git"):
        completed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=source,
            capture_output=True,
        )
        if completed.returncode == 0:
            listed = [n for n in completed.stdout.decode("utf-8").split("\0") if n]
    if listed is None:
        shutil.copytree(
            source,
            target,
            symlinks=True,
            ignore=lambda folder, names: [n for n in names if _ignored(n)],
        )
        return
    target.mkdir(parents=True, exist_ok=True)
    for name in listed:
        origin = source / name
        if not (origin.is_file() or origin.is_symlink()) or any(
            _ignored(part) for part in Path(name).parts
        ):
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination, follow_symlinks=False)


def verify(
    project: Project,
    *,
    jobs: int | None = None,
    log: Log = print,
    keep: bool = False,
    exact: bool = False,
) -> VerifyResult:
    """Re-run extraction and every notebook in a scratch copy and grade every output.

    The project is copied to a temporary folder, its outputs (``data/processed/``,
    ``figures/``) are deleted there, then ``python -m analysis extract`` and
    ``python -m analysis run --force`` run in the copy (with the copy first on
    ``PYTHONPATH``, so that its ``analysis`` package and paths are used). Every output
    (``data/processed/*``, ``data/datapackage.json``, ``notebooks/*.ipynb``, ``figures/*``)
    is then graded against the working tree, which is never modified, with the tolerances of
    ``replication.yaml`` (:mod:`analysis.pipeline.compare`), and
    ``build/verify/index.html`` and ``build/verify/report.json`` are written. The first lines
    logged say how this environment differs from the recorded one.

    Args:
        project: The project to verify.
        jobs: Parallel notebooks in the re-run.
        log: Receives progress lines.
        keep: Keep the scratch copy (its path is logged).
        exact: Apply the byte-identical contract (``verify --exact``) to the verdict.

    Returns:
        Every output's grade, the claims, the environments and the reports written.

    Raises:
        PipelineError: ``replication.yaml`` is missing or malformed (before anything runs).
        ReproductionError: The extraction or the notebook run failed in the copy.
    """
    spec = load_replication_spec(project.root)
    committed = load_manifest(project.manifest)
    recorded = recorded_environments(committed)
    here = current_environment()
    for line in environment_lines(recorded, here):
        log(f"verify: {line}")
    scratch = Path(tempfile.mkdtemp(prefix="compendium-verify-"))
    copy = scratch / project.root.name
    try:
        copy_project(project.root, copy)
        _rerun(copy, jobs, log, keep)
        # Imported here, not at the top: numpy, PIL, matplotlib and nbdime cost seconds at
        # start-up, and every `run` imports this package; only verify needs them.
        from analysis.pipeline.compare import compare_output
        from analysis.pipeline.verify_report import write_verify_report

        names = sorted(set(_output_paths(project.root)) | set(_output_paths(copy)))
        rerun_manifest = load_manifest(copy / project.manifest.relative_to(project.root))
        current = next(
            (e.environment for e in rerun_manifest.notebooks.values() if e.environment), here
        )
        result = VerifyResult(
            comparisons=tuple(compare_output(rel, project.root, copy, spec) for rel in names),
            claims=compare_claims(project.root, copy, spec),
            recorded=recorded,
            current=current,
            spec=spec,
            exact=exact,
            figures={r.name: r.files for r in committed.records("figure")},
        )
        result.report, result.data = write_verify_report(
            result, project.root, copy, project.root / "build" / "verify"
        )
        return result
    finally:
        if keep:
            log(f"verify: scratch copy kept in {copy}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _rerun(copy: Path, jobs: int | None, log: Log, keep: bool) -> None:
    """Delete the copy's outputs, then run ``extract`` and ``run --force`` in it."""
    for folder in ("data/processed", "figures"):
        shutil.rmtree(copy / folder, ignore_errors=True)
        (copy / folder).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(copy)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.pop(paths.OUTPUT_DIR_ENV, None)
    commands = [["extract"], ["run", "--force"] + (["--jobs", str(jobs)] if jobs else [])]
    for command in commands:
        log(f"verify: python -m analysis {' '.join(command)} (in a scratch copy)")
        completed = subprocess.run([sys.executable, "-m", "analysis", *command], cwd=copy, env=env)
        if completed.returncode != 0:
            raise ReproductionError(
                f"verify: not reproduced: `python -m analysis {' '.join(command)}` failed in "
                f"the scratch copy (exit {completed.returncode})"
                + ("" if keep else "; use --keep to inspect the copy")
            )
