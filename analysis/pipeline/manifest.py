"""Input digests and the manifest of canonical runs: what each output is, and its hash.

``MANIFEST.json`` records, per notebook, the digests of its inputs, the SHA-256 of every file
it wrote, and what each declared output is (:class:`OutputRecord`: name, kind, title,
description or alt text, files, the Table Schema of its CSV, and the cell that made it), as
the notebook declared it when it saved the output (:mod:`analysis.outputs`). The site and the
outputs' data package (:mod:`analysis.pipeline.datapackage`) read these records; nothing
discovers an output after the fact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from analysis.io import atomic_write, json_digest, sha256_file
from analysis.pipeline.environment import Environment
from analysis.pipeline.imports import notebook_code
from analysis.pipeline.project import (
    ERROR_TAG,
    INJECTED_TAG,
    MANIFEST_FORMAT,
    PipelineError,
    Project,
)


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
    return json_digest(cells)


def files_digest(root: Path, files: Iterable[Path]) -> str | None:
    """Return one SHA-256 over ``(relative path, file digest)`` pairs; ``None`` if no file."""
    pairs = sorted((f.relative_to(root).as_posix(), sha256_file(f)) for f in files)
    if not pairs:
        return None
    return json_digest(pairs)


#: Name of the input group that digests the package code (and its data) a notebook uses.
CODE_GROUP = "code"


def shared_input_digests(project: Project) -> dict[str, str | None]:
    """Digest the inputs common to every notebook, by group.

    Returns:
        ``{"data/processed/": ..., "requirements.lock": ...}`` (one key per lock file); a group
        without files has ``None``. The package code a notebook uses is digested per notebook
        (:func:`code_digest`).
    """
    processed = [
        p
        for p in (project.processed_dir.rglob("*") if project.processed_dir.is_dir() else [])
        if p.is_file() and "__pycache__" not in p.parts
    ]
    digests: dict[str, str | None] = {
        "data/processed/": files_digest(project.processed_dir, processed),
    }
    for lock in project.lock_files:
        digests[project.rel(lock)] = sha256_file(lock) if lock.is_file() else None
    return digests


def code_digest(project: Project, notebook: Path) -> str | None:
    """Digest the package modules a notebook's imports reach, and the data files they read.

    Editing a module that no import of the notebook reaches (the pipeline, the command line,
    the site, a layer it does not use) leaves the digest unchanged.
    """
    files = notebook_code(project.package_dir, notebook, project.module_data)
    return files_digest(project.root, files)


#: Kinds of output the manifest records: the two a notebook declares, and its executed copy.
OUTPUT_KINDS: tuple[str, ...] = ("figure", "table", "notebook")


@dataclass(frozen=True)
class OutputRecord:
    """What one output of a notebook is, as declared when it was saved.

    Attributes:
        name: Base name of its files (a figure's or table's), or the notebook's stem.
        kind: ``figure``, ``table`` or ``notebook`` (the executed notebook itself).
        title: Its title (a figure's as drawn; a notebook's first heading).
        description: A figure's alt text; what a table's rows are; empty for a notebook.
        files: Its files, relative to the root (a figure's CSV last).
        schema: The Table Schema of its CSV (empty for a notebook).
        cell: Index of the code cell that saved it in the executed notebook, when known.
        cell_id: That cell's id.
    """

    name: str
    kind: str
    title: str
    description: str
    files: tuple[str, ...]
    schema: dict[str, Any]
    cell: int | None
    cell_id: str

    @property
    def data(self) -> str | None:
        """The CSV file of a figure or table, relative to the root."""
        return self.files[-1] if self.kind != "notebook" else None

    def to_json(self) -> dict[str, Any]:
        """The record as written in ``MANIFEST.json``."""
        return {**asdict(self), "files": list(self.files)}

    @classmethod
    def from_json(cls, data: Any) -> OutputRecord | None:
        """Read a record; ``None`` when ``data`` does not have a record's shape."""
        if not isinstance(data, dict) or set(data) != {f.name for f in fields(cls)}:
            return None
        if data["kind"] not in OUTPUT_KINDS or not isinstance(data["files"], list):
            return None
        return cls(**{**data, "files": tuple(data["files"])})


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest records about one notebook's last successful run.

    Attributes:
        notebook: The notebook, relative to the root.
        parameters: Its non-default parameters.
        inputs: Digests of its inputs, by group (see :func:`shared_input_digests`).
        outputs: Digests of the files it wrote (and of the executed notebook), by path
            relative to the root.
        declared: What each of its outputs is, by name (:class:`OutputRecord`).
        environment: The interpreter, platform and package versions the run was made in
            (recorded, not an input: see :mod:`analysis.pipeline.environment`); ``None`` in
            an entry written before environments were recorded.
    """

    notebook: str
    parameters: dict[str, Any]
    inputs: dict[str, str | None]
    outputs: dict[str, str]
    declared: dict[str, OutputRecord] = field(default_factory=dict)
    environment: Environment | None = None

    def to_json(self) -> dict[str, Any]:
        """The entry as written in ``MANIFEST.json`` (``environment`` only when recorded)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "environment"}
        data["declared"] = {name: record.to_json() for name, record in self.declared.items()}
        if self.environment is not None:
            data["environment"] = self.environment.to_json()
        return data

    def records(self, kind: str | None = None) -> list[OutputRecord]:
        """Its output records (of one kind), in name order."""
        return [r for _, r in sorted(self.declared.items()) if kind in (None, r.kind)]

    @classmethod
    def from_json(cls, data: Any) -> ManifestEntry | None:
        """Read an entry; ``None`` when ``data`` does not have an entry's shape."""
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not names - {"environment"} <= set(data) <= names:
            return None
        if not (
            isinstance(data["notebook"], str)
            and all(isinstance(data[k], dict)
                    for k in ("parameters", "inputs", "outputs", "declared"))
            and all(isinstance(v, str) for v in data["outputs"].values())
        ):
            return None
        declared = {name: OutputRecord.from_json(raw) for name, raw in data["declared"].items()}
        if any(record is None for record in declared.values()):
            return None
        environment = None
        if "environment" in data:
            environment = Environment.from_json(data["environment"])
            if environment is None:
                return None
        return cls(**{**data, "declared": declared, "environment": environment})


@dataclass
class Manifest:
    """A manifest: the last successful run of each notebook, by stem.

    Attributes:
        path: Where it is stored.
        notebooks: The entries, by notebook stem.
    """

    path: Path
    notebooks: dict[str, ManifestEntry] = field(default_factory=dict)

    def owners(self, output: str) -> list[str]:
        """Return the notebooks whose entry records ``output`` (a path relative to the root)."""
        return sorted(stem for stem, e in self.notebooks.items() if output in e.outputs)

    def records(self, kind: str | None = None) -> list[OutputRecord]:
        """Every notebook's output records (of one kind), notebooks in name order."""
        return [r for _, e in sorted(self.notebooks.items()) for r in e.records(kind)]

    def record(self, name: str, kind: str | None = None) -> OutputRecord | None:
        """The output called ``name`` (of one kind), if a notebook declared it."""
        return next((r for r in self.records(kind) if r.name == name), None)

    def to_bytes(self) -> bytes:
        """The file's bytes: sorted keys, indent 2, trailing newline, no timestamps."""
        data = {
            "format": MANIFEST_FORMAT,
            "notebooks": {stem: e.to_json() for stem, e in self.notebooks.items()},
        }
        return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()

    def save(self) -> None:
        """Write the manifest atomically."""
        atomic_write(self.path, self.to_bytes())


def load_manifest(path: Path) -> Manifest:
    """Read a manifest; a missing or unreadable file gives an empty one.

    Raises:
        PipelineError: An entry does not have the shape of a manifest entry (names the file
            and the entry).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("notebooks"), dict):
        return Manifest(path)
    if data.get("format") != MANIFEST_FORMAT:  # an older layout: every notebook runs again
        return Manifest(path)
    entries = {}
    for stem, raw in data["notebooks"].items():
        entry = ManifestEntry.from_json(raw)
        if entry is None:
            raise PipelineError(
                f"{path}: entry {stem!r} is not a manifest entry (expected the keys notebook, "
                "parameters, inputs, outputs, declared and environment); delete the file to "
                "rebuild it"
            )
        entries[stem] = entry
    return Manifest(path, entries)
