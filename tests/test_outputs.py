"""Declared outputs (analysis.outputs) and the notebooks' entry point (analysis.notebook)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import notebook, paths
from analysis.claims.table import CLAIMS_TABLE
from analysis.outputs import (
    DECLARED_SUBDIR,
    DeclaredOutput,
    OutputError,
    Outputs,
    column_type,
    output_folder,
    save_table,
)


def test_outside_the_pipeline_outputs_go_to_an_interactive_run_folder(monkeypatch):
    """No staging folder: runs/interactive-<hash>/, one folder per set of parameter values."""
    monkeypatch.delenv(paths.OUTPUT_DIR_ENV, raising=False)
    folder, staged = output_folder({"conf_level": 0.9})
    other, _ = output_folder({"conf_level": 0.95})
    assert not staged and folder.parent == paths.RUNS_DIR
    assert folder.name.startswith("interactive-") and folder != other
    assert output_folder({"conf_level": 0.9})[0] == folder  # the same values, the same folder
    assert paths.FIGURES_DIR not in (folder, other)


def test_under_the_pipeline_outputs_go_to_its_staging_folder(monkeypatch, tmp_path):
    """The pipeline (and nbval under make test) names the staging folder in the environment."""
    monkeypatch.setenv(paths.OUTPUT_DIR_ENV, str(tmp_path))
    assert output_folder({"conf_level": 0.9}) == (tmp_path, True)


def test_start_checks_every_parameter_against_its_rule(monkeypatch):
    """The notebooks' first call refuses what `run` refuses, with the same sentence."""
    monkeypatch.delenv(paths.OUTPUT_DIR_ENV, raising=False)
    with pytest.raises(notebook.ParameterValueError) as caught:
        notebook.start(conf_level=1.5, figure_formats="svg,png", data_path="")
    assert str(caught.value) == (
        "parameter 'conf_level' = 1.5 is out of range: a number in (0, 1)")
    with pytest.raises(notebook.ParameterValueError, match="'dispersion' = 0.5 is out of range"):
        notebook.start(dispersion=0.5)
    with pytest.raises(notebook.ParameterValueError, match="must lie inside the project root"):
        notebook.start(data_path="../elsewhere.csv")


def test_start_says_where_the_outputs_go(monkeypatch, tmp_path):
    """The context's display names the folder and every parameter with its rule."""
    monkeypatch.delenv(paths.OUTPUT_DIR_ENV, raising=False)
    out = notebook.start(conf_level=0.9, figure_formats="svg")
    assert out.formats == ("svg",) and not out.staged
    text = repr(out)
    assert f"go to {out.folder.relative_to(paths.ROOT).as_posix()}/" in text
    assert "the canonical figures/ is written only by `python -m analysis run`" in text
    assert "conf_level = 0.9  (a number in (0, 1))" in text
    assert '<th scope="row"><code>conf_level</code></th><td>0.9</td>' in out._repr_html_()
    monkeypatch.setenv(paths.OUTPUT_DIR_ENV, str(tmp_path))
    assert "staged by the pipeline" in repr(notebook.start(conf_level=0.9))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, 3], "integer"), ([1.0, 2.0], "integer"), ([1.5, 2.0], "number"),
        ([True, False], "boolean"), (["a", "b"], "string"), ([None, 2.0], "integer"),
        ([float("nan"), 0.25], "number"),
    ],
)
def test_a_columns_type_is_the_one_its_csv_text_has(values, expected):
    """Whole floats are written without a decimal point, so they are integers in the CSV."""
    assert column_type(pd.Series(values)) == expected


def _outputs(folder: Path) -> Outputs:
    return Outputs(folder, ("svg",), True, {}, notebook.column_catalogue())


def test_a_table_is_written_with_its_declaration(tmp_path):
    """save_table: the CSV, and beside it a declaration with kind, title and Table Schema."""
    frame = pd.DataFrame({"fact_id": ["a_1", "b_2"], "value": [3, 4.5]})
    saved = save_table(_outputs(tmp_path), "demo", frame, title="A demo table")
    assert repr(saved) == "Table 'demo': demo.csv (2 rows)"
    assert (tmp_path / "demo.csv").read_text() == "fact_id,value\na_1,3\nb_2,4.5\n"
    declared = DeclaredOutput.from_json(
        json.loads((tmp_path / DECLARED_SUBDIR / "demo.json").read_text()))
    assert (declared.kind, declared.title, declared.files) == ("table", "A demo table",
                                                               ("demo.csv",))
    fields = declared.schema["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [("fact_id", "string"),
                                                        ("value", "number")]
    assert fields[0]["description"].startswith("Stable, unique identifier")
    assert "constraints" not in fields[0]  # a selection of rows: the row constraints go


def test_a_tables_own_declaration_keeps_its_constraints(tmp_path):
    """With the table's declaration (the claims table's), its constraints and key carry over."""
    frame = pd.DataFrame({"claim_id": ["x"], "verdict": ["supported"]})
    save_table(_outputs(tmp_path), "mini", frame, title="t", schema=CLAIMS_TABLE)
    declared = json.loads((tmp_path / DECLARED_SUBDIR / "mini.json").read_text())
    fields = {f["name"]: f for f in declared["schema"]["fields"]}
    assert fields["claim_id"]["constraints"]["required"] is True
    assert "supported" in fields["verdict"]["constraints"]["enum"]
    assert declared["schema"]["primaryKey"] == ["claim_id"]


def test_prefixed_estimate_columns_are_described_by_their_family(tmp_path):
    """input_<name> and extra_<name> columns take the statistics layer's family description."""
    schema = _outputs(tmp_path).schema(pd.DataFrame({"input_total": [213]}))
    assert schema["fields"][0]["description"] == "Input of the estimate: total."


def test_a_declaration_that_is_not_one_is_refused():
    """Reading a declaration checks its keys and kind."""
    with pytest.raises(OutputError):
        DeclaredOutput.from_json({"name": "x"})
    good = DeclaredOutput("x", "figure", "t", "d", ("x.csv",), {"fields": []}, 3)
    assert DeclaredOutput.from_json(good.to_json()) == good
    with pytest.raises(OutputError, match="bad kind"):
        DeclaredOutput.from_json({**good.to_json(), "kind": "movie"})
