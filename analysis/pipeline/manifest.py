"""Input digests and the manifest of canonical runs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analysis.io import atomic_write, sha256_file
from analysis.pipeline.parameters import canonical_json
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
