"""Tests of analysis.dataset.provenance: the statistics table checked against the raw report."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis import paths
from analysis.dataset.provenance import ProvenanceError, check_statistics
from analysis.dataset.source import ChecksumMismatchError

#: The row of the report's paragraph 38: child victims of pornography registered in 2014.
FACT = "police_victims_pornography_2014"


def edited_table(tmp_path: Path, column: str, value: str) -> Path:
    """A copy of the real statistics table with one field of :data:`FACT` changed."""
    with open(paths.STATISTICS_CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for row in rows:
        if row["fact_id"] == FACT:
            row[column] = value
    target = tmp_path / "report_statistics.csv"
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_the_committed_table_agrees_with_the_report():
    """Every committed row's evidence, value_text and value match the raw text."""
    check_statistics()


def test_a_hand_edited_value_is_refused(tmp_path):
    """746 changed to 1746: named by file, row, column and both values (issue 10, item 4)."""
    table = edited_table(tmp_path, "value", "1746")
    with pytest.raises(ProvenanceError) as caught:
        check_statistics(table)
    message = str(caught.value)
    with open(table, encoding="utf-8", newline="") as handle:
        # numbered as in a spreadsheet and Frictionless: the header is row 1
        row = 2 + [r["fact_id"] for r in csv.DictReader(handle)].index(FACT)
    assert str(table) in message and FACT in message
    assert f"row {row} " in message and "column value" in message
    assert "'1746'" in message and "'746'" in message


def test_edited_evidence_is_refused(tmp_path):
    """Evidence that is not the raw text at its offsets names both texts."""
    table = edited_table(tmp_path, "evidence", "from 614 to 1746,")
    with pytest.raises(ProvenanceError, match=r"column evidence: 'from 614 to 1746,'") as caught:
        check_statistics(table)
    assert "increased from 614 to 746," in str(caught.value)


def test_value_text_outside_the_evidence_is_refused(tmp_path):
    """A value_text that the evidence does not contain is refused."""
    table = edited_table(tmp_path, "value_text", "1746")
    with pytest.raises(ProvenanceError, match=r"column value_text: '1746'"):
        check_statistics(table)


def test_offsets_outside_the_report_are_refused(tmp_path):
    """Offsets beyond the end of the raw text are refused, naming the column."""
    table = edited_table(tmp_path, "char_end", "99999999")
    with pytest.raises(ProvenanceError, match="column char_start"):
        check_statistics(table)


def test_a_truncated_row_is_refused(tmp_path):
    """A row cut short (fewer fields than the header) is one clear error naming the row."""
    lines = paths.STATISTICS_CSV.read_text(encoding="utf-8").split("\n")
    lines[2] = lines[2].split(",")[0]  # the second data row keeps only its fact_id
    table = tmp_path / "report_statistics.csv"
    table.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ProvenanceError, match=r"csv: row 3 has too few or too many"):
        check_statistics(table)


def test_a_changed_raw_report_is_refused(tmp_path):
    """The raw report's checksum is verified before the table is compared with it."""
    raw = tmp_path / "raw.txt"
    raw.write_bytes(paths.RAW_REPORT.read_bytes() + b"\n")
    with pytest.raises(ChecksumMismatchError):
        check_statistics(paths.STATISTICS_CSV, raw, paths.RAW_REPORT_SHA256)
