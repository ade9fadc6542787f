"""Verification: re-run everything in a scratch copy and compare every output."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.io import sha256_file
from analysis.pipeline.project import COPY_IGNORE, Log, PipelineError, Project

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


@dataclass
class VerifyResult:
    """The result of :func:`verify`.

    Attributes:
        identical: Outputs reproduced byte for byte.
        differ: Outputs whose reproduction has other bytes.
        missing: Files in the working tree that the re-run did not produce.
        extra: Files the re-run produced that the working tree lacks.
        report: The page showing how each output changed (``build/verify/index.html``),
            written only when something was not reproduced.
    """

    identical: list[str]
    differ: list[str]
    missing: list[str]
    extra: list[str]
    report: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether everything was reproduced exactly."""
        return not (self.differ or self.missing or self.extra)


def _output_digests(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder, pattern, recursive in VERIFY_OUTPUTS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob(pattern) if recursive else base.glob(pattern):
            rel = path.relative_to(root)
            if path.is_file() and not any(
                part in ("__pycache__", ".ipynb_checkpoints") for part in rel.parts
            ):
                found[rel.as_posix()] = sha256_file(path)
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


def _report_differences(project: Project, copy: Path, result: VerifyResult) -> Path | None:
    """Write the page showing what changed (or remove a stale one); return its path."""
    out_dir = project.root / "build" / "verify"
    if result.ok:
        (out_dir / "index.html").unlink(missing_ok=True)
        return None
    # Imported here, not at the top: matplotlib and nbdime cost seconds at start-up, and
    # every `run` imports this package; only a failed verify needs them.
    from analysis.pipeline.verify_report import write_verify_report

    return write_verify_report(
        project.root, copy, result.differ, out_dir, missing=result.missing, extra=result.extra
    )


def verify(
    project: Project,
    *,
    jobs: int | None = None,
    log: Log = print,
    keep: bool = False,
) -> VerifyResult:
    """Re-run extraction and every notebook in a scratch copy and compare all outputs.

    The project is copied to a temporary folder, its outputs (``data/processed/``,
    ``figures/``) are deleted there, then ``python -m analysis extract`` and
    ``python -m analysis run --force`` run in the copy (with the copy first on
    ``PYTHONPATH``, so that its ``analysis`` package and paths are used). The SHA-256 of every
    output (``data/processed/*``, ``data/datapackage.json``, ``notebooks/*.ipynb``,
    ``figures/*``) is compared with the working tree, which is never modified.

    Args:
        project: The project to verify.
        jobs: Parallel notebooks in the re-run.
        log: Receives progress lines.
        keep: Keep the scratch copy (its path is logged).

    Returns:
        Which outputs are identical, differ, are missing or are extra.

    Raises:
        ReproductionError: The extraction or the notebook run failed in the copy.
    """
    scratch = Path(tempfile.mkdtemp(prefix="compendium-verify-"))
    copy = scratch / project.root.name
    try:
        copy_project(project.root, copy)
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
            completed = subprocess.run(
                [sys.executable, "-m", "analysis", *command], cwd=copy, env=env
            )
            if completed.returncode != 0:
                raise ReproductionError(
                    f"verify: `python -m analysis {' '.join(command)}` failed in the scratch "
                    f"copy (exit {completed.returncode})"
                    + ("" if keep else "; use --keep to inspect the copy")
                )
        expected = _output_digests(project.root)
        produced = _output_digests(copy)
        result = VerifyResult(
            identical=sorted(k for k in expected if produced.get(k) == expected[k]),
            differ=sorted(k for k in expected if k in produced and produced[k] != expected[k]),
            missing=sorted(set(expected) - set(produced)),
            extra=sorted(set(produced) - set(expected)),
        )
        result.report = _report_differences(project, copy, result)
        return result
    finally:
        if keep:
            log(f"verify: scratch copy kept in {copy}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
