"""Grading one output: identical, equivalent, within tolerance, differs — each named.

Each test copies committed outputs into a "committed" and a "re-run" tree, perturbs the re-run
copy, and grades it with the declared spec (``replication.yaml``). Expected values — pixel
counts, RMS, relative differences, cell values — are computed here from the files with PIL,
numpy, the csv module and json, never taken from the module under test.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from analysis import paths
from analysis.pipeline.compare import compare_output
from analysis.pipeline.replication import Grade
from analysis.pipeline.replication_spec import load_replication_spec
from tests.pipeline.trees import copy_trees, paint_block, read_rows, write_rows

SPEC = load_replication_spec(paths.ROOT)
FILES = (
    "figures/claims.csv",
    "figures/claims_changes.png",
    "figures/claims_changes.svg",
    "figures/police_victims_by_year_offence.csv",
    "figures/police_victims_by_year_offence.png",
    "figures/MANIFEST.json",
    "notebooks/02-police-victims.ipynb",
    "data/datapackage.json",
    "data/processed/report_statistics.csv",
)
VICTIMS = "figures/police_victims_by_year_offence.csv"


@pytest.fixture()
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical copies of some committed outputs: ``committed`` and ``rerun``."""
    return copy_trees(tmp_path, FILES)


def grade(trees: tuple[Path, Path], rel: str):
    """Grade ``rel`` of the re-run tree."""
    return compare_output(rel, *trees, SPEC)


def first_output(notebook: nbformat.NotebookNode, mime: str) -> tuple[int, dict]:
    """The index of the first code cell with an output of type ``mime``, and that output."""
    return next(
        (i, output)
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if mime in output.get("data", {})
    )


def test_unchanged_outputs_are_identical_and_tables_count_their_cells(trees):
    """Same bytes: identical; a table still reports how many cells it holds."""
    for rel in FILES:
        assert grade(trees, rel).grade is Grade.IDENTICAL, rel
    rows = read_rows(trees[0] / VICTIMS)
    assert grade(trees, VICTIMS).cells == (len(rows) - 1) * len(rows[0])


# ---- equivalent --------------------------------------------------------------------------


def test_png_re_encoded_with_the_same_pixels_is_equivalent(trees):
    """Re-saved by PIL at another compression level: other bytes, same decoded pixels."""
    target = trees[1] / "figures/claims_changes.png"
    with Image.open(target) as image:
        pixels = np.asarray(image.convert("RGBA"))
        image.save(target, compress_level=1)
    assert target.read_bytes() != (trees[0] / "figures/claims_changes.png").read_bytes()
    with Image.open(target) as image:
        assert np.array_equal(np.asarray(image.convert("RGBA")), pixels)
    result = grade(trees, "figures/claims_changes.png")
    assert result.grade is Grade.EQUIVALENT
    assert result.summary == "same pixels, other bytes"


def test_notebook_made_by_another_interpreter_is_equivalent(trees):
    """Only metadata.language_info.version changed (what Python 3.13 writes): equivalent."""
    rel = "notebooks/02-police-victims.ipynb"
    target = trees[1] / rel
    notebook = json.loads(target.read_text(encoding="utf-8"))
    assert notebook["metadata"]["language_info"]["version"] != "3.13.0"
    notebook["metadata"]["language_info"]["version"] = "3.13.0"
    target.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    result = grade(trees, rel)
    assert result.grade is Grade.EQUIVALENT
    assert "equal once metadata.language_info (no results; replication.yaml) is dropped" \
        in result.summary


def test_manifest_of_another_environment_is_equivalent_but_not_another_input(trees):
    """Another environment and notebook digests: equivalent. Another input digest: differs."""
    rel = "figures/MANIFEST.json"
    target = trees[1] / rel
    manifest = json.loads(target.read_text(encoding="utf-8"))
    for entry in manifest["notebooks"].values():
        entry["environment"]["python"] = "3.13.0"
        notebook = entry["notebook"]
        entry["outputs"][notebook] = "f" * 64
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert grade(trees, rel).grade is Grade.EQUIVALENT
    name = sorted(manifest["notebooks"])[1]
    old = manifest["notebooks"][name]["inputs"]["code"]
    manifest["notebooks"][name]["inputs"]["code"] = "0" * 64
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result = grade(trees, rel)
    assert result.grade is Grade.DIFFERS
    assert [d.describe() for d in result.differences] == [
        f'notebooks.{name}.inputs.code: "{old}" → "{"0" * 64}"'
    ]


def test_svg_with_other_metadata_is_equivalent(trees):
    """A changed <metadata> (e.g. a date) carries no result: equivalent."""
    target = trees[1] / "figures/claims_changes.svg"
    text = target.read_text(encoding="utf-8")
    changed = text.replace("<dc:format>", "<dc:date>2026-01-01</dc:date><dc:format>", 1)
    assert changed != text
    target.write_text(changed, encoding="utf-8")
    result = grade(trees, "figures/claims_changes.svg")
    assert result.grade is Grade.EQUIVALENT
    assert "<metadata>" in result.summary


def test_csv_equal_once_parsed_is_equivalent(trees):
    """Quoting every cell, writing 0.95 as 0.950, CRLF line ends: equal cell by cell."""
    target = trees[1] / VICTIMS
    rows = read_rows(target)
    level = rows[0].index("conf_level")
    for row in rows[1:]:
        row[level] = row[level] + "0"
    with target.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    result = grade(trees, VICTIMS)
    assert result.grade is Grade.EQUIVALENT
    assert result.cells == (len(rows) - 1) * len(rows[0])


# ---- within tolerance --------------------------------------------------------------------


def _sixteenth_digit_changed(text: str) -> str:
    """The same decimal with its 16th significant digit changed (by one, not past 9)."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    first = next(i for i in digits if text[i] != "0")
    sixteenth = [i for i in digits if i >= first][15]
    new = "1" if text[sixteenth] == "0" else str(int(text[sixteenth]) - 1)
    return text[:sixteenth] + new + text[sixteenth + 1 :]


def test_float_changed_in_its_16th_significant_digit_is_within_tolerance(trees):
    """A rate's 16th significant digit changed: within tolerance, named and measured."""
    target = trees[1] / VICTIMS
    rows = read_rows(target)
    column = rows[0].index("estimate")
    old = rows[2][column]
    assert len(re.sub(r"\D", "", old).lstrip("0")) >= 16, old
    new = _sixteenth_digit_changed(old)
    rows[2][column] = new
    write_rows(target, rows)
    relative = abs(float(new) - float(old)) / abs(float(old))
    assert 0 < relative < 1e-14  # typed: a 16th-digit change is about 1e-15 relative
    result = grade(trees, VICTIMS)
    assert result.grade is Grade.WITHIN_TOLERANCE
    (difference,) = result.differences
    offence, year = rows[2][rows[0].index("offence")], rows[2][rows[0].index("year")]
    assert difference.where == f"row offence={offence}, year={year}, column estimate"
    assert (difference.committed, difference.rerun) == (old, new)
    assert difference.measure == f"relative difference {relative:.2g}"


def test_few_changed_pixels_are_within_the_declared_rms(trees):
    """Four pixels shifted by 10 levels: RMS (computed here) ≤ image_rms, within tolerance."""
    rel = "figures/police_victims_by_year_offence.png"
    target = trees[1] / rel
    with Image.open(target) as image:
        rgba = image.convert("RGBA")
    before = np.asarray(rgba, dtype=float)
    for x, y in ((300, 300), (301, 300), (300, 301), (301, 301)):
        r, g, b, a = rgba.getpixel((x, y))
        rgba.putpixel((x, y), (max(r - 10, 0), max(g - 10, 0), max(b - 10, 0), a))
    rgba.save(target)
    after = np.asarray(rgba, dtype=float)
    rms = math.sqrt(((after[..., :3] - before[..., :3]) ** 2).mean())
    assert 0 < rms <= SPEC.image_rms
    result = grade(trees, rel)
    assert result.grade is Grade.WITHIN_TOLERANCE
    assert result.distance == pytest.approx(rms)
    assert "4 of" in result.summary and "(x 300-301, y 300-301)" in result.summary


# ---- differs -----------------------------------------------------------------------------


def test_count_changed_by_one_differs_naming_file_row_column_and_values(trees):
    """The 2014 pornography victims 746 -> 747: differs, with the row key and both values."""
    target = trees[1] / VICTIMS
    rows = read_rows(target)
    column = rows[0].index("victims")
    (index,) = [i for i, row in enumerate(rows) if row[column] == "746"]  # para. 38
    rows[index][column] = "747"
    write_rows(target, rows)
    result = grade(trees, VICTIMS)
    assert result.grade is Grade.DIFFERS
    (difference,) = result.differences
    offence, year = rows[index][rows[0].index("offence")], rows[index][rows[0].index("year")]
    assert difference.describe() == (
        f"row offence={offence}, year={year}, column victims: 746 → 747 (difference +1)"
    )
    assert result.rel == VICTIMS


def test_block_of_pixels_painted_over_differs_with_its_box_and_rms(trees):
    """A 20 x 20 block painted magenta: differs; the box and the RMS (computed here) named."""
    rel = "figures/police_victims_by_year_offence.png"
    target = trees[1] / rel
    with Image.open(target) as image:
        before = np.asarray(image.convert("RGBA"), dtype=float)
    paint_block(target, 100, 50)
    with Image.open(target) as image:
        after = np.asarray(image.convert("RGBA"), dtype=float)
    changed = int(np.any(after != before, axis=-1).sum())
    rms = math.sqrt(((after[..., :3] - before[..., :3]) ** 2).mean())
    assert rms > SPEC.image_rms
    result = grade(trees, rel)
    assert result.grade is Grade.DIFFERS
    assert result.distance == pytest.approx(rms)
    assert f"{changed} of {before.shape[0] * before.shape[1]} pixels changed" in result.summary
    (difference,) = result.differences
    assert difference.where.startswith("pixels x 1") and "y " in difference.where


def test_changed_notebook_output_differs_naming_the_cell(trees):
    """A word changed in one text output: differs, with the cell and output named."""
    rel = "notebooks/02-police-victims.ipynb"
    target = trees[1] / rel
    notebook = nbformat.read(target, as_version=4)
    index, output = first_output(notebook, "text/plain")
    output["data"]["text/plain"] = "EDITED " + output["data"]["text/plain"]
    nbformat.write(notebook, target)
    result = grade(trees, rel)
    assert result.grade is Grade.DIFFERS
    assert any(d.where.startswith(f"cells.{index}.outputs.") for d in result.differences)


def test_a_changed_svg_path_differs(trees):
    """A coordinate of a drawn path changed by a whole unit: differs."""
    target = trees[1] / "figures/claims_changes.svg"
    text = target.read_text(encoding="utf-8")
    match = re.search(r'd="M (\d+)', text)
    assert match is not None
    changed = text[: match.start(1)] + str(int(match.group(1)) + 1) + text[match.end(1) :]
    target.write_text(changed, encoding="utf-8")
    result = grade(trees, "figures/claims_changes.svg")
    assert result.grade is Grade.DIFFERS
    assert result.differences[0].committed == match.group(1)


def _move_sixth_decimal(text: str, units: int) -> tuple[str, str, str]:
    """Move the first coordinate written with six decimals by ``units`` of its sixth decimal.

    Returns the changed text and the number before and after, as written.
    """
    match = re.search(r"(?<![\w.])(\d+)\.(\d{6})(?![\d.])", text)
    assert match is not None
    whole, decimals = match.group(1), match.group(2)
    moved = int(whole + decimals) + units
    after = f"{moved // 10**6}.{moved % 10**6:06d}"
    return text[: match.start()] + after + text[match.end() :], match.group(0), after


@pytest.mark.parametrize(("units", "expected"),
                         [(1, Grade.WITHIN_TOLERANCE), (2, Grade.DIFFERS)])
def test_a_drawn_coordinate_moved_in_its_sixth_decimal(trees, units, expected):
    """One millionth of a point (drawing_atol, 1e-6) is within tolerance; two differ.

    matplotlib writes coordinates with six decimals: a value moved by 1e-14 can move the
    last one (seen between two processors). 1e-6 on a coordinate near 500 is beyond rtol.
    """
    target = trees[1] / "figures/claims_changes.svg"
    changed, before, after = _move_sixth_decimal(target.read_text(encoding="utf-8"), units)
    # Beyond rtol, so that only the drawing tolerance can make it "within tolerance".
    assert abs(float(after) - float(before)) > SPEC.rtol * float(before)
    target.write_text(changed, encoding="utf-8")
    result = grade(trees, "figures/claims_changes.svg")
    assert result.grade is expected
    assert (result.differences[0].committed, result.differences[0].rerun) == (before, after)


@pytest.mark.parametrize(("units", "expected"),
                         [(1, Grade.WITHIN_TOLERANCE), (2, Grade.DIFFERS)])
def test_a_coordinate_of_a_notebook_svg_moved_in_its_sixth_decimal(trees, units, expected):
    """The same tolerance for an SVG image inside a notebook (nbval compares its text)."""
    rel = "notebooks/02-police-victims.ipynb"
    target = trees[1] / rel
    notebook = nbformat.read(target, as_version=4)
    index, output = first_output(notebook, "image/svg+xml")
    changed, before, after = _move_sixth_decimal(output["data"]["image/svg+xml"], units)
    assert abs(float(after) - float(before)) > SPEC.rtol * float(before)
    output["data"]["image/svg+xml"] = changed
    nbformat.write(notebook, target)
    result = grade(trees, rel)
    assert result.grade is expected
    [difference] = result.differences
    assert difference.where.startswith(f"cells.{index}.outputs.")
    assert (difference.committed, difference.rerun) == (before, after)


def test_missing_and_extra_outputs_differ(trees):
    """An output the re-run did not produce, and one only it produced: both differ."""
    (trees[1] / "figures/claims_changes.svg").unlink()
    shutil.copyfile(trees[0] / "figures/claims.csv", trees[1] / "figures/new.csv")
    gone, new = grade(trees, "figures/claims_changes.svg"), grade(trees, "figures/new.csv")
    assert (gone.grade, gone.absent) == (Grade.DIFFERS, "re-run")
    assert (new.grade, new.absent) == (Grade.DIFFERS, "committed")
