"""Comparing a committed output with its re-run: its grade, what was compared, what differs.

:func:`compare_output` grades one output (:class:`~analysis.pipeline.replication.Grade`) by
its kind (:data:`KINDS`, by path):

- a PNG: *equivalent* when the decoded pixels are the same; *within tolerance* when their RMS
  difference (:func:`matplotlib.testing.compare.calculate_rms`) is at most the declared
  ``image_rms``; the measured RMS, the number of changed pixels and where they are are kept;
- a CSV: compared cell by cell, rows matched by their key
  (:mod:`analysis.pipeline.compare_tables`); *equivalent* when every cell is equal once parsed
  (``1.50`` and ``1.5``, other quoting, other row or column order); the number of cells
  compared is kept;
- a notebook or a JSON record (``MANIFEST.json``, ``datapackage.json``): parsed, the fields
  that carry no results dropped (``not_results.json`` in ``replication.yaml``), then compared
  value by value: numbers by the shared rules (:mod:`analysis.pipeline.compare_text`), PNG
  images inside a notebook by their pixels, and text (outputs, streams) with the numbers in
  it compared as numbers;
- an SVG: parsed, the declared elements (``<metadata>``) dropped, canonicalised (C14N 2.0);
  then its text compared like a notebook's, numbers as numbers;
- anything else: *identical* or *differs*.

Every difference is kept as a :class:`Difference` naming where it is (row key and column,
JSON path, pixel box) with both values, so that the report and ``verify`` can show it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import matplotlib.testing.compare as mpl_compare
import nbformat
import numpy as np
from PIL import Image

from analysis.pipeline.compare_tables import (
    compare_tables,
    count_cells,
    declared_schema,
    read_records,
)
from analysis.pipeline.compare_text import compare_numbers, compare_text
from analysis.pipeline.replication import (
    MAX_DIFFERENCES,
    Comparison,
    Difference,
    Grade,
    kind_of,
    worst,
)
from analysis.pipeline.replication_spec import ReplicationSpec


def compare_output(
    rel: str, committed_root: Path, rerun_root: Path, spec: ReplicationSpec
) -> Comparison:
    """Grade the output ``rel`` of the re-run tree against the committed tree.

    Args:
        rel: Path relative to both roots (POSIX form).
        committed_root: The committed tree (the project's working tree).
        rerun_root: The tree the re-run wrote.
        spec: The declared tolerances and what carries no results.

    Returns:
        Its grade, summary and differences.
    """
    kind = kind_of(rel)
    old, new = committed_root / rel, rerun_root / rel
    if not new.is_file():
        return Comparison(rel, kind, Grade.DIFFERS, "not produced by the re-run", absent="re-run")
    if not old.is_file():
        return Comparison(rel, kind, Grade.DIFFERS, "produced only by the re-run",
                          absent="committed")
    old_bytes, new_bytes = old.read_bytes(), new.read_bytes()
    if old_bytes == new_bytes:
        cells = count_cells(read_records(old_bytes)) if kind == "table" else None
        return Comparison(rel, kind, Grade.IDENTICAL, "same bytes", cells=cells)
    pair = _Pair(rel, kind, old_bytes, new_bytes, committed_root, spec)
    return COMPARERS[kind](pair)


@dataclass(frozen=True)
class _Pair:
    """Two versions of one output whose bytes differ."""

    rel: str
    kind: str
    old: bytes
    new: bytes
    committed_root: Path
    spec: ReplicationSpec

    def result(
        self,
        grade: Grade,
        summary: str,
        differences: Sequence[Difference] = (),
        **extra: Any,
    ) -> Comparison:
        return Comparison(
            self.rel,
            self.kind,
            grade,
            summary,
            differences=tuple(differences[:MAX_DIFFERENCES]),
            total_differences=len(differences),
            **extra,
        )


# ---- images ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PixelComparison:
    """How two PNGs' pixels compare.

    Attributes:
        grade: ``equivalent``, ``within tolerance`` or ``differs``.
        summary: One line: changed pixels, where, RMS and the tolerance.
        distance: The RMS difference (``None`` when not measurable).
        box: Where the changed pixels are, e.g. ``x 10-49, y 20-59``.
    """

    grade: Grade
    summary: str
    distance: float | None = None
    box: str = ""


def decoded_pixels(data: bytes) -> np.ndarray:
    """Decode a PNG (or any image PIL reads) into an RGBA array of 0-255 values.

    Raises:
        ValueError: The bytes do not decode.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGBA"), dtype=np.int16)
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(str(error) or type(error).__name__) from None


def compare_pixels(old: bytes, new: bytes, spec: ReplicationSpec) -> PixelComparison:
    """Grade two images by their decoded pixels (RMS as :mod:`matplotlib.testing.compare`).

    The RMS is taken over the colour channels, and over alpha too when either image has any
    transparency (as matplotlib's image comparison does).
    """
    try:
        a, b = decoded_pixels(old), decoded_pixels(new)
    except ValueError as error:
        return PixelComparison(Grade.DIFFERS, f"does not decode ({error})")
    if a.shape != b.shape:
        before, after = f"{a.shape[1]}x{a.shape[0]}", f"{b.shape[1]}x{b.shape[0]}"
        return PixelComparison(Grade.DIFFERS, f"image size changed: {before} → {after}")
    changed = np.any(a != b, axis=-1)
    if not changed.any():
        return PixelComparison(Grade.EQUIVALENT, "same pixels, other bytes")
    opaque = bool((a[..., 3] == 255).all() and (b[..., 3] == 255).all())
    channels = slice(0, 3) if opaque else slice(0, 4)
    rms = float(mpl_compare.calculate_rms(a[..., channels].astype(float),
                                          b[..., channels].astype(float)))
    rows, columns = np.nonzero(changed)
    box = f"x {columns.min()}-{columns.max()}, y {rows.min()}-{rows.max()}"
    grade = Grade.WITHIN_TOLERANCE if rms <= spec.image_rms else Grade.DIFFERS
    relation = "≤" if grade is Grade.WITHIN_TOLERANCE else ">"
    summary = (
        f"{int(changed.sum())} of {changed.size} pixels changed ({box}); RMS {rms:.3g} "
        f"{relation} {spec.image_rms:g} declared in {spec.source}"
    )
    return PixelComparison(grade, summary, rms, box)


def _compare_png(pair: _Pair) -> Comparison:
    pixels = compare_pixels(pair.old, pair.new, pair.spec)
    differences = []
    if pixels.grade in (Grade.WITHIN_TOLERANCE, Grade.DIFFERS):
        where = f"pixels {pixels.box}" if pixels.box else "image"
        measure = f"RMS {pixels.distance:.3g}" if pixels.distance is not None else ""
        differences.append(
            Difference(where, f"{len(pair.old)} bytes", f"{len(pair.new)} bytes", pixels.grade,
                       measure)
        )
    return pair.result(pixels.grade, pixels.summary, differences, distance=pixels.distance)


def _compare_csv(pair: _Pair) -> Comparison:
    key, types = declared_schema(pair.committed_root, pair.rel)
    table = compare_tables(read_records(pair.old), read_records(pair.new), pair.spec, key, types)
    counts = {g: sum(1 for d in table.differences if d.grade is g)
              for g in (Grade.WITHIN_TOLERANCE, Grade.DIFFERS)}
    if table.grade is Grade.EQUIVALENT:
        summary = f"all {table.cells} cells equal once parsed (row key: {', '.join(table.key)})"
    else:
        summary = (
            f"{table.cells} cells compared (row key: {', '.join(table.key)}): "
            f"{counts[Grade.WITHIN_TOLERANCE]} within tolerance, {counts[Grade.DIFFERS]} "
            "different"
        )
    return pair.result(table.grade, summary, table.differences, cells=table.cells)


# ---- JSON, notebooks, SVG ----------------------------------------------------------------


def drop_fields(document: Any, fields: Sequence[tuple[str, ...]]) -> Any:
    """A copy of ``document`` without the dotted ``fields`` (``*``: any key or item)."""
    result = copy.deepcopy(document)
    for field_path in fields:
        _drop(result, field_path)
    return result


def _drop(node: Any, keys: tuple[str, ...]) -> None:
    head, rest = keys[0], keys[1:]
    for name, child in list(_children(node, head)):
        if rest:
            _drop(child, rest)
        elif isinstance(node, dict):
            del node[name]
    if not rest and isinstance(node, list) and head == "*":
        node.clear()


def _children(node: Any, key: str) -> Iterator[tuple[Any, Any]]:
    if isinstance(node, dict):
        if key == "*":
            yield from list(node.items())
        elif key in node:
            yield key, node[key]
    elif isinstance(node, list):
        if key == "*":
            yield from enumerate(node)
        elif key.isdigit() and int(key) < len(node):
            yield int(key), node[int(key)]


def _select(node: Any, keys: tuple[str, ...]) -> list[Any]:
    if not keys:
        return [node]
    return [v for _, child in _children(node, keys[0]) for v in _select(child, keys[1:])]


#: Which strings of a document are text whose numbers are compared as numbers, by kind (the
#: others are compared exactly): a notebook's outputs.
TEXT_WITH_NUMBERS: Mapping[str, Callable[[str], bool]] = MappingProxyType(
    {"notebook": lambda path: path.startswith("cells.") and ".outputs." in path}
)


def compare_values(
    old: Any,
    new: Any,
    spec: ReplicationSpec,
    text_with_numbers: Callable[[str], bool] = lambda path: False,
) -> tuple[Grade, list[Difference]]:
    """Compare two parsed JSON values: structure and strings exactly, numbers as numbers.

    Args:
        old: The committed document.
        new: The re-run's document.
        spec: The tolerances.
        text_with_numbers: Whether the string at a dotted path is text whose numbers are
            compared as numbers (:func:`compare_text`).

    A string under a key ``image/png`` (a notebook's image) is compared by its pixels.
    """
    walk = _Walk(spec, text_with_numbers, [])
    return walk.compare(old, new, ""), walk.out


@dataclass(frozen=True)
class _Walk:
    """One comparison of two documents: its rules and the differences found so far."""

    spec: ReplicationSpec
    text_with_numbers: Callable[[str], bool]
    out: list[Difference]

    def compare(self, old: Any, new: Any, path: str) -> Grade:
        """Grade the values at ``path``, recording each difference."""
        if isinstance(old, dict) and isinstance(new, dict):
            return self._mapping(old, new, path)
        if isinstance(old, list) and isinstance(new, list):
            return self._sequence(old, new, path)
        if isinstance(old, str) and isinstance(new, str):
            return self._string(old, new, path)
        if _is_number(old) and _is_number(new):
            return self._number(old, new, path)
        if type(old) is type(new) and old == new:
            return Grade.IDENTICAL
        return self._differs(path, _show(old), _show(new))

    def _differs(self, path: str, old: str, new: str, measure: str = "") -> Grade:
        self.out.append(Difference(path or "(document)", old, new, Grade.DIFFERS, measure))
        return Grade.DIFFERS

    def _mapping(self, old: dict, new: dict, path: str) -> Grade:
        grades = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key in old and key in new:
                grades.append(self.compare(old[key], new[key], sub))
            else:
                grades.append(self._differs(sub, _show(old.get(key)), _show(new.get(key))))
        return worst(grades)

    def _sequence(self, old: list, new: list, path: str) -> Grade:
        if len(old) != len(new):
            return self._differs(path, f"{len(old)} items", f"{len(new)} items")
        return worst(
            self.compare(a, b, f"{path}.{i}" if path else str(i))
            for i, (a, b) in enumerate(zip(old, new, strict=True))
        )

    def _string(self, old: str, new: str, path: str) -> Grade:
        if old == new:
            return Grade.IDENTICAL
        if path.endswith("image/png"):
            return _compare_embedded_png(old, new, self.spec, path, self.out)
        if not self.text_with_numbers(path):
            return self._differs(path, _show(old), _show(new))
        grade, found = compare_text(old, new, self.spec, drawing=path.endswith("image/svg+xml"))
        self.out.extend(
            Difference(f"{path}, {d.where}", d.committed, d.rerun, d.grade, d.measure)
            for d in found
        )
        return grade

    def _number(self, old: float, new: float, path: str) -> Grade:
        if isinstance(old, int) and isinstance(new, int):
            return Grade.IDENTICAL if old == new else self._differs(path, str(old), str(new))
        grade, measure = compare_numbers(float(old), float(new), self.spec)
        if grade is not Grade.EQUIVALENT:
            self.out.append(Difference(path, repr(old), repr(new), grade, measure))
        return grade


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 200 else text[:200] + "…"


def _compare_embedded_png(old: str, new: str, spec: ReplicationSpec, where: str,
                          out: list[Difference]) -> Grade:
    try:
        a, b = base64.b64decode(old), base64.b64decode(new)
    except (binascii.Error, ValueError):
        out.append(Difference(where, "(image)", "(image)", Grade.DIFFERS, "not base64"))
        return Grade.DIFFERS
    if a == b:
        return Grade.EQUIVALENT
    pixels = compare_pixels(a, b, spec)
    if pixels.grade is not Grade.EQUIVALENT:
        measure = f"RMS {pixels.distance:.3g}" if pixels.distance is not None else ""
        out.append(Difference(f"{where} ({pixels.summary})", "(image)", "(image)", pixels.grade,
                              measure))
    return pixels.grade


def _dropped_and_changed(old: Any, new: Any, fields: Sequence[tuple[str, ...]]) -> list[str]:
    return [".".join(f) for f in fields if _select(old, f) != _select(new, f)]


def _compare_documents(pair: _Pair, old: Any, new: Any) -> Comparison:
    fields = pair.spec.dropped_fields(pair.rel)
    grade, differences = compare_values(
        drop_fields(old, fields), drop_fields(new, fields), pair.spec,
        TEXT_WITH_NUMBERS.get(pair.kind, lambda path: False),
    )
    grade = worst([grade], Grade.EQUIVALENT)
    if grade is Grade.EQUIVALENT:
        changed = _dropped_and_changed(old, new, fields)
        summary = (
            f"equal once {', '.join(changed)} (no results; {pair.spec.source}) "
            f"{'is' if len(changed) == 1 else 'are'} dropped"
            if changed
            else "same content, other formatting"
        )
    else:
        counts = {g: sum(1 for d in differences if d.grade is g)
                  for g in (Grade.WITHIN_TOLERANCE, Grade.DIFFERS)}
        summary = (
            f"{counts[Grade.WITHIN_TOLERANCE]} value(s) within tolerance, "
            f"{counts[Grade.DIFFERS]} different"
        )
    return pair.result(grade, summary, differences)


def _unreadable(pair: _Pair, error: Exception) -> Comparison:
    return pair.result(Grade.DIFFERS, f"not readable ({error})",
                       [Difference("file", f"{len(pair.old)} bytes", f"{len(pair.new)} bytes",
                                   Grade.DIFFERS)])


def _compare_json(pair: _Pair) -> Comparison:
    try:
        old, new = json.loads(pair.old), json.loads(pair.new)
    except ValueError as error:
        return _unreadable(pair, error)
    return _compare_documents(pair, old, new)


def _compare_notebook(pair: _Pair) -> Comparison:
    try:
        old = nbformat.reads(pair.old.decode("utf-8"), as_version=4)
        new = nbformat.reads(pair.new.decode("utf-8"), as_version=4)
    except (ValueError, UnicodeDecodeError, nbformat.reader.NotJSONError) as error:
        return _unreadable(pair, error)
    return _compare_documents(pair, _plain(old), _plain(new))


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def canonical_svg(data: bytes, dropped: Sequence[str]) -> str:
    """The SVG without the ``dropped`` elements, canonicalised (C14N 2.0, text stripped).

    Raises:
        ValueError: Not well-formed XML.
    """
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ValueError(str(error)) from None
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] in dropped:
                parent.remove(child)
    return ElementTree.canonicalize(ElementTree.tostring(root, encoding="unicode"),
                                    strip_text=True)


def _compare_svg(pair: _Pair) -> Comparison:
    try:
        old = canonical_svg(pair.old, pair.spec.svg_elements)
        new = canonical_svg(pair.new, pair.spec.svg_elements)
    except ValueError as error:
        return _unreadable(pair, error)
    if old == new:
        whole = canonical_svg(pair.old, ()) != canonical_svg(pair.new, ())
        dropped = ", ".join(f"<{name}>" for name in pair.spec.svg_elements)
        summary = (f"equal once {dropped} (no results; {pair.spec.source}) is dropped" if whole
                   else "same drawing, other formatting")
        return pair.result(Grade.EQUIVALENT, summary)
    grade, differences = compare_text(old, new, pair.spec, drawing=True)
    grade = worst([grade], Grade.EQUIVALENT)
    summary = (
        f"{len(differences)} number(s) within tolerance" if grade is Grade.WITHIN_TOLERANCE
        else f"drawing differs: {differences[0].describe()}" if differences else "drawing differs"
    )
    return pair.result(grade, summary, differences)


def _compare_text_file(pair: _Pair) -> Comparison:
    old = pair.old.decode("utf-8", errors="replace")
    new = pair.new.decode("utf-8", errors="replace")
    if old.splitlines() == new.splitlines():
        return pair.result(Grade.EQUIVALENT, "same lines, other line endings")
    grade, differences = compare_text(old, new, pair.spec)
    summary = (f"{len(differences)} number(s) within tolerance"
               if grade is Grade.WITHIN_TOLERANCE else "text differs")
    return pair.result(grade, summary, differences)


def _compare_binary(pair: _Pair) -> Comparison:
    offset = next(
        (i for i, (a, b) in enumerate(zip(pair.old, pair.new, strict=False)) if a != b),
        min(len(pair.old), len(pair.new)),
    )
    return pair.result(
        Grade.DIFFERS,
        f"first differing byte at offset {offset}",
        [Difference(f"byte {offset}", f"{len(pair.old)} bytes", f"{len(pair.new)} bytes",
                    Grade.DIFFERS)],
    )


#: Comparer of each kind.
COMPARERS: Mapping[str, Callable[[_Pair], Comparison]] = MappingProxyType({
    "manifest": _compare_json,
    "json": _compare_json,
    "notebook": _compare_notebook,
    "table": _compare_csv,
    "image": _compare_png,
    "svg": _compare_svg,
    "text": _compare_text_file,
    "binary": _compare_binary,
})
