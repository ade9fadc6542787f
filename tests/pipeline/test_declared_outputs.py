"""The committed outputs are declared, and the site finds them through nothing else.

The manifest says what each output is, and the data package describes every CSV.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from frictionless import Package

from analysis import paths
from analysis.pipeline.datapackage import DATAPACKAGE_NAME
from analysis.pipeline.manifest import load_manifest
from analysis.site import figures as site_figures


@pytest.fixture(scope="module")
def manifest():
    """The committed manifest of the canonical outputs."""
    return load_manifest(paths.MANIFEST)


def test_every_output_file_belongs_to_exactly_one_declared_output(manifest):
    """Each hashed file is among the files of one record (a figure, a table or the notebook)."""
    for stem, entry in manifest.notebooks.items():
        owners: dict[str, list[str]] = {}
        for record in entry.declared.values():
            for name in record.files:
                owners.setdefault(name, []).append(record.name)
        assert set(owners) == set(entry.outputs), stem
        assert all(len(names) == 1 for names in owners.values()), stem


def test_every_figure_and_table_records_title_kind_and_its_cell(manifest):
    """The cell a record names is a code cell of the committed notebook that saves that name."""
    assert {record.kind for record in manifest.records()} == {"figure", "table", "notebook"}
    for stem, entry in manifest.notebooks.items():
        cells = json.loads((paths.ROOT / entry.notebook).read_text())["cells"]
        notebook = entry.declared[stem]
        assert notebook.kind == "notebook" and notebook.title.startswith(stem[:2])
        for record in entry.records():
            if record.kind == "notebook":
                continue
            assert record.title and record.description, record.name
            cell = cells[record.cell]
            assert cell["cell_type"] == "code" and cell["id"] == record.cell_id, record.name
            assert f'"{record.name}"' in "".join(cell["source"]), record.name


def test_the_claims_table_is_a_table_and_the_figures_are_figures(manifest):
    """The claims table is declared as a table (save_table), each chart as a figure."""
    claims = manifest.record("claims", "table")
    assert claims is not None and claims.files == ("figures/claims.csv",)
    assert claims.schema["primaryKey"] == ["claim_id"]
    figures = {r.name for r in manifest.records("figure")}
    assert {"claims_changes", "police_victims_by_year_offence"} <= figures
    assert all(Path(r.files[-1]).suffix == ".csv" for r in manifest.records("figure"))


def test_frictionless_validates_the_outputs_data_package():
    """`figures/datapackage.json` describes every CSV of figures/; Frictionless validates it."""
    package = paths.FIGURES_DIR / DATAPACKAGE_NAME
    described = {r["path"] for r in json.loads(package.read_text())["resources"]}
    assert described == {p.name for p in paths.FIGURES_DIR.glob("*.csv")}
    report = Package(str(package)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_frictionless_catches_a_csv_that_breaks_its_declared_schema(tmp_path):
    """A count turned into text in a copy of the outputs is caught (hash and type)."""
    copy = tmp_path / "figures"
    shutil.copytree(paths.FIGURES_DIR, copy)
    target = copy / "referrals_by_year_offence.csv"
    target.write_text(target.read_text().replace("1342", "many", 1))
    report = Package(str(copy / DATAPACKAGE_NAME)).validate()
    assert not report.valid
    errors = {row[0] for row in report.flatten(["type"])}
    assert {"hash-count", "type-error"} <= errors


def test_the_site_finds_figures_through_the_manifest_only(manifest):
    """The gallery's figures are the manifest's figure records, with their titles and cells."""
    found = site_figures.manifest_figures(manifest)
    assert [(f.name, f.title, f.cell) for f in found] == [
        (r.name, r.title, r.cell)
        for _, entry in sorted(manifest.notebooks.items())
        for r in sorted(entry.records("figure"), key=lambda r: (r.cell, r.name))
    ]
    claims_csv = site_figures.declared_table(manifest, "claims", paths.ROOT)
    assert claims_csv == paths.FIGURES_DIR / "claims.csv"
    source = (paths.PACKAGE_DIR / "site" / "figures.py").read_text()
    assert "import re" not in source and "save_figure(" not in source
