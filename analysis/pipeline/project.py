"""Project layout: where a compendium's notebooks, outputs and inputs live."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis import paths

#: Notebooks run by default (``notebooks/NN-topic.ipynb``).
NOTEBOOK_GLOB: str = "[0-9][0-9]-*.ipynb"
#: Version of the manifest layout.
MANIFEST_FORMAT: int = 1
#: Tag of the cell holding a notebook's default parameters.
PARAMETERS_TAG: str = "parameters"
#: Tag of the cell papermill inserts with non-default parameters.
INJECTED_TAG: str = "injected-parameters"
#: Tag of the marker cells papermill inserts into a failed notebook.
ERROR_TAG: str = "papermill-error-cell-tag"
#: Environment defaults given to every kernel (only when not already set) so that figure files
#: and set/dict orderings are the same from run to run.
KERNEL_ENV_DEFAULTS: Mapping[str, str] = {"SOURCE_DATE_EPOCH": "0", "PYTHONHASHSEED": "0"}
#: Names skipped when copying the project (verify, benchmark) without git.
COPY_IGNORE: tuple[str, ...] = (
    ".git",
    ".venv",
    ".venv-*",
    ".uv",
    "runs",
    "build",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "test-artifacts",
    "*.egg-info",
    "node_modules",
)

Log = Callable[[str], None]


class PipelineError(Exception):
    """A user-facing error: reported as one ``error:`` line without a traceback.

    Attributes:
        exit_code: The command's exit status (2: a usage error, refused before any kernel).
    """

    exit_code: int = 2


class ParameterError(PipelineError):
    """A parameter that a notebook does not declare, or one of the wrong type."""


class SaveError(PipelineError):
    """Finished outputs could not be moved into place (none of that notebook's were)."""

    exit_code = 1


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT, SIGTERM or SIGHUP).

    Attributes:
        signum: The signal.
        exit_code: ``128 + signum`` (130, 143, 129), as a shell reports a process killed by it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum


@dataclass(frozen=True)
class Project:
    """The folders and files of a compendium that the pipeline reads and writes.

    Attributes:
        root: The repository root; manifest paths are relative to it.
        notebooks_dir: Where the ``NN-topic.ipynb`` notebooks live.
        figures_dir: Canonical outputs of default-parameter runs.
        runs_dir: Parameterised runs, failed notebooks and staging (git-ignored).
        processed_dir: The processed data set (an input of every notebook).
        code: Folders and files of the package that notebooks use (their ``.py`` files are
            inputs of every notebook; :data:`analysis.paths.NOTEBOOK_CODE`).
        lock_files: The environment's lock files (inputs of every notebook).
        matplotlibrc: Optional ``matplotlibrc`` (an input when present).
        manifest: The manifest of canonical runs.
    """

    root: Path
    notebooks_dir: Path
    figures_dir: Path
    runs_dir: Path
    processed_dir: Path
    code: tuple[Path, ...]
    lock_files: tuple[Path, ...]
    matplotlibrc: Path
    manifest: Path

    @classmethod
    def default(cls) -> Project:
        """Return the real project, as laid out by :mod:`analysis.paths`."""
        return cls(
            root=paths.ROOT,
            notebooks_dir=paths.NOTEBOOKS_DIR,
            figures_dir=paths.FIGURES_DIR,
            runs_dir=paths.RUNS_DIR,
            processed_dir=paths.PROCESSED_DIR,
            code=paths.NOTEBOOK_CODE,
            lock_files=paths.LOCK_FILES,
            matplotlibrc=paths.MATPLOTLIBRC,
            manifest=paths.MANIFEST,
        )

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Project:
        """Return a project with the standard layout under ``root`` (e.g. a test folder)."""
        base = Path(root).resolve()
        default = cls.default()

        def moved(path: Path) -> Path:
            return base / Path(path).relative_to(default.root)

        return cls(
            root=base,
            code=tuple(moved(p) for p in default.code),
            lock_files=tuple(moved(p) for p in default.lock_files),
            **{
                name: moved(getattr(default, name))
                for name in (
                    "notebooks_dir",
                    "figures_dir",
                    "runs_dir",
                    "processed_dir",
                    "matplotlibrc",
                    "manifest",
                )
            },
        )

    @property
    def failed_dir(self) -> Path:
        """Where the executed notebook of a failed run is kept for inspection."""
        return self.runs_dir / "failed"

    @property
    def staging_root(self) -> Path:
        """Temporary folders for notebooks being executed (same filesystem as outputs)."""
        return self.runs_dir / ".staging"

    def rel(self, path: Path) -> str:
        """Return ``path`` relative to the root, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def discover_notebooks(project: Project) -> list[Path]:
    """Return the notebooks run by default (``notebooks/NN-*.ipynb``), sorted by name."""
    if not project.notebooks_dir.is_dir():
        return []
    return sorted(p for p in project.notebooks_dir.glob(NOTEBOOK_GLOB) if p.is_file())


def resolve_notebooks(project: Project, names: Sequence[str] | None) -> list[Path]:
    """Turn command-line notebook names into notebook paths.

    Args:
        project: The project.
        names: Paths (absolute or relative to the working directory), file names or stems of
            notebooks in ``project.notebooks_dir``; empty or ``None`` means all notebooks.

    Returns:
        The notebooks, in the order given (duplicates removed).

    Raises:
        PipelineError: A name matches no notebook of the project.
    """
    if not names:
        return discover_notebooks(project)
    found: list[Path] = []
    for name in names:
        candidates = [Path(name)]
        if not name.endswith(".ipynb"):
            candidates.append(Path(name + ".ipynb"))
        path = None
        for candidate in candidates:
            for option in (candidate, project.notebooks_dir / candidate.name):
                if option.is_file():
                    path = option.resolve()
                    break
            if path:
                break
        if path is None or path.parent != project.notebooks_dir.resolve():
            available = ", ".join(p.stem for p in discover_notebooks(project)) or "none"
            where = project.rel(project.notebooks_dir)
            raise PipelineError(f"no notebook {name!r} in {where}/ (available: {available})")
        if path not in found:
            found.append(path)
    return found
