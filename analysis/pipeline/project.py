"""Project layout: where a compendium's notebooks, outputs and inputs live."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from analysis import paths

#: Notebooks run by default (``notebooks/NN-topic.ipynb``).
NOTEBOOK_GLOB: str = "[0-9][0-9]-*.ipynb"
#: Version of the manifest layout (2: entries record what each output is, ``declared``).
MANIFEST_FORMAT: int = 2
#: Tag of the cell holding a notebook's default parameters.
PARAMETERS_TAG: str = "parameters"
#: Tag of the cell papermill inserts with non-default parameters.
INJECTED_TAG: str = "injected-parameters"
#: Tag of the marker cells papermill inserts into a failed notebook.
ERROR_TAG: str = "papermill-error-cell-tag"
#: Environment defaults given to every kernel (only when not already set) so that figure files
#: and set/dict orderings are the same from run to run.
KERNEL_ENV_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {"SOURCE_DATE_EPOCH": "0", "PYTHONHASHSEED": "0"}
)
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


class NoSpaceError(PipelineError):
    """A filesystem the run writes to is full or over quota (``ENOSPC``, ``EDQUOT``).

    The first such error anywhere (a notebook's cell, its worker, staging, moving outputs
    into place) ends the run: no new notebook starts, running ones are stopped as a signal
    would stop them, and nothing is committed or kept in ``runs/failed/``. The message, built
    when it is printed (after the run removed its staging folder), names the path, the free
    space of its filesystem and roughly how much the run needs.

    Attributes:
        path: The file or folder that could not be written.
        needed: Roughly how many bytes the run needs (``None`` if not known).
        exit_code: 3.
    """

    exit_code = 3

    def __init__(self, path: str | os.PathLike[str], needed: int | None = None) -> None:
        super().__init__(str(path))
        self.path = Path(path)
        self.needed = needed

    def __str__(self) -> str:
        mount, free = filesystem_free(self.path)
        need = f"; the run needs roughly {format_size(self.needed)}" if self.needed else ""
        return (
            f"no space left on the filesystem of {self.path} (mounted at {mount}, "
            f"{format_size(free)} free now{need}); nothing was changed: free some space and "
            "run again"
        )


def filesystem_free(path: Path) -> tuple[Path, int]:
    """Return the mount point of ``path`` (or of its nearest existing folder) and its free bytes."""
    existing = Path(os.path.abspath(path))
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    existing = existing.resolve()
    mount = existing if existing.is_dir() else existing.parent
    while not os.path.ismount(mount):
        mount = mount.parent
    return mount, shutil.disk_usage(existing).free


def format_size(size: int) -> str:
    """Return a size for people: ``512`` -> ``"512 B"``, ``1536`` -> ``"1.5 KiB"``."""
    if size < 1024:
        return f"{size} B"
    value, unit = float(size) / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"


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
        package_dir: The package the notebooks import; the modules a notebook's imports reach
            are its inputs (:mod:`analysis.pipeline.imports`).
        module_data: Data files the package's modules read by default, by module
            (:data:`analysis.paths.MODULE_DATA`): inputs of the notebooks that reach them.
        lock_files: The environment's lock files (inputs of every notebook).
        manifest: The manifest of canonical runs.
    """

    root: Path
    notebooks_dir: Path
    figures_dir: Path
    runs_dir: Path
    processed_dir: Path
    package_dir: Path
    module_data: Mapping[str, tuple[Path, ...]]
    lock_files: tuple[Path, ...]
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
            package_dir=paths.PACKAGE_DIR,
            module_data=paths.MODULE_DATA,
            lock_files=paths.LOCK_FILES,
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
            module_data=MappingProxyType({
                module: tuple(moved(p) for p in files)
                for module, files in default.module_data.items()
            }),
            lock_files=tuple(moved(p) for p in default.lock_files),
            **{
                name: moved(getattr(default, name))
                for name in (
                    "notebooks_dir",
                    "figures_dir",
                    "runs_dir",
                    "processed_dir",
                    "package_dir",
                    "manifest",
                )
            },
        )

    @property
    def durations_file(self) -> Path:
        """Each notebook's wall time in its last run here, to start the longest first.

        Scheduling only, never an input or output: in the git-ignored ``build/``.
        """
        return self.root / "build" / "run-durations.json"

    @property
    def failed_dir(self) -> Path:
        """Where the executed notebook of a failed run is kept for inspection."""
        return self.runs_dir / "failed"

    @property
    def staging_root(self) -> Path:
        """Temporary folders for notebooks being executed (outputs may be on another filesystem)."""
        return self.runs_dir / ".staging"

    def rel(self, path: Path) -> str:
        """Return ``path`` relative to the root, with forward slashes.

        Symbolic links below the root are kept (``figures/`` may be a link to another
        filesystem: its files are still ``figures/...``); a path that only reaches the root
        through a link is resolved first; a path outside the root is returned whole.
        """
        for candidate in (Path(os.path.abspath(path)), Path(path).resolve()):
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                continue
        return Path(path).as_posix()


def discover_notebooks(project: Project) -> list[Path]:
    """Return the notebooks run by default (``notebooks/NN-*.ipynb``), sorted by name."""
    if not project.notebooks_dir.is_dir():
        return []
    return sorted(p for p in project.notebooks_dir.glob(NOTEBOOK_GLOB) if p.is_file())


def resolve_notebooks(project: Project, names: Sequence[str] | None) -> list[Path]:
    """Turn command-line notebook names into notebook paths.

    Args:
        project: The project.
        names: Paths (absolute or relative to the working directory), file names, stems or
            stem prefixes (``02`` for ``02-police-victims``) of notebooks in
            ``project.notebooks_dir``; empty or ``None`` means all notebooks.

    Returns:
        The notebooks, in the order given (duplicates removed).

    Raises:
        PipelineError: A name matches no notebook of the project, or is a prefix of several
            (the message lists them).
    """
    if not names:
        return discover_notebooks(project)
    found: list[Path] = []
    for name in names:
        path = _notebook_named(project, name)
        if path not in found:
            found.append(path)
    return found


def _notebook_named(project: Project, name: str) -> Path:
    """The notebook a command-line name means: a path, a file name, a stem or a stem prefix."""
    path = _notebook_file(project, name)
    if path is None and name and "/" not in name and not name.endswith(".ipynb"):
        matches = [p for p in discover_notebooks(project) if p.stem.startswith(name)]
        if len(matches) > 1:
            listed = ", ".join(p.stem for p in matches)
            raise PipelineError(f"notebook {name!r} matches several notebooks: {listed}")
        path = matches[0].resolve() if matches else None
    if path is None or path.parent != project.notebooks_dir.resolve():
        available = ", ".join(p.stem for p in discover_notebooks(project)) or "none"
        where = project.rel(project.notebooks_dir)
        raise PipelineError(f"no notebook {name!r} in {where}/ (available: {available})")
    return project.notebooks_dir / path.name  # as the project names it (links kept)


def _notebook_file(project: Project, name: str) -> Path | None:
    """The file ``name`` names as a path, a file name or a stem, if it exists."""
    candidates = [Path(name)]
    if not name.endswith(".ipynb"):
        candidates.append(Path(name + ".ipynb"))
    for candidate in candidates:
        for option in (candidate, project.notebooks_dir / candidate.name):
            if option.is_file():
                return option.resolve()
    return None
