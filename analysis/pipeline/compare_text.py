"""Grading two numbers, two table cells or two texts with numbers in them.

The rules every kind of output shares (:mod:`analysis.pipeline.compare`): whole numbers and
text are compared exactly, decimal numbers within the declared ``rtol``/``atol``
(``replication.yaml``), and a number of an SVG drawing also within ``drawing_atol`` as written.
A text is graded word by word, its numbers as numbers.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from analysis.pipeline.replication import Difference, Grade, worst
from analysis.pipeline.replication_spec import ReplicationSpec

#: A number in text: an integer or a decimal, with an optional exponent.
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_INTEGER = re.compile(r"[-+]?\d+")
#: A number written without an exponent, as :func:`_written_gap` compares them.
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")


def compare_numbers(old: float, new: float, spec: ReplicationSpec) -> tuple[Grade, str]:
    """Grade two decimal numbers: equal, within ``rtol``/``atol``, or different."""
    if old == new or (math.isnan(old) and math.isnan(new)):
        return Grade.EQUIVALENT, ""
    close = math.isclose(new, old, rel_tol=spec.rtol, abs_tol=spec.atol)
    if math.isfinite(old) and math.isfinite(new):
        gap = abs(new - old)
        measure = f"relative difference {gap / abs(old):.2g}" if old else f"difference {gap:.2g}"
    else:
        measure = ""
    return (Grade.WITHIN_TOLERANCE if close else Grade.DIFFERS), measure


def _integer(text: str) -> int | None:
    return int(text) if _INTEGER.fullmatch(text.strip()) else None


def _decimal(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def compare_cell(
    old: str, new: str, spec: ReplicationSpec, declared: str | None = None
) -> tuple[Grade, str]:
    """Grade two cells of a table (or two numbers in text).

    Args:
        old: The committed text.
        new: The re-run's text.
        spec: The tolerances.
        declared: The column's Table Schema type when one is declared (``integer``,
            ``number``, ``string``, ...); ``None`` to tell from the values: two whole-number
            literals are compared exactly, two numbers of which one is a decimal within the
            tolerances, anything else as text.

    Returns:
        ``identical`` (same text), ``equivalent`` (same value once parsed), ``within
        tolerance`` or ``differs``, and how far apart two numbers are.
    """
    if old == new:
        return Grade.IDENTICAL, ""
    if declared in (None, "integer"):
        a, b = _integer(old), _integer(new)
        if a is not None and b is not None:
            return (Grade.EQUIVALENT, "") if a == b else (Grade.DIFFERS, f"difference {b - a:+d}")
    if declared in (None, "number"):
        x, y = _decimal(old), _decimal(new)
        if x is not None and y is not None:
            return compare_numbers(x, y, spec)
    return Grade.DIFFERS, ""


def compare_text(
    old: str, new: str, spec: ReplicationSpec, *, drawing: bool = False
) -> tuple[Grade, list[Difference]]:
    """Grade two texts whose numbers may differ: the words exactly, the numbers as numbers.

    Args:
        old: The committed text.
        new: The re-run's text.
        spec: The tolerances.
        drawing: The texts are SVG drawings: two numbers are also within tolerance when, as
            written, they are at most ``spec.drawing_atol`` apart.

    Returns:
        The grade and the differences: each pair of numbers that is not equal, or the first
        place where the words differ.
    """
    if old == new:
        return Grade.IDENTICAL, []
    old_words, new_words = _NUMBER.split(old), _NUMBER.split(new)
    if old_words != new_words:
        return Grade.DIFFERS, [_first_text_difference(old, new)]
    differences, grades = [], []
    old_numbers, new_numbers = _NUMBER.findall(old), _NUMBER.findall(new)
    for index, (a, b) in enumerate(zip(old_numbers, new_numbers, strict=True)):
        grade, measure = compare_cell(a, b, spec)
        gap = _written_gap(a, b) if drawing and grade is Grade.DIFFERS else None
        if gap is not None and gap <= Decimal(repr(spec.drawing_atol)):
            grade, measure = Grade.WITHIN_TOLERANCE, f"{gap} apart as written"
        grades.append(grade)
        if grade in (Grade.WITHIN_TOLERANCE, Grade.DIFFERS):
            differences.append(Difference(f"number {index + 1}", a, b, grade, measure))
    return worst(grades, Grade.EQUIVALENT), differences


def _written_gap(old: str, new: str) -> Decimal | None:
    """How far apart two numbers are as written, exactly (decimal, not binary, arithmetic).

    ``None`` for a number written with an exponent.
    """
    if not _PLAIN_NUMBER.fullmatch(old) or not _PLAIN_NUMBER.fullmatch(new):
        return None
    return abs(Decimal(new) - Decimal(old))


def _first_text_difference(old: str, new: str, context: int = 30) -> Difference:
    offset = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )
    start = max(0, offset - context)
    line = old.count("\n", 0, offset) + 1
    return Difference(
        f"line {line}, character {offset - (old.rfind(chr(10), 0, offset) + 1) + 1}",
        repr(old[start : offset + context]),
        repr(new[start : offset + context]),
        Grade.DIFFERS,
    )
