"""File primitives shared by every stage: hashing, atomic writes, byte-stable CSV.

Every file the project produces is written to a temporary file in the target's folder and
moved into place with :func:`os.replace`, so an interrupted or failed run never leaves a
half-written file where a good one was. This module imports nothing heavy (pandas only inside
:func:`frame_to_csv_text`), so the pipeline's no-op path stays fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes.

    Args:
        path: File to hash.

    Returns:
        The 64-character lowercase hex digest.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def format_value(value: Any) -> str:
    """Format a cell for CSV: whole numbers without a decimal point, missing as empty.

    Args:
        value: An int, a float, a string, ``None``, NaN or ``pd.NA``.

    Returns:
        E.g. ``"746"``, ``"86.8"``, ``""``.
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if type(value).__name__ == "NAType":  # pandas.NA, without importing pandas
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def frame_to_csv_text(frame: pd.DataFrame) -> str:
    r"""Render a table as CSV text, byte-stable across runs and platforms.

    Whole-number floats are written without a decimal point, missing values as empty
    fields, line endings as ``\n``.

    Args:
        frame: The table.

    Returns:
        The CSV text, header first, ending with a newline.
    """
    rendered = frame.copy()
    for column in rendered.columns:
        rendered[column] = [format_value(value) for value in rendered[column].tolist()]
    return rendered.to_csv(index=False, lineterminator="\n")


def replace_all(moves: Sequence[tuple[Path, Path]], aside: Path) -> None:
    """Move every ``(source, target)`` into place, or none of them.

    A target that already exists is first moved into ``aside`` (a folder on the same
    filesystem, created if needed); once every move succeeded those old files are deleted.
    If any move fails (or is interrupted), the targets already replaced get their old files
    back, new targets are removed, and the error propagates.

    Args:
        moves: Files to move; each source on the same filesystem as its target.
        aside: Where the replaced files wait until the whole group is in place.

    Raises:
        OSError: A move failed; every target is as it was before.
    """
    done: list[tuple[Path, Path | None]] = []
    try:
        aside.mkdir(parents=True, exist_ok=True)
        for index, (source, target) in enumerate(moves):
            target.parent.mkdir(parents=True, exist_ok=True)
            kept = None
            if target.exists() or target.is_symlink():
                kept = aside / str(index)
                os.replace(target, kept)
            done.append((target, kept))
            os.replace(source, target)
    except BaseException:
        for target, kept in reversed(done):
            with contextlib.suppress(OSError):
                if kept is not None:
                    os.replace(kept, target)
                elif target.is_file():
                    target.unlink()
        raise
    for _, kept in done:
        if kept is not None:
            with contextlib.suppress(FileNotFoundError):
                kept.unlink()


def atomic_write_many(contents: Mapping[Path, str | bytes]) -> None:
    """Write several files so that either all are replaced or none is.

    All contents are first written to temporary files in a scratch folder beside the first
    target (with the permissions ``open()`` would give a new file, not ``mkstemp``'s 0600);
    only when every one was written are they moved into place by :func:`replace_all`. On any
    error (including ``KeyboardInterrupt``) the targets are as they were and the scratch
    folder is removed.

    Args:
        contents: Target path -> text (UTF-8) or bytes.
    """
    targets = [Path(target) for target in contents]
    if not targets:
        return
    mask = os.umask(0)
    os.umask(mask)
    targets[0].parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{targets[0].name}.", dir=targets[0].parent))
    try:
        moves: list[tuple[Path, Path]] = []
        for index, (target, content) in enumerate(zip(targets, contents.values(), strict=True)):
            handle, name = tempfile.mkstemp(prefix=f"{index}.", dir=scratch)
            os.fchmod(handle, 0o666 & ~mask)
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            moves.append((Path(name), target))
        replace_all(moves, scratch / "previous")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def atomic_write(target: Path, content: str | bytes) -> None:
    """Write one file atomically (see :func:`atomic_write_many`).

    Args:
        target: Destination.
        content: Text (UTF-8) or bytes.
    """
    atomic_write_many({Path(target): content})
