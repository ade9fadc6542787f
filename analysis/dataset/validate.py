"""Validate the processed statistics table and load it with proper types.

Validation has two parts, both reporting the file, the row (as numbered in the file,
header = line 1) and the column:

* the Table Schema of :data:`analysis.dataset.schema.STATISTICS` (types, required cells,
  enums, ranges, patterns, unique ids), checked row by row by Frictionless;
* the rules that relate cells to each other, which a Table Schema cannot express
  (:data:`ROW_RULES`): a count is whole, a percentage is at most 100, an evidence span ends
  after it starts, ``duplicate_of`` names another existing row with the same value, an
  ``ambiguous`` row has a note and a plain one no alternative, ``inferred`` names columns,
  a ``breakdown`` names a column the row fills.

:func:`load_statistics` skips the (slow to import) Frictionless pass when the file is
byte-identical to the one ``data/datapackage.json`` records: that file was validated when
it was built. Any other file, or an edited one, is validated in full.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.dataset.schema import STATISTICS, STATISTICS_COLUMNS
from analysis.io import sha256_file
from analysis.tableschema import Table

#: A cross-field rule: (column, check(row, table) -> problem or "").
RowRule = tuple[str, Callable[[dict[str, str], pd.DataFrame], str]]


class DatasetValidationError(ValueError):
    """A processed table breaks its schema; the message names file, row and column."""


def _whole_count(row: dict[str, str], table: pd.DataFrame) -> str:
    value = row["value"]
    if row["unit"] in {"count", "rank"} and not float(value).is_integer():
        return f"a {row['unit']} must be a whole number, got {value!r}"
    return ""


def _percent_at_most_100(row: dict[str, str], table: pd.DataFrame) -> str:
    if row["unit"] == "percent" and float(row["value"]) > 100:
        return f"a percentage must not exceed 100, got {row['value']!r}"
    return ""


def _span_order(row: dict[str, str], table: pd.DataFrame) -> str:
    if int(row["char_start"]) >= int(row["char_end"]):
        return "must be greater than char_start"
    return ""


def _duplicate_target(row: dict[str, str], table: pd.DataFrame) -> str:
    target = row["duplicate_of"]
    if not target:
        return ""
    if target == row["fact_id"]:
        return "must name another row, not the row itself"
    match = table[table["fact_id"] == target]
    if match.empty:
        return f"names {target!r}, which is not a fact_id of this table"
    if float(match["value"].iloc[0]) != float(row["value"]):
        return f"names {target!r}, whose value {match['value'].iloc[0]} differs"
    if match["duplicate_of"].iloc[0]:
        return f"names {target!r}, itself a duplicate; point at the counted statement"
    return ""


def _ambiguous_has_note(row: dict[str, str], table: pd.DataFrame) -> str:
    if row["reading"] == "ambiguous" and not row["note"].strip():
        return "an ambiguous row needs a note giving both readings"
    return ""


def _alternatives_only_if_ambiguous(row: dict[str, str], table: pd.DataFrame) -> str:
    alternatives = [c for c in ("alt_value", "alt_qualifier", "alt_scope") if row[c]]
    if row["reading"] == "ambiguous" and not alternatives:
        return "an ambiguous row needs alt_value, alt_qualifier or alt_scope"
    if row["reading"] == "plain" and alternatives:
        return f"a plain row has no other reading, but {alternatives} are filled"
    return ""


def _breakdown_has_category(row: dict[str, str], table: pd.DataFrame) -> str:
    breakdown = row["breakdown"]
    if breakdown and not row[breakdown]:
        return f"breakdown {breakdown!r} needs the row's category in column '{breakdown}'"
    return ""


def _inferred_names_columns(row: dict[str, str], table: pd.DataFrame) -> str:
    unknown = [name for name in row["inferred"].split() if name not in STATISTICS_COLUMNS]
    return f"names unknown column(s) {unknown}" if unknown else ""


#: Cross-field rules of the statistics table, checked after the Table Schema.
ROW_RULES: tuple[RowRule, ...] = (
    ("value", _whole_count),
    ("value", _percent_at_most_100),
    ("char_end", _span_order),
    ("duplicate_of", _duplicate_target),
    ("note", _ambiguous_has_note),
    ("reading", _alternatives_only_if_ambiguous),
    ("inferred", _inferred_names_columns),
    ("breakdown", _breakdown_has_category),
)


def _schema_errors(text: str, table: Table) -> Iterator[tuple[int | None, str, str]]:
    """Yield (file row, column, problem) for every Table Schema error Frictionless finds."""
    # Imported here because Frictionless takes about a second to import and is needed only
    # when a table has to be validated (never on the fast path of load_statistics).
    from frictionless import Resource, Schema

    resource = Resource(
        data=text.encode("utf-8"),
        format="csv",
        encoding="utf-8",
        schema=Schema.from_descriptor(table.schema_descriptor()),
    )
    for error in resource.validate().flatten(["rowNumber", "fieldName", "type", "note", "cell"]):
        row, column, kind, note, cell = error
        got = f", got {cell!r}" if cell is not None else ""
        yield row, column or table.primary_key, f"{kind}: {note}{got}"


def validate_statistics_text(text: str, source: str = "report_statistics.csv") -> None:
    """Check the statistics table given as CSV text (see :func:`validate_statistics`)."""
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    validate_statistics(frame, source=source, text=text)


def validate_statistics(
    frame: pd.DataFrame, source: str = "report_statistics.csv", text: str | None = None
) -> None:
    """Check the statistics table as read from CSV (all columns as strings).

    Args:
        frame: The table, read with ``dtype=str, keep_default_na=False``.
        source: Name of the file, for messages.
        text: The CSV text the frame was read from (re-rendered from ``frame`` if omitted).

    Raises:
        DatasetValidationError: A missing, unexpected or misplaced column; a cell that breaks
            the Table Schema (type, required, enum, range, pattern, unique ``fact_id``); or a
            row that breaks one of :data:`ROW_RULES`. The message names the file, the row
            (file line number) and the column, and counts any further problems.
    """
    columns = list(frame.columns)
    missing = [c for c in STATISTICS_COLUMNS if c not in columns]
    if missing:
        raise DatasetValidationError(f"{source}: missing column(s) {missing}")
    extra = [c for c in columns if c not in STATISTICS_COLUMNS]
    if extra:
        raise DatasetValidationError(f"{source}: unexpected column(s) {extra}")
    if columns != list(STATISTICS_COLUMNS):
        raise DatasetValidationError(f"{source}: columns must be in the order {STATISTICS_COLUMNS}")
    if text is None:
        text = frame.to_csv(index=False, lineterminator="\n")
    problems = list(_schema_errors(text, STATISTICS))
    if not problems:
        problems = list(_row_rule_errors(frame))
    if problems:
        row, column, problem = problems[0]
        fact_id = frame["fact_id"].iloc[row - 2] if row and 2 <= row < len(frame) + 2 else None
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise DatasetValidationError(
            f"{source}: row {row} (fact_id {fact_id!r}), column '{column}': {problem}{more}"
        )


def _row_rule_errors(frame: pd.DataFrame) -> Iterator[tuple[int, str, str]]:
    for position, row in enumerate(frame.to_dict("records")):
        for column, rule in ROW_RULES:
            problem = rule(row, frame)
            if problem:
                yield position + 2, column, problem


def _validated_digest(path: Path) -> str | None:
    """The SHA-256 the data package records for ``path``, if it describes that file."""
    if not paths.DATAPACKAGE.is_file():
        return None
    descriptor = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    for resource in descriptor.get("resources", []):
        if (paths.DATA_DIR / resource["path"]).resolve() == path.resolve():
            return str(resource.get("hash", "")).removeprefix("sha256:")
    return None


def load_statistics(path: Path = paths.STATISTICS_CSV) -> pd.DataFrame:
    """Read, validate and type the statistics table.

    Args:
        path: The CSV file.

    Returns:
        The table with ``value`` as float, ``alt_value`` as float (NaN when empty),
        ``year``/``footnote`` as nullable integers, ``paragraph``/``char_start``/``char_end``
        as integers, other columns as strings.

    Raises:
        DatasetValidationError: See :func:`validate_statistics`.
        FileNotFoundError: The file does not exist (run ``python -m analysis extract``).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if _validated_digest(path) != sha256_file(path):
        validate_statistics(frame, source=str(path), text=text)
    typed = frame.copy()
    typed["value"] = typed["value"].astype(float)
    typed["alt_value"] = [float(v) if v else float("nan") for v in typed["alt_value"]]
    for column in ("paragraph", "char_start", "char_end"):
        typed[column] = typed[column].astype(int)
    for column in ("year", "footnote"):
        typed[column] = pd.array(
            [int(v) if v else pd.NA for v in typed[column]], dtype="Int64"
        )
    return typed


def validate_table_text(text: str, table: Table, source: str | None = None) -> None:
    """Check any processed table, given as CSV text, against its Table Schema.

    Args:
        text: The CSV text.
        table: Its schema (see :data:`analysis.dataset.schema.TABLES`).
        source: Name of the file, for messages (default: the table's file name).

    Raises:
        DatasetValidationError: The first problem Frictionless finds, naming the file, the
            row and the column.
    """
    problems = list(_schema_errors(text, table))
    if problems:
        row, column, problem = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise DatasetValidationError(
            f"{source or table.filename}: row {row}, column '{column}': {problem}{more}"
        )
