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
import tempfile
from collections.abc import Mapping
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


def atomic_write_many(contents: Mapping[Path, str | bytes]) -> None:
    """Write several files so that either all are replaced or none is.

    All contents are first written to temporary files beside their targets (with the
    permissions ``open()`` would give a new file, not ``mkstemp``'s 0600); only when every
    one was written are they moved into place. On any error (including
    ``KeyboardInterrupt``) the temporary files are removed and the targets are untouched.

    Args:
        contents: Target path -> text (UTF-8) or bytes.
    """
    staged: list[tuple[Path, Path]] = []
    mask = os.umask(0)
    os.umask(mask)
    try:
        for target, content in contents.items():
            target = Path(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            staged.append((Path(name), target))
            os.fchmod(handle, 0o666 & ~mask)
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()


def atomic_write(target: Path, content: str | bytes) -> None:
    """Write one file atomically (see :func:`atomic_write_many`).

    Args:
        target: Destination.
        content: Text (UTF-8) or bytes.
    """
    atomic_write_many({Path(target): content})
