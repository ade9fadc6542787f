"""Deterministic, atomic file output.

Every file the pipeline produces is written to a temporary file in the target's folder and
moved into place with :func:`os.replace`, so an interrupted or failed run never leaves a
half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd


def frame_to_csv_text(frame: pd.DataFrame) -> str:
    r"""Render a table as CSV text, byte-stable across runs and platforms.

    Whole-number floats are written without a decimal point, missing values as empty
    fields, line endings as ``\\n``.

    Args:
        frame: The table.

    Returns:
        The CSV text, header first, ending with a newline.
    """
    from analysis.extract import format_value

    rendered = frame.copy()
    for column in rendered.columns:
        rendered[column] = [format_value(value) for value in rendered[column].tolist()]
    return rendered.to_csv(index=False, lineterminator="\n")


def atomic_write_many(contents: Mapping[Path, str | bytes]) -> None:
    """Write several files so that either all are replaced or none is.

    All contents are first written to temporary files beside their targets; only when every
    one was written are they moved into place. On any error (including
    ``KeyboardInterrupt``) the temporary files are removed and the targets are untouched.

    Args:
        contents: Target path -> text (UTF-8) or bytes.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content in contents.items():
            target = Path(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                            dir=target.parent)
            staged.append((Path(name), target))
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
