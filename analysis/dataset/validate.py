"""Validate the processed statistics table and load it with proper types.

The checks mirror the Table Schema in ``data/datapackage.json`` but report problems in the
terms a person editing the CSV needs: the file, the row (as numbered in the file, header =
line 1) and the column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.dataset.extract import STATISTICS_COLUMNS, UNIT_CODES
from analysis.dataset.numerals import QUALIFIER_CODES

_INTEGER = re.compile(r"\d+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FACT_ID = re.compile(r"[a-z][a-z0-9_]*")


class DatasetValidationError(ValueError):
    """The statistics table breaks its schema; the message names file, row and column."""


def validate_statistics(frame: pd.DataFrame, source: str = "report_statistics.csv") -> None:
    """Check the statistics table as read from CSV (all columns as strings).

    Args:
        frame: The table, read with ``dtype=str, keep_default_na=False``.
        source: Name of the file, for messages.

    Raises:
        DatasetValidationError: A missing or unexpected column, an empty or duplicate
            ``fact_id``, a value that is not a non-negative number, a count that is not
            whole, a percentage over 100, an unknown unit or qualifier, a paragraph outside
            1-74, a malformed footnote, year or offset, or empty evidence. The message names
            the row (file line number) and the column.
    """
    missing = [c for c in STATISTICS_COLUMNS if c not in frame.columns]
    if missing:
        raise DatasetValidationError(f"{source}: missing column(s) {missing}")
    extra = [c for c in frame.columns if c not in STATISTICS_COLUMNS]
    if extra:
        raise DatasetValidationError(f"{source}: unexpected column(s) {extra}")
    seen: dict[str, int] = {}
    for position, row in enumerate(frame.to_dict("records")):
        line = position + 2

        def fail(
            column: str, problem: str, line: int = line, row: dict = row
        ) -> DatasetValidationError:
            return DatasetValidationError(
                f"{source}: row {line} (fact_id {row.get('fact_id')!r}), column "
                f"'{column}': {problem}"
            )

        fact_id = str(row["fact_id"])
        if not _FACT_ID.fullmatch(fact_id):
            raise fail("fact_id", f"must be lower_snake_case, got {fact_id!r}")
        if fact_id in seen:
            raise fail("fact_id", f"duplicate of row {seen[fact_id]}")
        seen[fact_id] = line
        unit, value = str(row["unit"]), str(row["value"])
        if unit not in UNIT_CODES:
            raise fail("unit", f"must be one of {list(UNIT_CODES)}, got {unit!r}")
        if str(row["qualifier"]) not in QUALIFIER_CODES:
            raise fail("qualifier", f"must be one of {list(QUALIFIER_CODES)}, got "
                                    f"{row['qualifier']!r}")
        if not _NUMBER.fullmatch(value):
            raise fail("value", f"must be a non-negative number, got {value!r}")
        if unit in {"count", "rank"} and not _INTEGER.fullmatch(value):
            raise fail("value", f"a {unit} must be a whole number, got {value!r}")
        if unit == "percent" and float(value) > 100:
            raise fail("value", f"a percentage must not exceed 100, got {value!r}")
        paragraph = str(row["paragraph"])
        if not _INTEGER.fullmatch(paragraph) or not 1 <= int(paragraph) <= 74:
            raise fail("paragraph", f"must be a paragraph number 1-74, got {paragraph!r}")
        for column in ("footnote", "year"):
            if str(row[column]) and not _INTEGER.fullmatch(str(row[column])):
                raise fail(column, f"must be empty or a whole number, got {row[column]!r}")
        year = str(row["year"])
        if year and not 1990 <= int(year) <= 2016:
            raise fail("year", f"must lie in 1990-2016, got {year!r}")
        for column in ("char_start", "char_end"):
            if not _INTEGER.fullmatch(str(row[column])):
                raise fail(column, f"must be a character offset, got {row[column]!r}")
        if int(row["char_start"]) >= int(row["char_end"]):
            raise fail("char_end", "must be greater than char_start")
        for column in ("topic", "indicator", "evidence", "value_text", "source_body",
                       "counting_unit"):
            if not str(row[column]).strip():
                raise fail(column, "must not be empty")


def load_statistics(path: Path = paths.STATISTICS_CSV) -> pd.DataFrame:
    """Read, validate and type the statistics table.

    Args:
        path: The CSV file.

    Returns:
        The table with ``value`` as float, ``year``/``footnote`` as nullable integers,
        ``paragraph``/``char_start``/``char_end`` as integers, other columns as strings.

    Raises:
        DatasetValidationError: See :func:`validate_statistics`.
        FileNotFoundError: The file does not exist (run ``python -m analysis extract``).
    """
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    validate_statistics(frame, source=str(path))
    typed = frame.copy()
    typed["value"] = typed["value"].astype(float)
    for column in ("paragraph", "char_start", "char_end"):
        typed[column] = typed[column].astype(int)
    for column in ("year", "footnote"):
        typed[column] = pd.array(
            [int(v) if v else pd.NA for v in typed[column]], dtype="Int64"
        )
    return typed
