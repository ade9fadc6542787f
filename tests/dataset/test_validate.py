"""Tests of the processed table's validation and of the Frictionless data package."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.dataset.datapackage import validate_with_frictionless
from analysis.dataset.schema import TABLES
from analysis.dataset.validate import DatasetValidationError, load_statistics, validate_statistics


@pytest.fixture()
def table() -> pd.DataFrame:
    """The committed statistics table as strings."""
    return pd.read_csv(paths.STATISTICS_CSV, dtype=str, keep_default_na=False)


def _row_of(table: pd.DataFrame, fact_id: str) -> int:
    return int(table.index[table["fact_id"] == fact_id][0])


def test_committed_table_is_valid(table: pd.DataFrame) -> None:
    """The committed CSV passes validation."""
    validate_statistics(table)


def test_missing_column(table: pd.DataFrame) -> None:
    """A dropped column is named."""
    with pytest.raises(DatasetValidationError, match=r"missing column\(s\) \['evidence'\]"):
        validate_statistics(table.drop(columns="evidence"))


@pytest.mark.parametrize(
    ("fact_id", "column", "bad", "message"),
    [
        ("police_victims_pornography_2010", "value", "six hundred", "type is \"number"),
        ("police_victims_pornography_2010", "value", "-614", '"minimum" is "0"'),
        ("police_victims_pornography_2010", "value", "614.5", "whole number"),
        ("sia_share_obscene", "value", "162", "must not exceed 100"),
        ("sia_share_obscene", "unit", "percentage", '"enum"'),
        ("sia_share_obscene", "qualifier", "roughly", '"enum"'),
        ("ihc_reports_2014", "paragraph", "75", '"maximum" is "74"'),
        ("ihc_reports_2014", "year", "20144", '"maximum" is "2016"'),
        ("ihc_reports_2014", "evidence", "", '"required"'),
        # Bad input named by the dataset issue: unknown offence, broken duplicate_of,
        # ambiguous row without a note, unknown inferred column.
        ("osaka_abuse_cases", "offence", "child trafficking", '"enum"'),
        ("victims_girls_2014_fn3", "duplicate_of", "no_such_fact", "not a fact_id"),
        ("victims_girls_2014_fn3", "duplicate_of", "victims_girls_2014_fn3",
         "not the row itself"),
        ("victims_girls_2014_fn3", "duplicate_of", "police_victims_boys_2014", "differs"),
        ("osaka_visits", "note", "", "needs a note"),
        ("population_total", "reading", "unclear", '"enum"'),
        ("sia_share_obscene", "inferred", "source_body colour", "unknown column"),
        # A breakdown outside the controlled list, or one whose category column is empty.
        ("population_total", "breakdown", "region", '"enum"'),
        ("population_total", "breakdown", "sex", "needs the row's category in column 'sex'"),
    ],
)
def test_bad_cell_names_row_and_column(
    table: pd.DataFrame, fact_id: str, column: str, bad: str, message: str
) -> None:
    """A hand-edited bad cell is reported with its file row (header = 1) and column."""
    index = _row_of(table, fact_id)
    table.loc[index, column] = bad
    with pytest.raises(DatasetValidationError) as error:
        validate_statistics(table, source="edited.csv")
    text = str(error.value)
    assert f"edited.csv: row {index + 2}" in text and f"column '{column}'" in text
    assert message in text


@pytest.mark.parametrize(
    ("fact_id", "column", "bad", "message"),
    [
        ("osaka_visits", "alt_qualifier", "", "needs alt_value, alt_qualifier or alt_scope"),
        ("population_total", "alt_scope", "Japan and Okinawa", "plain row has no other"),
    ],
)
def test_reading_and_alternatives_agree(
    table: pd.DataFrame, fact_id: str, column: str, bad: str, message: str
) -> None:
    """An ambiguous row without its other reading, or a plain row with one, is named.

    The message names the row and the ``reading`` column.
    """
    index = _row_of(table, fact_id)
    table.loc[index, column] = bad
    with pytest.raises(DatasetValidationError, match=rf"row {index + 2} .*'reading': .*{message}"):
        validate_statistics(table)


def test_duplicate_fact_id(table: pd.DataFrame) -> None:
    """A duplicated fact_id names the row and the column."""
    table.loc[5, "fact_id"] = table.loc[4, "fact_id"]
    with pytest.raises(DatasetValidationError, match=r"row 7 .*'fact_id': unique-error"):
        validate_statistics(table)


def test_misordered_columns(table: pd.DataFrame) -> None:
    """Columns follow the schema's order."""
    columns = list(table.columns)
    columns[0], columns[1] = columns[1], columns[0]
    with pytest.raises(DatasetValidationError, match="columns must be in the order"):
        validate_statistics(table[columns])


def test_load_statistics_validates_an_edited_copy(tmp_path: Path) -> None:
    """A CSV that is not the validated one is validated in full when loaded."""
    text = paths.STATISTICS_CSV.read_text(encoding="utf-8")
    edited = tmp_path / "edited.csv"
    edited.write_text(text.replace(",96,percent,", ",196,percent,", 1), encoding="utf-8")
    with pytest.raises(DatasetValidationError, match="edited.csv: row .*must not exceed 100"):
        load_statistics(edited)


def test_load_statistics_types() -> None:
    """load_statistics returns numeric values and nullable integer years."""
    stats = load_statistics()
    assert stats["value"].dtype == float
    assert str(stats["year"].dtype) == "Int64"


def test_frictionless_validates_the_package() -> None:
    """Frictionless validates data/datapackage.json (schema, constraints, hashes)."""
    report = validate_with_frictionless()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_cli_validates_the_package() -> None:
    """``frictionless validate data/datapackage.json`` exits 0 (the command line, as documented).

    The package describes the new columns: subject_body and breakdown, with the breakdown enum.
    """
    cli = Path(sys.executable).with_name("frictionless")
    done = subprocess.run([str(cli), "validate", str(paths.DATAPACKAGE)], cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INVALID" not in done.stdout
    descriptor = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    statistics = next(r for r in descriptor["resources"] if r["name"] == "report-statistics")
    fields = {f["name"]: f for f in statistics["schema"]["fields"]}
    assert fields["breakdown"]["constraints"]["enum"] == [
        "offence", "sex", "age_group", "content_type", "sentence"]
    assert "caseload" in fields["subject_body"]["description"]


def test_readme_data_dictionary_covers_every_column() -> None:
    """Every column of report_statistics.csv has a line in the README's data dictionary."""
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### `data/processed/report_statistics.csv`")
    dictionary = readme[start : readme.index("### Other tables", start)]
    documented = set(re.findall(r"^\| ([^|]+) \|", dictionary, flags=re.MULTILINE))
    names = {name for cell in documented for name in re.findall(r"`([a-z_]+)`", cell)}
    assert set(TABLES["report_statistics.csv"].columns) <= names


def test_frictionless_catches_a_bad_edit(tmp_path: Path) -> None:
    """A percentage over 100 in a copy of the package is caught by frictionless too."""
    root = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, root)
    csv = root / "processed" / "report_statistics.csv"
    text = csv.read_text(encoding="utf-8").replace(",96,percent,", ",196,percent,", 1)
    csv.write_text(text, encoding="utf-8")
    report = validate_with_frictionless(root / "datapackage.json")
    assert not report.valid
    errors = report.flatten(["type"])
    assert ["constraint-error"] in errors or ["hash-count"] in errors


def test_package_records_source_hash() -> None:
    """The data package cites the source and records its SHA-256."""
    descriptor = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    source = descriptor["sources"][0]
    assert source["sha256"] == paths.RAW_REPORT_SHA256
    assert "A/HRC/31/58/Add.1" in source["title"]
    for resource in descriptor["resources"]:
        for field in resource["schema"]["fields"]:
            assert field["description"], (resource["name"], field["name"])


def test_one_schema_drives_package_and_columns() -> None:
    """datapackage.json's Table Schemas and every CSV header come from schema.py."""
    descriptor = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    assert {r["path"].split("/")[-1] for r in descriptor["resources"]} == set(TABLES)
    for resource in descriptor["resources"]:
        table = TABLES[resource["path"].split("/")[-1]]
        assert resource["schema"] == table.schema_descriptor()
        header = (paths.DATA_DIR / resource["path"]).read_text(encoding="utf-8").split("\n")[0]
        assert header.split(",") == list(table.columns)
