"""Grading two tables cell by cell, rows matched by key; the claims' verdicts committed and re-run.

A CSV is parsed and its rows matched by their key: the ``primaryKey`` its Data Package declares
(``data/datapackage.json`` or ``figures/datapackage.json``), else the shortest run of leading
columns that is unique, else the row number. Each cell is graded by
:func:`analysis.pipeline.compare_text.compare_cell` (a column's declared type decides between
whole numbers, decimals and text). :func:`compare_claims` reads the claims table this way and
lists each claim's verdicts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from analysis.pipeline.compare_text import compare_cell
from analysis.pipeline.datapackage import DATAPACKAGE_NAME
from analysis.pipeline.replication import ClaimCheck, Difference, Grade, worst
from analysis.pipeline.replication_spec import ReplicationSpec

#: Longest run of leading columns tried as a table's row key.
MAX_KEY_COLUMNS = 3


@dataclass(frozen=True)
class KeyedRows:
    """A CSV read as text, its rows keyed.

    Attributes:
        header: The column names.
        key: The key columns (or ``("row number",)``).
        rows: Each row by its key, in file order.
    """

    header: tuple[str, ...]
    key: tuple[str, ...]
    rows: dict[tuple[str, ...], tuple[str, ...]]

    def value(self, key: tuple[str, ...], column: str) -> str:
        """The cell of row ``key`` in ``column`` (empty when the row is short)."""
        row = self.rows[key]
        index = self.header.index(column)
        return row[index] if index < len(row) else ""

    def describe(self, key: tuple[str, ...]) -> str:
        """The row's key as ``name=value, ...`` (``row number=3``)."""
        return ", ".join(f"{name}={value}" for name, value in zip(self.key, key, strict=True))


def read_records(data: bytes) -> list[list[str]]:
    """Parse CSV bytes (UTF-8) into records."""
    return list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))))


def count_cells(records: list[list[str]]) -> int:
    """The cells of a table below its header (rows × columns of the header)."""
    return len(records[1:]) * len(records[0]) if records else 0


def declared_schema(committed_root: Path, rel: str) -> tuple[list[str], dict[str, str]]:
    """The ``primaryKey`` and field types a Data Package declares for a table, if one does.

    The packages looked in are the ``datapackage.json`` files of the table's folder and of the
    folders above it, nearest first (``data/datapackage.json`` for ``data/processed/*``,
    ``figures/datapackage.json`` for the figures' CSVs), in the committed tree.
    """
    target = PurePosixPath(rel)
    for folder in target.parents:
        package = committed_root / folder / DATAPACKAGE_NAME
        try:
            resources = json.loads(package.read_text(encoding="utf-8")).get("resources", [])
        except (OSError, ValueError):
            continue
        for resource in resources:
            if (folder / str(resource.get("path", ""))) == target:
                schema = resource.get("schema", {})
                key = schema.get("primaryKey", [])
                types = {f.get("name"): f.get("type", "string") for f in schema.get("fields", [])}
                return ([key] if isinstance(key, str) else list(key)), types
    return [], {}


def _keyed(records: list[list[str]], key: Sequence[str]) -> KeyedRows | None:
    header, body = (tuple(records[0]), records[1:]) if records else ((), [])
    if not key or any(name not in header for name in key):
        return None
    where = [header.index(name) for name in key]
    rows = {tuple(row[i] if i < len(row) else "" for i in where): tuple(row) for row in body}
    return KeyedRows(header, tuple(key), rows) if len(rows) == len(body) else None


def keyed_rows(records: list[list[str]], key: Sequence[str] = ()) -> KeyedRows:
    """Key rows by ``key``, else by the shortest unique run of leading columns, else row number."""
    header = records[0] if records else []
    candidates = [list(key)] + [header[:n] for n in range(1, MAX_KEY_COLUMNS + 1)]
    for candidate in candidates:
        table = _keyed(records, candidate)
        if table is not None:
            return table
    return _numbered(records)


def _numbered(records: list[list[str]]) -> KeyedRows:
    header = tuple(records[0]) if records else ()
    rows = {(str(number),): tuple(row) for number, row in enumerate(records[1:], start=1)}
    return KeyedRows(header, ("row number",), rows)


@dataclass(frozen=True)
class TableComparison:
    """Two tables compared cell by cell.

    Attributes:
        grade: The worst grade of any cell, row or column.
        cells: The number of cells compared (rows in both × columns in both).
        key: The key columns rows were matched by.
        differences: Cells within tolerance or different; rows and columns removed or added.
        row_grades: The worst grade of each row, by key (rows in only one table: differs).
        old: The committed table.
        new: The re-run's table.
    """

    grade: Grade
    cells: int
    key: tuple[str, ...]
    differences: list[Difference]
    row_grades: dict[tuple[str, ...], Grade]
    old: KeyedRows
    new: KeyedRows


def compare_tables(
    old_records: list[list[str]],
    new_records: list[list[str]],
    spec: ReplicationSpec,
    key: Sequence[str] = (),
    types: dict[str, str] | None = None,
) -> TableComparison:
    """Compare two tables cell by cell, rows matched by key (see :func:`keyed_rows`)."""
    old = keyed_rows(old_records, key)
    new = _keyed(new_records, old.key) if old.key != ("row number",) else None
    if new is None:  # the re-run's rows cannot be matched by that key: match them by number
        old, new = _numbered(old_records), _numbered(new_records)
    types = types or {}
    columns = [c for c in old.header if c in new.header]
    differences: list[Difference] = []
    row_grades: dict[tuple[str, ...], Grade] = {}
    for name in old.header:
        if name not in new.header:
            differences.append(Difference(f"column {name}", "present", "absent", Grade.DIFFERS))
    for name in new.header:
        if name not in old.header:
            differences.append(Difference(f"column {name}", "absent", "present", Grade.DIFFERS))
    cells = 0
    for row_key in old.rows:
        if row_key not in new.rows:
            row_grades[row_key] = Grade.DIFFERS
            differences.append(Difference(f"row {old.describe(row_key)}", "present", "absent",
                                          Grade.DIFFERS))
            continue
        row = []
        for column in columns:
            before, after = old.value(row_key, column), new.value(row_key, column)
            grade, measure = compare_cell(before, after, spec, types.get(column))
            cells += 1
            row.append(grade)
            if grade in (Grade.WITHIN_TOLERANCE, Grade.DIFFERS):
                where = f"row {old.describe(row_key)}, column {column}"
                differences.append(Difference(where, before, after, grade, measure))
        row_grades[row_key] = worst(row)
    for row_key in new.rows:
        if row_key not in old.rows:
            row_grades[row_key] = Grade.DIFFERS
            differences.append(Difference(f"row {new.describe(row_key)}", "absent", "present",
                                          Grade.DIFFERS))
    grade = worst((d.grade for d in differences), Grade.EQUIVALENT)
    return TableComparison(grade, cells, old.key, differences, row_grades, old, new)


def compare_claims(
    committed_root: Path, rerun_root: Path, spec: ReplicationSpec
) -> tuple[ClaimCheck, ...]:
    """Each claim of the claims table: its verdicts committed and re-run, its row's grade.

    Returns:
        One check per claim in either table (none when the committed tree has no claims
        table).
    """
    table = spec.claims
    old_path, new_path = committed_root / table.table, rerun_root / table.table
    if not old_path.is_file():
        return ()
    old_records = read_records(old_path.read_bytes())
    new_records = read_records(new_path.read_bytes()) if new_path.is_file() else old_records[:1]
    compared = compare_tables(old_records, new_records, spec, [table.key])
    checks = []
    for row_key in list(compared.old.rows) + [k for k in compared.new.rows
                                              if k not in compared.old.rows]:
        checks.append(
            ClaimCheck(
                claim=" ".join(row_key),
                committed=_verdicts(compared.old, row_key, table.verdicts),
                rerun=_verdicts(compared.new, row_key, table.verdicts),
                grade=compared.row_grades[row_key],
            )
        )
    return tuple(checks)


def _verdicts(rows: KeyedRows, key: tuple[str, ...], columns: Sequence[str]) -> tuple:
    if key not in rows.rows:
        return ()
    return tuple((c, rows.value(key, c)) for c in columns if c in rows.header)
