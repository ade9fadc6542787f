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
import errno
import hashlib
import json
import os
import secrets
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

    # libyaml's parser where PyYAML was built with it (the wheels are): about 8 times faster
    # than the pure-Python one on data/claims.yaml; construction is Python either way.
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc, valid-type]
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


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_digest(value: Any) -> str:
    """Return the hex SHA-256 of the canonical JSON of ``value`` (:func:`canonical_json`)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


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


#: ``errno`` values meaning that a filesystem has no room left: full (ENOSPC) or over quota
#: (EDQUOT).
NO_SPACE_ERRNOS: frozenset[int] = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_no_space(error: BaseException) -> bool:
    """Whether ``error`` is an ``OSError`` saying that a filesystem is full or over quota."""
    return isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS


def replace_all(moves: Sequence[tuple[Path, Path]]) -> None:
    """Move every ``(source, target)`` into place, or none of them.

    Every move ends in a rename inside the target's own folder, so each is atomic even when the
    source lies on another filesystem than the target (a target folder that is a symlink to,
    or a mount of, another filesystem). First, before any target is touched, each source not
    already in its target's folder is put there under a temporary name: as a hard link when
    both are on one mount, else as a copy, flushed to disk (``fsync``). Then each target that
    exists is renamed aside (in its folder) and the new file renamed into place. Once every
    move succeeded the old files are deleted. If anything fails (or is interrupted), the
    targets already replaced get their old files back, new targets are removed, the temporary
    files are deleted, and the error propagates; the sources are left where they were.

    Args:
        moves: Files to move.

    Raises:
        OSError: A file could not be staged or moved (e.g. no space left for a copy); every
            target is as it was before.
    """
    staged: list[Path] = []
    done: list[tuple[Path, Path | None]] = []
    try:
        ready = []
        for source, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            if Path(source).parent.resolve() == target.parent.resolve():
                ready.append((Path(source), target))
                continue
            beside = _stage_beside(Path(source), target)
            staged.append(beside)
            ready.append((beside, target))
        for source, target in ready:
            kept = None
            if target.exists() or target.is_symlink():
                kept = _unused_name(target, "previous")
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
        for path in staged:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    for _, kept in done:
        if kept is not None:
            with contextlib.suppress(FileNotFoundError):
                kept.unlink()


def _unused_name(target: Path, kind: str) -> Path:
    """A name that does not exist yet, hidden, in ``target``'s folder (``.<name>.<hex>.<kind>``)."""
    while True:
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.{kind}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate


def _stage_beside(source: Path, target: Path) -> Path:
    """Put ``source`` in ``target``'s folder under a temporary name: linked, else copied."""
    beside = _unused_name(target, "new")
    try:
        os.link(source, beside)
        return beside
    except OSError as error:
        if error.errno not in _LINK_REFUSED:
            raise
    handle = os.open(beside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(source, "rb") as origin, os.fdopen(handle, "wb") as copy:
            shutil.copyfileobj(origin, copy, 1 << 20)
            copy.flush()
            os.fsync(copy.fileno())
        shutil.copymode(source, beside)
    except BaseException as error:
        with contextlib.suppress(OSError):
            beside.unlink()
        if isinstance(error, OSError) and error.filename in (None, str(beside)):
            # name the file that could not be written by its real name, not the temporary one
            raise OSError(error.errno, error.strerror, str(target)) from error
        raise
    return beside


#: ``errno`` values of a hard link that cannot be made (another mount, or a filesystem
#: without hard links): the file is copied instead.
_LINK_REFUSED: frozenset[int] = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP})


def atomic_write_many(contents: Mapping[Path, str | bytes]) -> None:
    """Write several files so that either all are replaced or none is.

    Each content is first written to a temporary file in its target's folder (with the
    permissions ``open()`` would give a new file, not ``mkstemp``'s 0600); only when every one
    was written are they moved into place by :func:`replace_all`. On any error (including
    ``KeyboardInterrupt`` and a full disk) the targets are as they were and no temporary file
    is left.

    Args:
        contents: Target path -> text (UTF-8) or bytes.
    """
    mask = os.umask(0)
    os.umask(mask)
    written: list[Path] = []
    try:
        moves: list[tuple[Path, Path]] = []
        for target, content in ((Path(t), c) for t, c in contents.items()):
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                            dir=target.parent)
            written.append(Path(name))
            os.fchmod(handle, 0o666 & ~mask)
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            moves.append((Path(name), target))
        replace_all(moves)
    finally:
        for path in written:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def atomic_write(target: Path, content: str | bytes) -> None:
    """Write one file atomically (see :func:`atomic_write_many`).

    Args:
        target: Destination.
        content: Text (UTF-8) or bytes.
    """
    atomic_write_many({Path(target): content})
