"""Input digests and the manifest of canonical runs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from analysis.io import atomic_write, sha256_file
from analysis.pipeline.parameters import json_digest
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


#: Name of the input group that digests the package code notebooks use.
CODE_GROUP = "code"


def _code_files(location: Path) -> list[Path]:
    """Return a named file as it is, or the ``.py`` files below a folder.

    Raises:
        PipelineError: The file or folder does not exist (a notebook input is missing).
    """
    if location.is_file():
        return [location]
    if not location.is_dir():
        raise PipelineError(f"{location}: missing (an input of every notebook)")
    return [p for p in location.rglob("*.py") if p.is_file() and "__pycache__" not in p.parts]


def shared_input_digests(project: Project) -> dict[str, str | None]:
    """Digest the inputs common to every notebook, by group.

    Returns:
        ``{"code": ..., "data/processed/": ..., "requirements.lock": ...,
        "matplotlibrc": ...}`` (one key per lock file); a group without files has ``None``.
        ``code`` covers the files named in :attr:`Project.code` and the ``.py`` files of its
        folders only: editing the pipeline, the command line or the site does not make a
        notebook stale.
    """
    code = [f for location in project.code for f in _code_files(location)]
    processed = [
        p
        for p in (project.processed_dir.rglob("*") if project.processed_dir.is_dir() else [])
        if p.is_file() and "__pycache__" not in p.parts
    ]
    digests: dict[str, str | None] = {
        CODE_GROUP: files_digest(project.root, code),
        "data/processed/": files_digest(project.processed_dir, processed),
    }
    for lock in project.lock_files:
        digests[project.rel(lock)] = sha256_file(lock) if lock.is_file() else None
    digests["matplotlibrc"] = (
        sha256_file(project.matplotlibrc) if project.matplotlibrc.is_file() else None
    )
    return digests


@dataclass(frozen=True)
class ManifestEntry:
    """What the manifest records about one notebook's last successful run.

    Attributes:
        notebook: The notebook, relative to the root.
        parameters: Its non-default parameters.
        inputs: Digests of its inputs, by group (see :func:`shared_input_digests`).
        outputs: Digests of the files it wrote (and of the executed notebook), by path
            relative to the root.
    """

    notebook: str
    parameters: dict[str, Any]
    inputs: dict[str, str | None]
    outputs: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        """The entry as written in ``MANIFEST.json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> ManifestEntry | None:
        """Read an entry; ``None`` when ``data`` does not have an entry's shape."""
        if not isinstance(data, dict) or set(data) != {f.name for f in fields(cls)}:
            return None
        if not (
            isinstance(data["notebook"], str)
            and all(isinstance(data[k], dict) for k in ("parameters", "inputs", "outputs"))
            and all(isinstance(v, str) for v in data["outputs"].values())
        ):
            return None
        return cls(**data)


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
    entries = {}
    for stem, raw in data["notebooks"].items():
        entry = ManifestEntry.from_json(raw)
        if entry is None:
            raise PipelineError(
                f"{path}: entry {stem!r} is not a manifest entry (expected the keys notebook, "
                "parameters, inputs and outputs); delete the file to rebuild it"
            )
        entries[stem] = entry
    return Manifest(path, entries)
