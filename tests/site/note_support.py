"""Test-only: what a value of the note should read.

Computed from the CSVs with ``csv`` and Python's ``format``, never through
:mod:`analysis.site.values`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from analysis import paths

#: Reference prefix -> (file, key column) of the keyed tables.
KEYED = {
    "fact": (paths.PROCESSED_DIR / "report_statistics.csv", "fact_id"),
    "check": (paths.PROCESSED_DIR / "cross_checks.csv", "check_id"),
    "claims": (paths.FIGURES_DIR / "claims.csv", "claim_id"),
}


def rows(path: Path) -> list[dict[str, str]]:
    """A CSV's rows."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected(cell: str, spec: str) -> str:
    """A cell as a format declares it.

    ``p`` is checked as two significant digits (the note's p-values are far from 0 and 1);
    the named formats ``words``/``list`` are not handled here.
    """
    if not spec:
        return cell
    if spec == "p":
        return f"{float(cell):.2g}"
    number = float(cell)
    if spec.startswith("abs"):
        number, spec = abs(number), spec[3:]
    if spec.endswith("d"):
        return format(int(number), spec)
    return format(number, spec)


def expected_cell(reference: str) -> str | None:
    """What a single-cell reference to a keyed table reads.

    None for other references (filters, counts, lists, words, figure data).
    """
    parts = reference.split(":")
    table, key, column = parts[:3]
    spec = parts[3] if len(parts) > 3 else ""
    if table not in KEYED or "=" in key or key == "*" or column == "#" or spec in {
        "list", "words", "Words"
    }:
        return None
    path, key_column = KEYED[table]
    (row,) = [row for row in rows(path) if row[key_column] == key]
    return expected(row[column], spec)
