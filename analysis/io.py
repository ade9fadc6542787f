"""File primitives shared by every stage: hashing, atomic writes, byte-stable CSV, strict YAML.

Every file the project produces is written to a temporary file in the target's folder and
moved into place with :func:`os.replace`, so an interrupted or failed run never leaves a
half-written file where a good one was. This module imports nothing heavy (pandas only inside
:func:`frame_to_csv_text`, PyYAML only inside :func:`load_yaml`), so the pipeline's no-op path
stays fast.

Every YAML file the project reads (the extraction spec, the audit rules, the cross-checks, the
claims, ``-f`` parameter files) goes through :func:`load_yaml`: a key given twice in any
mapping and an unknown top-level key are refused, naming the file, the line and the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class YamlFileError(ValueError):
    """A YAML file that cannot be read as the project's specs must be: names file, line, key."""


def load_yaml(path: str | os.PathLike[str], top_level: Collection[str] | None = None) -> Any:
    """Read a YAML file strictly: safe types only, no key twice, no unknown top-level key.

    Plain ``yaml.safe_load`` keeps the last of two equal keys silently; here the second one is
    an error, in every mapping of the document.

    Args:
        path: The file.
        top_level: The keys the document's top-level mapping may have; ``None`` accepts any
            document (and any keys).

    Returns:
        The document (``None`` for an empty file).

    Raises:
        YamlFileError: The file is unreadable, not valid YAML, gives a key twice, or (with
            ``top_level``) is not a mapping or has another key. The message starts with the
            file and the line, e.g. ``data/claims.yaml, line 80: key 'reason' given twice``.
    """
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise YamlFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise YamlFileError(f"{path}: not UTF-8 text ({error.reason})") from None

    def where(mark: Any) -> str:
        return f"{path}, line {mark.line + 1}" if mark is not None else str(path)

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    repeated = key in seen
                except TypeError:  # an unhashable key: PyYAML refuses it below
                    continue
                if repeated:
                    raise YamlFileError(f"{where(key_node.start_mark)}: key {key!r} given twice")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if top_level is not None:
            _check_top_level(node, top_level, where)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        problem = " ".join(f"{error.context or ''} {error.problem or ''}".split())
        raise YamlFileError(f"{where(error.problem_mark)}: not valid YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise YamlFileError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None
    finally:
        loader.dispose()


def _check_top_level(node: Any, allowed: Collection[str], where: Any) -> None:
    """Refuse a document that is not a mapping or has a top-level key outside ``allowed``."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        raise YamlFileError(f"{where(node.start_mark)}: expected a mapping with the keys "
                            f"{sorted(allowed)}")
    for key_node, _ in node.value:
        if key_node.value not in allowed:
            raise YamlFileError(
                f"{where(key_node.start_mark)}: unknown top-level key {key_node.value!r} "
                f"(allowed: {', '.join(sorted(allowed))})"
            )


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
