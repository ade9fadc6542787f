"""Check the processed statistics table against the raw report before anything uses it.

Each row of ``data/processed/report_statistics.csv`` carries its own provenance: the words of
the report it came from (``evidence``), where they are (``char_start``:``char_end`` in the raw
text), and the figure as printed (``value_text``). :func:`check_statistics` re-reads the raw
report and refuses a table whose rows no longer agree with it, so that a hand-edited value
(746 changed to 1746, say) is caught before a notebook plots it. ``python -m analysis run``
calls it before any kernel starts.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.dataset.numerals import NumberParseError, parse_number
from analysis.dataset.source import read_raw_text
from analysis.io import format_value

#: Columns a provenance check reads.
PROVENANCE_COLUMNS: tuple[str, ...] = ("value", "value_text", "evidence", "char_start", "char_end")


class ProvenanceError(ValueError):
    """A row of the statistics table disagrees with the raw report."""


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between a row and the report.

    Attributes:
        line: The row's line number in the CSV file (the header is line 1).
        fact_id: The row's ``fact_id``.
        column: The column that disagrees.
        found: The value in the table.
        expected: What the report (or the row's own ``value_text``) says.
        why: How ``expected`` was obtained.
    """

    line: int
    fact_id: str
    column: str
    found: str
    expected: str
    why: str

    def message(self, table: Path) -> str:
        """One line naming the file, row, column and both values."""
        return (
            f"{table}: row {self.line} ({self.fact_id}), column {self.column}: "
            f"{self.found!r} in the table, but {self.why} {self.expected!r}"
        )


def check_statistics(
    table: Path = paths.STATISTICS_CSV,
    raw: Path = paths.RAW_REPORT,
    expected_sha256: str | None = None,
) -> None:
    """Refuse a statistics table whose rows disagree with the raw report.

    Args:
        table: The statistics CSV.
        raw: The raw report (its checksum is verified, see
            :func:`analysis.dataset.source.read_raw_text`).
        expected_sha256: The raw report's digest (default: the recorded one).

    Raises:
        ProvenanceError: The first mismatch, naming the file, row, column and both values;
            also a missing column, a row with too few or too many fields, or an unreadable
            file.
        analysis.dataset.source.ChecksumMismatchError: The raw report changed.
    """
    text = read_raw_text(raw, expected_sha256)
    for mismatch in find_mismatches(table, text):
        raise ProvenanceError(mismatch.message(table))


def find_mismatches(table: Path, text: str) -> Iterator[Mismatch]:
    """Yield every disagreement between the rows of ``table`` and the report ``text``."""
    try:
        with open(table, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = rows[0].keys() if rows else []
    except OSError as error:
        raise ProvenanceError(f"cannot read {table}: {error.strerror}") from None
    missing = [c for c in PROVENANCE_COLUMNS if rows and c not in header]
    if missing:
        raise ProvenanceError(f"{table}: missing column(s) {', '.join(missing)}")
    for line, row in enumerate(rows, start=2):
        if None in row or None in row.values():  # csv.DictReader's marks of a ragged row
            raise ProvenanceError(f"{table}: row {line} has too few or too many fields")
        yield from _row_mismatches(line, row, text)


def _row_mismatches(line: int, row: dict[str, str], text: str) -> Iterator[Mismatch]:
    fact = row.get("fact_id", "")
    start, end = row["char_start"], row["char_end"]
    if not (start.isdigit() and end.isdigit() and int(start) < int(end) <= len(text)):
        yield Mismatch(line, fact, "char_start", f"{start}:{end}", f"0:{len(text)}",
                       "offsets must lie within the report, which spans")
        return
    at_offsets = text[int(start) : int(end)]
    if row["evidence"] != at_offsets:
        yield Mismatch(line, fact, "evidence", row["evidence"], at_offsets,
                       f"the report at {start}:{end} says")
    if row["value_text"] not in row["evidence"]:
        yield Mismatch(line, fact, "value_text", row["value_text"], row["evidence"],
                       "it does not occur in the row's evidence")
    try:
        parsed = parse_number(row["value_text"]).value
    except NumberParseError:
        yield Mismatch(line, fact, "value_text", row["value_text"], "a number",
                       "the report's words do not parse as")
        return
    if not _same_number(row["value"], parsed):
        yield Mismatch(line, fact, "value", row["value"], format_value(parsed),
                       f"its value_text {row['value_text']!r} reads as")


def _same_number(found: str, parsed: int | float) -> bool:
    try:
        value = float(found)
    except ValueError:
        return False
    return math.isclose(value, parsed, rel_tol=1e-12, abs_tol=0.0)
