"""Execute the compendium's notebooks with papermill: incrementally, in parallel, reproducibly.

The pipeline runs every ``notebooks/NN-topic.ipynb`` with :func:`papermill.execute_notebook`
inside worker processes forked from a forkserver (each kernel is a subprocess of its worker),
with the kernel's working directory set to the notebook's folder, the way nbval runs it. Each
worker launches the kernel itself (and hands it to papermill), so the kernel boots while
papermill is being imported, and a worker with more notebooks coming starts the next kernel
while the current notebook runs. Kernels get ``SOURCE_DATE_EPOCH=0`` and ``PYTHONHASHSEED=0``
unless those are set.

* Default parameters update the canonical executed notebook in place and its figure files in
  ``figures/``; any non-default parameter sends the executed notebook and its outputs to
  ``runs/<stem>-<hash>/`` and leaves the canonical files alone.
* A notebook writes its outputs to ``analysis.paths.output_dir(output_dir)``; the pipeline
  points that at a staging folder (environment variable
  :data:`analysis.paths.OUTPUT_DIR_ENV`) and moves the files into place with
  :func:`os.replace` only after the notebook succeeded.
* Executed notebooks are normalised (papermill's timestamps and nbclient's timings removed,
  streams coalesced, cell ids made deterministic) so that re-running gives the same bytes.
* ``figures/MANIFEST.json`` records, per notebook, the SHA-256 digests of its inputs and of its
  outputs; a notebook whose inputs and outputs are unchanged is skipped.

This module imports only the standard library at import time; papermill, nbformat and YAML
are imported when a notebook actually has to be inspected or executed, so a run in which
everything is skipped stays fast.
"""

from __future__ import annotations

import ast
import contextlib
import fnmatch
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.io import atomic_write, sha256_file

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
    """A user-facing error: reported as a message without a traceback."""


class ParameterError(PipelineError):
    """A parameter that a notebook does not declare, or one of the wrong type."""


# --------------------------------------------------------------------------------------------
# Project layout
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """The folders and files of a compendium that the pipeline reads and writes.

    Attributes:
        root: The repository root; manifest paths are relative to it.
        notebooks_dir: Where the ``NN-topic.ipynb`` notebooks live.
        figures_dir: Canonical outputs of default-parameter runs.
        runs_dir: Parameterised runs, failed notebooks and staging (git-ignored).
        processed_dir: The processed data set (an input of every notebook).
        analysis_dir: The analysis package (its ``.py`` files are inputs of every notebook).
        lock_file: ``requirements.lock`` (an input of every notebook).
        matplotlibrc: Optional ``matplotlibrc`` (an input when present).
        manifest: The manifest of canonical runs.
    """

    root: Path
    notebooks_dir: Path
    figures_dir: Path
    runs_dir: Path
    processed_dir: Path
    analysis_dir: Path
    lock_file: Path
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
            analysis_dir=Path(paths.__file__).resolve().parent,
            lock_file=paths.LOCK_FILE,
            matplotlibrc=paths.MATPLOTLIBRC,
            manifest=paths.MANIFEST,
        )

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Project:
        """Return a project with the standard layout under ``root`` (e.g. a test folder)."""
        base = Path(root).resolve()
        default = cls.default()
        return cls(
            root=base,
            **{
                name: base / Path(getattr(default, name)).relative_to(default.root)
                for name in (
                    "notebooks_dir",
                    "figures_dir",
                    "runs_dir",
                    "processed_dir",
                    "analysis_dir",
                    "lock_file",
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


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------

_NO_LITERAL = object()
_TYPES: dict[str, type] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
}


@dataclass(frozen=True)
class Parameter:
    """A parameter declared in a notebook's ``parameters`` cell.

    Attributes:
        name: The variable name.
        type_name: ``int``, ``float``, ``str``, ``bool``, ``list`` or ``dict``, from the
            annotation or else from the default's literal; ``None`` when unknown (a ``None``
            default or an expression), in which case any value is accepted.
        default: The default as written in the cell.
        help: The trailing comment.
    """

    name: str
    type_name: str | None
    default: str
    help: str = ""

    @property
    def default_value(self) -> Any:
        """The default's value when it is a literal, else a private sentinel."""
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _NO_LITERAL


def _type_from_annotation(annotation: str) -> str | None:
    text = annotation.replace(" ", "")
    if text.startswith("Optional[") and text.endswith("]"):
        text = text[len("Optional[") : -1]
    base = text.split("[", 1)[0].lower()
    return base if base in _TYPES else None


def _type_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, tuple):
        return "list"
    for name, kind in _TYPES.items():
        if isinstance(value, kind):
            return name
    return None


def declared_parameters(notebook: Path) -> dict[str, Parameter]:
    """Return the parameters a notebook declares, as :func:`papermill.inspect_notebook` sees them.

    Args:
        notebook: The notebook.

    Returns:
        The parameters by name, in the order of the ``parameters`` cell.
    """
    import papermill

    try:
        inspected = papermill.inspect_notebook(str(notebook))
    except Exception as exc:  # malformed notebook, unknown language, ...
        raise PipelineError(f"cannot inspect the parameters of {notebook}: {exc}") from None
    found: dict[str, Parameter] = {}
    for name, info in inspected.items():
        default = str(info.get("default", ""))
        type_name = _type_from_annotation(str(info.get("inferred_type_name") or ""))
        if type_name is None:
            value = Parameter(name, None, default).default_value
            type_name = None if value is _NO_LITERAL else _type_of(value)
        found[name] = Parameter(name, type_name, default, str(info.get("help") or ""))
    return found


def parse_cli_value(text: str) -> Any:
    """Parse a ``-p NAME VALUE`` value the way papermill's ``-p`` does.

    ``True``/``False``/``None`` become those constants, integers and floats become numbers, and
    anything else stays a string.
    """
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def load_parameter_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read parameters from a YAML file (a mapping of names to values).

    Raises:
        PipelineError: The file is missing, is not valid YAML or is not a mapping.
    """
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PipelineError(f"cannot read parameter file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PipelineError(f"parameter file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise PipelineError(f"parameter file {path} must be a mapping of names to values")
    return data


def validate_parameters(
    notebook: str, declared: Mapping[str, Parameter], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Check parameters against a notebook's declared ones and drop those equal to defaults.

    Args:
        notebook: The notebook's name, for messages.
        declared: Its declared parameters (:func:`declared_parameters`).
        given: The values requested.

    Returns:
        The non-default parameters, ints given for floats turned into floats.

    Raises:
        ParameterError: An undeclared name, or a value whose type differs from the default's.
    """
    effective: dict[str, Any] = {}
    for name, value in given.items():
        if name not in declared:
            accepted = ", ".join(declared) or "none (no cell tagged 'parameters')"
            raise ParameterError(
                f"{notebook}: unknown parameter {name!r}; accepted parameters: {accepted}"
            )
        spec = declared[name]
        expected = spec.type_name
        if expected is not None and value is not None:
            actual = _type_of(value)
            if expected == "float" and actual == "int":
                value = float(value)
            elif actual != expected:
                hint = (
                    " (lists and mappings go in a -f YAML file)"
                    if expected
                    in (
                        "list",
                        "dict",
                    )
                    else ""
                )
                raise ParameterError(
                    f"{notebook}: parameter {name!r} expects {expected} (default "
                    f"{spec.default}), got {actual or type(value).__name__} {value!r}{hint}"
                )
        if isinstance(value, tuple):
            value = list(value)
        default = spec.default_value
        if (
            default is not _NO_LITERAL
            and _type_of(default) == _type_of(value)
            and (default == value)
        ):
            continue
        effective[name] = value
    return effective


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parameters_digest(parameters: Mapping[str, Any], length: int = 12) -> str:
    """Return the short SHA-256 of the canonical JSON of ``parameters`` (names a run folder)."""
    return hashlib.sha256(canonical_json(dict(parameters)).encode("utf-8")).hexdigest()[:length]


def run_dir(project: Project, notebook: Path, parameters: Mapping[str, Any]) -> Path:
    """Return ``runs/<stem>-<hash>/``, the folder of a run with non-default parameters."""
    return project.runs_dir / f"{notebook.stem}-{parameters_digest(parameters)}"


# --------------------------------------------------------------------------------------------
# Hashing and manifest
# --------------------------------------------------------------------------------------------


def notebook_source_digest(path: Path) -> str:
    """Return the SHA-256 of a notebook's source: each cell's type, source and tags.

    Outputs, execution counts, metadata, cell ids and the cells papermill inserts
    (injected parameters, error markers) are left out, so executing a notebook in place does
    not change its digest.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read notebook {path}: {exc}") from None
    cells = []
    for cell in document.get("cells", []):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if INJECTED_TAG in tags or ERROR_TAG in tags:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append([cell.get("cell_type"), source, tags])
    return hashlib.sha256(canonical_json(cells).encode("utf-8")).hexdigest()


def files_digest(root: Path, files: Iterable[Path]) -> str | None:
    """Return one SHA-256 over ``(relative path, file digest)`` pairs; ``None`` if no file."""
    pairs = sorted((f.relative_to(root).as_posix(), sha256_file(f)) for f in files)
    if not pairs:
        return None
    return hashlib.sha256(canonical_json(pairs).encode("utf-8")).hexdigest()


def shared_input_digests(project: Project) -> dict[str, str | None]:
    """Digest the inputs common to every notebook, by group.

    Returns:
        ``{"analysis/": ..., "data/processed/": ..., "requirements.lock": ...,
        "matplotlibrc": ...}``; a group without files has ``None``.
    """
    analysis = [
        p
        for p in (project.analysis_dir.rglob("*.py") if project.analysis_dir.is_dir() else [])
        if "__pycache__" not in p.parts and p.is_file()
    ]
    processed = [
        p
        for p in (project.processed_dir.rglob("*") if project.processed_dir.is_dir() else [])
        if p.is_file() and "__pycache__" not in p.parts
    ]
    return {
        "analysis/": files_digest(project.analysis_dir, analysis),
        "data/processed/": files_digest(project.processed_dir, processed),
        "requirements.lock": (
            sha256_file(project.lock_file) if project.lock_file.is_file() else None
        ),
        "matplotlibrc": (
            sha256_file(project.matplotlibrc) if project.matplotlibrc.is_file() else None
        ),
    }


def load_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest, or return an empty one if the file is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        data = {"format": MANIFEST_FORMAT, "notebooks": {}}
    return data


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    """Write a manifest atomically: sorted keys, indent 2, trailing newline, no timestamps."""
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and move it into place."""
    atomic_write(path, data)


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


@dataclass
class Task:
    """One notebook to consider in a run.

    Attributes:
        notebook: The (canonical) notebook to execute.
        parameters: Its non-default parameters (empty for a canonical run).
        dest_dir: Where its output files go (``figures/`` or ``runs/<stem>-<hash>/``).
        notebook_out: Where its executed notebook goes.
        manifest_path: The manifest recording this run.
        inputs: Digests of its inputs, by group.
        reason: Why it runs, or ``None`` when it is skipped.
        skip_reason: Why it is skipped.
    """

    notebook: Path
    parameters: dict[str, Any]
    dest_dir: Path
    notebook_out: Path
    manifest_path: Path
    inputs: dict[str, str | None]
    reason: str | None = None
    skip_reason: str = ""

    @property
    def stem(self) -> str:
        """The notebook's name without ``.ipynb``."""
        return self.notebook.stem

    @property
    def canonical(self) -> bool:
        """Whether this is a default-parameter run (writes canonical outputs)."""
        return not self.parameters


_INPUT_LABELS = {
    "notebook": "notebook source changed",
    "parameters": "parameters changed",
    "analysis/": "analysis/ changed",
    "data/processed/": "data/processed/ changed",
    "requirements.lock": "requirements.lock changed",
    "matplotlibrc": "matplotlibrc changed",
}


def why_run(project: Project, entry: Mapping[str, Any] | None, inputs: Mapping[str, Any]) -> str:
    """Explain why a notebook must run; the empty string means it can be skipped.

    Args:
        project: The project (recorded output paths are relative to its root).
        entry: The notebook's manifest entry, if any.
        inputs: The current input digests.

    Returns:
        A reason such as ``"analysis/ changed"`` or ``"output figures/a.png missing"``.
    """
    if not entry:
        return "not in the manifest"
    recorded = entry.get("inputs", {})
    changed = [
        _INPUT_LABELS.get(key, f"{key} changed")
        for key in sorted(set(recorded) | set(inputs))
        if recorded.get(key) != inputs.get(key)
    ]
    if changed:
        return ", ".join(changed)
    outputs = entry.get("outputs") or {}
    if not outputs:
        return "no recorded outputs"
    for rel, digest in sorted(outputs.items()):
        path = project.root / rel
        if not path.is_file():
            return f"output {rel} missing"
        if sha256_file(path) != digest:
            return f"output {rel} changed"
    return ""


def plan(
    project: Project,
    notebooks: Sequence[Path],
    parameters: Mapping[str, Any] | None = None,
    *,
    force: bool = False,
) -> list[Task]:
    """Decide, for each notebook, where it writes and whether it must run.

    Parameters are validated (with :func:`declared_parameters`) before anything runs; with no
    parameters nothing heavy is imported.

    Args:
        project: The project.
        notebooks: The notebooks to consider.
        parameters: Requested parameters (the same for every notebook).
        force: Run even when inputs and outputs are unchanged.

    Returns:
        One task per notebook.

    Raises:
        ParameterError: A parameter is unknown to a notebook or has the wrong type.
    """
    requested = dict(parameters or {})
    shared = shared_input_digests(project)
    manifests: dict[Path, dict[str, Any]] = {}
    tasks = []
    declared = {nb: declared_parameters(nb) for nb in notebooks} if requested else {}
    for notebook in notebooks:
        effective = {}
        if requested:
            try:
                effective = validate_parameters(notebook.name, declared[notebook], requested)
            except ParameterError as error:
                unknown = [name for name in requested if name not in declared[notebook]]
                users = [nb.stem for nb in notebooks if unknown and unknown[0] in declared[nb]]
                if not users:
                    raise
                hint = f" (declared by {', '.join(users)}: select only those notebooks)"
                raise ParameterError(f"{error}{hint}") from None
        if effective:
            dest = run_dir(project, notebook, effective)
            manifest_path = dest / "MANIFEST.json"
        else:
            dest = project.figures_dir
            manifest_path = project.manifest
        notebook_out = (
            project.notebooks_dir / notebook.name if not effective else dest / notebook.name
        )
        inputs = {
            "notebook": notebook_source_digest(notebook),
            "parameters": hashlib.sha256(canonical_json(effective).encode()).hexdigest(),
            **shared,
        }
        task = Task(notebook, effective, dest, notebook_out, manifest_path, inputs)
        if manifest_path not in manifests:
            manifests[manifest_path] = load_manifest(manifest_path)
        entry = manifests[manifest_path]["notebooks"].get(notebook.stem)
        reason = why_run(project, entry, inputs)
        if force:
            task.reason = reason or "--force"
        elif reason:
            task.reason = reason
        else:
            task.skip_reason = "inputs unchanged"
        tasks.append(task)
    return tasks


# --------------------------------------------------------------------------------------------
# Execution (runs in worker processes, or in-process for a single notebook)
# --------------------------------------------------------------------------------------------

_BUSY = False
#: The kernel kept for this process's next notebook: {"km", "key", "cwd"} (see _claim_warm).
_WARM: dict[str, Any] | None = None
_KERNEL_MANAGER_CLASS: Any = None


def _worker_init() -> None:
    """Worker start-up: ignore terminal Ctrl-C; the parent interrupts a worker with SIGTERM."""
    import multiprocessing.util

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def on_term(signum: int, frame: Any) -> None:
        if _BUSY:
            raise KeyboardInterrupt
        _discard_warm()
        os._exit(130)

    signal.signal(signal.SIGTERM, on_term)
    multiprocessing.util.Finalize(None, _discard_warm, exitpriority=100)


def clean_notebook(nb: Any) -> Any:
    """Prepare a notebook for execution: drop stale outputs and papermill leftovers.

    Clears every code cell's outputs and execution count, removes papermill's and nbclient's
    metadata, papermill's error-marker cells and any injected-parameters cell (a canonical run
    has none; a parameterised run gets a fresh one from papermill), upgrades the format to
    4.5 and gives cells deterministic ids (``cell-<n>``) where they have none.

    Args:
        nb: An ``nbformat.NotebookNode`` (modified in place).

    Returns:
        ``nb``.
    """
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if ERROR_TAG in tags or INJECTED_TAG in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        nb.nbformat, nb.nbformat_minor = 4, 5
    _fix_cell_ids(nb)
    return nb


def _fix_cell_ids(nb: Any) -> None:
    seen: set[str] = set()
    errors = 0
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if INJECTED_TAG in tags:
            wanted = INJECTED_TAG
        elif ERROR_TAG in tags:
            errors += 1
            wanted = f"papermill-error-cell-{errors}"
        else:
            wanted = cell.get("id") or f"cell-{index}"
        while wanted in seen:
            wanted = f"{wanted}-{index}"
        seen.add(wanted)
        cell["id"] = wanted


def normalize_notebook(nb: Any, parameters: Mapping[str, Any] | None) -> Any:
    """Strip the volatile parts of an executed notebook so re-runs give identical bytes.

    Removes ``metadata.papermill`` (times, paths, environment) and each cell's
    ``metadata.papermill`` and ``metadata.execution``; keeps outputs, execution counts and the
    ``parameters``/``injected-parameters`` tags. A run with non-default parameters records
    them as ``metadata.papermill.parameters``. Cell ids are made deterministic.

    Args:
        nb: The executed ``nbformat.NotebookNode`` (modified in place).
        parameters: The non-default parameters, if any.

    Returns:
        ``nb``.
    """
    nb.metadata.pop("papermill", None)
    if parameters:
        nb.metadata["papermill"] = {"parameters": dict(parameters)}
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "tags" in cell.metadata and not cell.metadata["tags"]:
            del cell.metadata["tags"]  # papermill adds an empty list to every cell
    _fix_cell_ids(nb)
    return nb


def notebook_bytes(nb: Any) -> bytes:
    """Serialise a notebook with nbformat (sorted keys) and a trailing newline."""
    import nbformat

    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _kernel_manager_class() -> Any:
    """An ``AsyncKernelManager`` that remembers its clients, to close them after a run."""
    global _KERNEL_MANAGER_CLASS
    if _KERNEL_MANAGER_CLASS is None:
        from jupyter_client.manager import AsyncKernelManager

        class TrackingKernelManager(AsyncKernelManager):  # type: ignore[misc]
            def client(self, **kwargs: Any) -> Any:
                client = super().client(**kwargs)
                self.__dict__.setdefault("_compendium_clients", []).append(client)
                return client

        _KERNEL_MANAGER_CLASS = TrackingKernelManager
    return _KERNEL_MANAGER_CLASS


def _notebook_kernel_name(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            name = json.load(handle).get("metadata", {}).get("kernelspec", {}).get("name")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def _launch_kernel(
    kernel_name: str, cwd: str, env: Mapping[str, str], staging_root: Path, prefix: str
) -> tuple[Any, Path]:
    """Start a kernel whose outputs go to a new staging folder; return it and the folder.

    The kernel's working directory is ``cwd`` (the notebook's folder, as under nbval), its
    environment ``env`` plus :data:`analysis.paths.OUTPUT_DIR_ENV` pointing at
    ``<staging>/out``, and its own stdout/stderr go to ``<staging>/kernel.log``.
    """
    from jupyter_core.utils import run_sync

    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=prefix))
    (staging / "out").mkdir()
    kernel_env = dict(env)
    kernel_env[paths.OUTPUT_DIR_ENV] = str(staging / "out")
    km = _kernel_manager_class()(kernel_name=kernel_name)
    with open(staging / "kernel.log", "ab") as log:
        run_sync(km.start_kernel)(cwd=cwd, env=kernel_env, stdout=log, stderr=log)
    return km, staging


def _stop_kernel(km: Any) -> None:
    """Close a kernel's clients and kill it (every cell has run; nothing is left to flush)."""
    import asyncio

    from jupyter_core.utils import ensure_event_loop, run_sync

    # After an interruption nbclient leaves the cell's tasks pending on this thread's loop:
    # cancel them and collect their results quietly, or they report "Kernel died" later.
    loop = ensure_event_loop()
    pending = list(asyncio.all_tasks(loop))
    if pending:
        import logging

        for task in pending:
            task.cancel()
        papermill_log = logging.getLogger("papermill")
        disabled, papermill_log.disabled = papermill_log.disabled, True
        try:
            with contextlib.suppress(Exception):
                loop.run_until_complete(
                    asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 5)
                )
        finally:
            papermill_log.disabled = disabled
    for client in km.__dict__.pop("_compendium_clients", []):
        with contextlib.suppress(Exception):
            client.stop_channels()
    with contextlib.suppress(Exception):
        run_sync(km.shutdown_kernel)(now=True)


def _claim_warm(
    key: str, staging_root: Path, prefix: str
) -> tuple[Any, Path] | None:
    """Take the kernel kept for this worker's next notebook, if it suits this one.

    The kernel is the one the previous notebook ran on (same kernel name, folder and
    environment). Before it is handed over it is reset (see :func:`_reset_kernel`) and given a
    fresh staging folder, so the notebook starts as in a new kernel — except that the modules
    the previous notebook imported are already loaded, which is the point: importing pandas,
    matplotlib and statsmodels is most of a notebook's cost. nbval re-runs every notebook in a
    fresh kernel and compares its outputs with these, so any state that leaked would show.
    """
    global _WARM
    warm, _WARM = _WARM, None
    if warm is None:
        return None
    from jupyter_core.utils import run_sync

    alive = False
    with contextlib.suppress(Exception):
        alive = warm["key"] == key and bool(run_sync(warm["km"].is_alive)())
    if alive:
        staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=prefix))
        (staging / "out").mkdir()
        if _reset_kernel(warm["km"], warm["cwd"], staging / "out"):
            return warm["km"], staging
        shutil.rmtree(staging, ignore_errors=True)
    _stop_kernel(warm["km"])
    return None


def _reset_kernel(km: Any, cwd: str, out_dir: Path) -> bool:
    """Reset a used kernel to a fresh kernel's state, but for its loaded modules.

    Clears the user namespace and history (``%reset -f``), closes every figure, restores the
    working directory, points :data:`analysis.paths.OUTPUT_DIR_ENV` at the new staging folder,
    starts a new history session and restarts the execution counter at 1 (a new session, or
    IPython's history database refuses the repeated line numbers), all without output.

    Returns:
        Whether the kernel answered and the reset succeeded.
    """
    from jupyter_core.utils import run_sync

    code = (
        "get_ipython().run_line_magic('reset', '-f')\n"
        "import os as _os, sys as _sys\n"
        f"_os.chdir({cwd!r})\n"
        f"_os.environ[{paths.OUTPUT_DIR_ENV!r}] = {str(out_dir)!r}\n"
        "if 'matplotlib.pyplot' in _sys.modules:\n"
        "    _sys.modules['matplotlib.pyplot'].close('all')\n"
        "get_ipython().history_manager.reset(new_session=True)\n"
        "get_ipython().execution_count = 1\n"
        "del _os, _sys\n"
    )
    client = km.client()
    try:
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=60)
        reply = run_sync(client.execute_interactive)(
            code, silent=True, store_history=False, timeout=60
        )
        return reply.get("content", {}).get("status") == "ok"
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            client.stop_channels()


def _discard_warm() -> None:
    """Stop a kernel kept for a next notebook (end of a run, worker exit, interruption)."""
    global _WARM
    warm, _WARM = _WARM, None
    if warm is not None:
        _stop_kernel(warm["km"])


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    keep = [line for line in text.splitlines() if "without encryption" not in line]
    return "\n".join(keep[-lines:])


def execute(job: Mapping[str, Any]) -> dict[str, Any]:
    """Execute one notebook into a staging folder (the worker-process entry point).

    The kernel is started first (or the kernel the worker's previous notebook ran on is reset
    and taken, see :func:`_claim_warm`), then papermill is imported and runs the notebook on
    it with :func:`papermill.execute_notebook`; with ``prestart`` the kernel is kept, after a
    successful run, for the worker's next notebook.

    Args:
        job: ``notebook`` (path), ``staging_root`` (where staging folders go), ``parameters``
            (non-default ones, possibly empty), ``env`` (the kernel's environment), ``cwd``
            (the kernel's working directory) and ``prestart`` (another notebook follows: keep the
            kernel for it).

    Returns:
        ``staging`` (the folder used) and, on success, ``{"ok": True, "notebook": <staged
        executed notebook>, "notebook_sha": ..., "outputs": {relative path: sha256}}``; on
        failure ``{"ok": False, "cell_index", "exec_count", "ename", "evalue", "notebook" (or
        None), "detail"}``.
    """
    global _BUSY
    _BUSY = True
    try:
        return _execute(job)
    finally:
        _BUSY = False


def _execute(job: Mapping[str, Any]) -> dict[str, Any]:
    global _WARM
    notebook = Path(job["notebook"])
    parameters = dict(job["parameters"])
    cwd = str(job["cwd"])
    env = dict(job["env"])
    staging_root = Path(job["staging_root"])
    kernel_name = _notebook_kernel_name(notebook)
    key = canonical_json([kernel_name, cwd, sorted(env.items())])
    km = None
    try:
        if kernel_name:
            claimed = _claim_warm(key, staging_root, f"{notebook.stem}-")
            km, staging = claimed or _launch_kernel(
                kernel_name, cwd, env, staging_root, f"{notebook.stem}-"
            )
        else:  # papermill reports the missing kernel name
            staging_root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=f"{notebook.stem}-"))
            (staging / "out").mkdir()
    except Exception as error:  # e.g. no such kernel
        return {
            "ok": False,
            "cell_index": None,
            "exec_count": None,
            "ename": type(error).__name__,
            "evalue": str(error),
            "notebook": None,
            "detail": "",
        }
    keep = False
    try:
        result = _run_papermill(notebook, parameters, cwd, kernel_name, km, staging)
        # Keep the kernel for this worker's next notebook (see _claim_warm).
        keep = bool(kernel_name and job.get("prestart") and result.get("ok"))
    finally:
        if km is not None:
            if keep:
                _WARM = {"km": km, "key": key, "cwd": cwd}
            else:
                _stop_kernel(km)
    result["staging"] = str(staging)
    return result


def _run_papermill(
    notebook: Path,
    parameters: dict[str, Any],
    cwd: str,
    kernel_name: str | None,
    km: Any,
    staging: Path,
) -> dict[str, Any]:
    # Imported after the kernel was launched, so that the imports overlap its start-up.
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    out_dir = staging / "out"
    source = staging / "input.ipynb"
    raw = staging / "executed.ipynb"
    final = staging / notebook.name
    log = staging / "kernel.log"

    nb = clean_notebook(nbformat.read(notebook, as_version=4))
    source.write_bytes(notebook_bytes(nb))
    try:
        executed = papermill.execute_notebook(
            str(source),
            str(raw),
            parameters=parameters or None,
            kernel_name=kernel_name,
            # The kernel already runs in ``cwd`` (set when it was launched); papermill's
            # ``cwd`` is passed too, for kernels it would start itself.
            cwd=cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            # nbclient options: the kernel started above, no per-cell timings, streams
            # merged as nbval merges them.
            km=km,
            record_timing=False,
            coalesce_streams=True,
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as error:
        failed = None
        if raw.is_file():
            failed_nb = normalize_notebook(nbformat.read(raw, as_version=4), parameters)
            final.write_bytes(notebook_bytes(failed_nb))
            failed = str(final)
        index = error.cell_index
        if parameters and index is not None:
            index -= 1 if _injected_before(nb, index) else 0
        return {
            "ok": False,
            "cell_index": index,
            "exec_count": error.exec_count,
            "ename": error.ename,
            "evalue": error.evalue,
            "notebook": failed,
            "detail": "",
        }
    except Exception as error:  # kernel died, timed out, no such kernel, ...
        failed = None
        if raw.is_file():
            with contextlib.suppress(Exception):
                failed_nb = normalize_notebook(nbformat.read(raw, as_version=4), parameters)
                final.write_bytes(notebook_bytes(failed_nb))
                failed = str(final)
        return {
            "ok": False,
            "cell_index": None,
            "exec_count": None,
            "ename": type(error).__name__,
            "evalue": str(error).strip().splitlines()[0] if str(error).strip() else "",
            "notebook": failed,
            "detail": _tail(log),
        }
    data = notebook_bytes(normalize_notebook(executed, parameters))
    final.write_bytes(data)
    outputs = {
        p.relative_to(out_dir).as_posix(): sha256_file(p)
        for p in sorted(out_dir.rglob("*"))
        if p.is_file()
    }
    return {
        "ok": True,
        "notebook": str(final),
        "notebook_sha": hashlib.sha256(data).hexdigest(),
        "outputs": outputs,
    }


def _injected_before(nb: Any, index: int) -> bool:
    """Whether papermill's injected cell sits before executed cell ``index``."""
    position = next(
        (i for i, c in enumerate(nb.cells) if PARAMETERS_TAG in c.metadata.get("tags", [])),
        -1,
    )
    # papermill inserts after the parameters cell, or at the top when there is none.
    return index > position + 1


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one notebook.

    Attributes:
        notebook: The notebook's stem.
        status: ``"ran"``, ``"skipped"`` or ``"failed"``.
        seconds: Wall time of its execution (0 when skipped).
        message: The reason it was skipped, or what went wrong.
        outputs: Paths (relative to the root) of the files it produced.
        failed_notebook: Where the executed notebook of a failed run was saved.
    """

    notebook: str
    status: str
    seconds: float = 0.0
    message: str = ""
    outputs: list[str] = field(default_factory=list)
    failed_notebook: Path | None = None


@dataclass
class RunSummary:
    """The result of :func:`run_notebooks`."""

    outcomes: list[Outcome]
    seconds: float

    def count(self, status: str) -> int:
        """Return how many notebooks ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """Whether no notebook failed."""
        return self.count("failed") == 0

    def line(self) -> str:
        """Return the summary line (ran N, skipped M, failed K, total time)."""
        return (
            f"ran {self.count('ran')}, skipped {self.count('skipped')}, "
            f"failed {self.count('failed')} in {self.seconds:.1f} s"
        )


@contextlib.contextmanager
def _defer_sigint() -> Iterator[None]:
    """Hold Ctrl-C until the block (moving finished files into place) is done."""
    try:
        previous = signal.getsignal(signal.SIGINT)
        received: list[int] = []
        signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in KERNEL_ENV_DEFAULTS.items():
        env.setdefault(key, value)
    env.pop(paths.OUTPUT_DIR_ENV, None)
    return env


def _describe_failure(task: Task, result: Mapping[str, Any], project: Project) -> str:
    if result.get("cell_index") is not None:
        count = result.get("exec_count")
        where = f"cell {result['cell_index']}" + (f" (In [{count}])" if count else "")
        text = f"{where} raised {result['ename']}: {result['evalue']}"
    else:
        text = f"{result['ename']}: {result['evalue']}".rstrip(": ")
    if result.get("detail"):
        text += "\n    kernel stderr:\n      " + result["detail"].replace("\n", "\n      ")
    return text


class _Runner:
    """Commits finished notebooks and keeps the manifests up to date (parent process)."""

    def __init__(self, project: Project, tasks: Sequence[Task], log: Log) -> None:
        self.project = project
        self.log = log
        self.manifests = {t.manifest_path: load_manifest(t.manifest_path) for t in tasks}
        self.claimed: dict[str, str] = {}

    def commit(self, task: Task, result: Mapping[str, Any], seconds: float) -> Outcome:
        project = self.project
        staged_nb = Path(result["notebook"])
        staged_out = staged_nb.parent / "out"
        if task.canonical and notebook_source_digest(task.notebook) != task.inputs["notebook"]:
            return Outcome(
                task.stem,
                "failed",
                seconds,
                f"{project.rel(task.notebook)} was edited while it ran; not overwritten",
            )
        targets = {rel: task.dest_dir / rel for rel in result["outputs"]}
        for rel, target in targets.items():
            key = project.rel(target)
            owner = self.claimed.get(key)
            if target.resolve() in (task.manifest_path.resolve(), task.notebook_out.resolve()):
                return Outcome(task.stem, "failed", seconds, f"output name {rel!r} is reserved")
            if owner and owner != task.stem:
                return Outcome(
                    task.stem, "failed", seconds, f"output {key} is also written by {owner}"
                )
        manifest = self.manifests[task.manifest_path]
        entries = manifest["notebooks"]
        previous = entries.get(task.stem, {}).get("outputs", {})
        outputs: dict[str, str] = {}
        with _defer_sigint():
            for rel, target in targets.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_out / rel, target)
                key = project.rel(target)
                outputs[key] = result["outputs"][rel]
                self.claimed[key] = task.stem
            task.notebook_out.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged_nb, task.notebook_out)
            outputs[project.rel(task.notebook_out)] = result["notebook_sha"]
            for stale in sorted(set(previous) - set(outputs)):
                self._remove_output(stale, task.dest_dir, f"no longer produced by {task.stem}")
            for other, entry in entries.items():  # an output that moved to this notebook
                if other != task.stem:
                    for key in set(entry.get("outputs", {})) & set(outputs):
                        del entry["outputs"][key]
            entries[task.stem] = {
                "notebook": project.rel(task.notebook),
                "parameters": task.parameters,
                "inputs": task.inputs,
                "outputs": outputs,
            }
            manifest["format"] = MANIFEST_FORMAT
            write_manifest(task.manifest_path, manifest)
        return Outcome(task.stem, "ran", seconds, outputs=sorted(outputs))

    def _remove_output(self, rel: str, dest_dir: Path, why: str) -> None:
        path = self.project.root / rel
        try:
            path.resolve().relative_to(dest_dir.resolve())
        except ValueError:
            return
        if path.is_file():
            path.unlink()
            self.log(f"removed {rel} ({why})")

    def prune(self, existing: Iterable[Path]) -> None:
        """Forget notebooks that no longer exist and remove their recorded figure files."""
        stems = {p.stem for p in existing}
        path = self.project.manifest
        manifest = self.manifests.setdefault(path, load_manifest(path))
        gone = sorted(set(manifest["notebooks"]) - stems)
        if not gone:
            return
        with _defer_sigint():
            for stem in gone:
                entry = manifest["notebooks"].pop(stem)
                for rel in sorted(entry.get("outputs", {})):
                    self._remove_output(
                        rel, self.project.figures_dir, f"notebook {stem} no longer exists"
                    )
                self.log(f"forgot {stem} (notebook no longer exists)")
            write_manifest(path, manifest)

    def save_failed(self, task: Task, result: Mapping[str, Any]) -> Path | None:
        if not result.get("notebook"):
            return None
        target = self.project.failed_dir / task.notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(result["notebook"], target)
        return target


def run_notebooks(
    project: Project,
    notebooks: Sequence[Path] | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    log: Log = print,
) -> RunSummary:
    """Execute notebooks that need it, in parallel, and move their outputs into place.

    Args:
        project: The project.
        notebooks: The notebooks to run; ``None`` means all of them (and then manifest
            entries of deleted notebooks are dropped, with their figure files).
        parameters: Parameters for every notebook; any non-default value sends the run to
            ``runs/<stem>-<hash>/``.
        jobs: Maximum notebooks at once (default: the number of CPUs).
        force: Run even notebooks whose inputs and outputs are unchanged.
        log: Receives the progress lines.

    Returns:
        The outcome of each notebook and the total wall time.

    Raises:
        ParameterError: Invalid parameters (raised before any kernel starts).
        KeyboardInterrupt: Interrupted; no half-written file is left behind.
    """
    started = time.perf_counter()
    with _exclusive(project):
        return _run_locked(project, notebooks, parameters, jobs, force, log, started)


@contextlib.contextmanager
def _exclusive(project: Project) -> Iterator[None]:
    """Hold an advisory lock on the project root so that two runs do not interleave."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    handle = os.open(project.root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PipelineError(
                f"another `run` is in progress in {project.root}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(handle)


def _run_locked(
    project: Project,
    notebooks: Sequence[Path] | None,
    parameters: Mapping[str, Any] | None,
    jobs: int | None,
    force: bool,
    log: Log,
    started: float,
) -> RunSummary:
    selected = list(notebooks) if notebooks is not None else discover_notebooks(project)
    tasks = plan(project, selected, parameters, force=force)
    runner = _Runner(project, tasks, log)
    outcomes: dict[str, Outcome] = {}
    for task in tasks:
        if task.reason is None:
            log(f"skip  {task.stem}: {task.skip_reason}")
            outcomes[task.stem] = Outcome(task.stem, "skipped", message=task.skip_reason)
    if notebooks is None and not parameters:
        runner.prune(selected)
    todo = [t for t in tasks if t.reason is not None]
    if todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        env = _kernel_env()
        project.staging_root.mkdir(parents=True, exist_ok=True)
        try:
            if workers == 1:
                _run_inline(project, todo, env, runner, outcomes, log)
            else:
                _run_pool(project, todo, env, runner, outcomes, log, workers)
        finally:
            _remove_staging(project)
    ordered = [outcomes[t.stem] for t in tasks]
    summary = RunSummary(ordered, time.perf_counter() - started)
    return summary


def _remove_staging(project: Project) -> None:
    shutil.rmtree(project.staging_root, ignore_errors=True)
    with contextlib.suppress(OSError):
        project.runs_dir.rmdir()  # only if empty


def _job(project: Project, task: Task, env: Mapping[str, str], prestart: bool) -> dict[str, Any]:
    return {
        "notebook": str(task.notebook),
        "staging_root": str(project.staging_root),
        "parameters": task.parameters,
        "env": dict(env),
        "cwd": str(task.notebook.parent),
        "prestart": prestart,
    }


def _finish(
    project: Project,
    task: Task,
    job: Mapping[str, Any],
    result: Mapping[str, Any],
    seconds: float,
    runner: _Runner,
    log: Log,
) -> Outcome:
    try:
        if result.get("ok"):
            outcome = runner.commit(task, result, seconds)
        else:
            saved = runner.save_failed(task, result)
            message = _describe_failure(task, result, project)
            outcome = Outcome(task.stem, "failed", seconds, message, failed_notebook=saved)
    finally:
        if result.get("staging"):
            shutil.rmtree(result["staging"], ignore_errors=True)
    if outcome.status == "ran":
        log(f"done  {task.stem} in {seconds:.1f} s")
    else:
        where = (
            f"; executed notebook saved to {project.rel(outcome.failed_notebook)}"
            if outcome.failed_notebook
            else ""
        )
        log(f"FAIL  {task.stem} after {seconds:.1f} s: {outcome.message}{where}")
    return outcome


def _start_line(task: Task) -> str:
    target = "" if task.canonical else f" -> {task.dest_dir.name}/"
    return f"start {task.stem}{target} ({task.reason})"


def _run_inline(
    project: Project,
    todo: Sequence[Task],
    env: Mapping[str, str],
    runner: _Runner,
    outcomes: dict[str, Outcome],
    log: Log,
) -> None:
    try:
        for index, task in enumerate(todo):
            job = _job(project, task, env, prestart=index + 1 < len(todo))
            log(_start_line(task))
            began = time.perf_counter()
            result = execute(job)
            outcomes[task.stem] = _finish(
                project, task, job, result, time.perf_counter() - began, runner, log
            )
    finally:
        _discard_warm()


def _run_pool(
    project: Project,
    todo: Sequence[Task],
    env: Mapping[str, str],
    runner: _Runner,
    outcomes: dict[str, Outcome],
    log: Log,
    workers: int,
) -> None:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # Workers are forked from one process that imported what every worker needs before
        # it can launch a kernel; papermill itself is imported while the kernels boot.
        context.set_forkserver_preload(["analysis.pipeline", "jupyter_client.manager"])
    queue = list(todo)
    submitted = 0
    running: dict[Future[dict[str, Any]], tuple[Task, dict[str, Any], float]] = {}
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.pop(0)
                # A worker pre-starts a kernel when there will be a notebook left for it.
                job = _job(project, task, env, prestart=submitted + workers < len(todo))
                submitted += 1
                log(_start_line(task))
                running[executor.submit(execute, job)] = (task, job, time.perf_counter())
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f][0].stem):
                task, job, began = running.pop(future)
                seconds = time.perf_counter() - began
                try:
                    result = future.result()
                except Exception as error:  # a worker died
                    result = {
                        "ok": False,
                        "cell_index": None,
                        "ename": type(error).__name__,
                        "evalue": str(error),
                        "notebook": None,
                    }
                outcomes[task.stem] = _finish(project, task, job, result, seconds, runner, log)
    except BaseException:
        for process in list(getattr(executor, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.terminate()  # SIGTERM: the worker interrupts its notebook and cleans up
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


# --------------------------------------------------------------------------------------------
# Listing
# --------------------------------------------------------------------------------------------


def describe_notebooks(project: Project, notebooks: Sequence[Path] | None = None) -> str:
    """Return a listing of notebooks with their declared parameters (type, default, help)."""
    selected = list(notebooks) if notebooks is not None else discover_notebooks(project)
    lines = []
    for notebook in selected:
        lines.append(project.rel(notebook))
        declared = declared_parameters(notebook)
        if not declared:
            lines.append("    (no parameters)")
        for spec in declared.values():
            text = f"    {spec.name}: {spec.type_name or 'any'} = {spec.default}"
            if spec.help:
                text += f"  # {spec.help}"
            lines.append(text)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------

#: Outputs compared by :func:`verify`: (folder or file, glob, recursive).
VERIFY_OUTPUTS: tuple[tuple[str, str, bool], ...] = (
    ("data/processed", "*", True),
    ("data", "datapackage.json", False),
    ("notebooks", "*.ipynb", False),
    ("figures", "*", True),
)


@dataclass
class VerifyResult:
    """The result of :func:`verify`.

    Attributes:
        identical: Outputs reproduced byte for byte.
        differ: Outputs whose reproduction has other bytes.
        missing: Files in the working tree that the re-run did not produce.
        extra: Files the re-run produced that the working tree lacks.
    """

    identical: list[str]
    differ: list[str]
    missing: list[str]
    extra: list[str]

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
        PipelineError: The extraction or the notebook run failed in the copy.
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
                raise PipelineError(
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
        return result
    finally:
        if keep:
            log(f"verify: scratch copy kept in {copy}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
