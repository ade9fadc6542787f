"""The verify report: each kind of perturbed output is named and its change shown.

Each test copies committed outputs into a "committed" and a "re-run" tree in a temporary
folder, perturbs one file of the re-run tree, and reads the written page. Expected values
(pixel counts, cell values, digests) are computed here from the files themselves with PIL,
the csv module and json, not taken from the report module.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from analysis import paths
from analysis.pipeline.verify_report import kind_of, write_verify_report

FILES = (
    "figures/claims.csv",
    "figures/claims_changes.png",
    "figures/claims_changes.svg",
    "figures/MANIFEST.json",
    "notebooks/01-dataset.ipynb",
    "data/datapackage.json",
    "data/processed/report_statistics.csv",
)


@pytest.fixture()
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical copies of some committed outputs: ``committed`` and ``rerun``."""
    for name in ("committed", "rerun"):
        for rel in FILES:
            target = tmp_path / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(paths.ROOT / rel, target)
    return tmp_path / "committed", tmp_path / "rerun"


def _report(trees: tuple[Path, Path], differing: list[str], tmp_path: Path) -> str:
    committed, rerun = trees
    page = write_verify_report(committed, rerun, differing, tmp_path / "build" / "verify")
    assert page == tmp_path / "build" / "verify" / "index.html"
    return html.unescape(page.read_text(encoding="utf-8"))


def test_kinds_are_declared_by_path() -> None:
    """The manifest, notebooks, tables and figures each get their own view."""
    assert kind_of("figures/MANIFEST.json") == "manifest"
    assert kind_of("notebooks/02-police-victims.ipynb") == "notebook"
    assert kind_of("data/processed/number_audit.csv") == "table"
    assert kind_of("figures/claims_changes.png") == "image"
    assert kind_of("figures/claims_changes.svg") == "svg"
    assert kind_of("data/datapackage.json") == "text"
    assert kind_of("figures/claims.pdf") == "binary"


def test_one_byte_of_a_png_is_named_with_its_offset(trees, tmp_path) -> None:
    """A PNG with one byte changed near its end (inside the image data) is named and located."""
    target = trees[1] / "figures/claims_changes.png"
    data = bytearray(target.read_bytes())
    offset = len(data) - 40
    data[offset] ^= 0xFF
    target.write_bytes(bytes(data))
    page = _report(trees, ["figures/claims_changes.png"], tmp_path)
    assert "figures/claims_changes.png" in page
    assert f"first differing byte at offset {offset}" in page


def test_one_changed_pixel_shows_three_images(trees, tmp_path) -> None:
    """A re-encoded PNG with one pixel changed: committed, new and difference images."""
    target = trees[1] / "figures/claims_changes.png"
    with Image.open(target) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    old = rgb.getpixel((5, 5))
    rgb.putpixel((5, 5), tuple(255 - v for v in old))
    rgb.save(target)
    page = _report(trees, ["figures/claims_changes.png"], tmp_path)
    assert f"1 of {width * height} pixels changed" in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 3
    assert "difference" in page


def test_one_byte_of_an_svg_shows_the_text_diff(trees, tmp_path) -> None:
    """A digit changed in the SVG: both drawings and the old and new line."""
    target = trees[1] / "figures/claims_changes.svg"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if re.search(r'd="M \d', line))
    old_line = lines[number]
    digit = re.search(r'd="M (\d)', old_line)
    assert digit is not None
    replacement = "7" if digit.group(1) != "7" else "8"
    new_line = old_line[: digit.start(1)] + replacement + old_line[digit.end(1) :]
    lines[number] = new_line
    target.write_text("".join(lines), encoding="utf-8")
    page = _report(trees, ["figures/claims_changes.svg"], tmp_path)
    assert "1 line(s) removed, 1 added" in page
    assert "-" + old_line.rstrip("\n") in page
    assert "+" + new_line.rstrip("\n") in page
    assert len(re.findall(r'src="data:image/svg\+xml;base64,', page)) == 2


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_one_csv_cell_is_shown_by_row_key_and_column(trees, tmp_path) -> None:
    """A changed verdict in claims.csv: claim_id (first column), column, old and new value."""
    target = trees[1] / "figures/claims.csv"
    rows = _rows(target)
    column = rows[0].index("verdict")
    key, old = rows[2][0], rows[2][column]
    rows[2][column] = "<b>changed</b> & more"
    with target.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    page = _report(trees, ["figures/claims.csv"], tmp_path)
    raw = (tmp_path / "build/verify/index.html").read_text(encoding="utf-8")
    assert "<b>changed</b>" not in raw  # escaped
    assert "1 changed cell(s), 0 added row(s), 0 removed row(s) (row key: claim_id)" in page
    assert re.search(
        rf"<td>{re.escape(key)}</td><td>verdict</td><td class=\"old\">{re.escape(old)}</td>"
        r"<td class=\"new\"><b>changed</b> & more</td>",
        page,
    )


def test_csv_uses_the_declared_primary_key_and_lists_added_rows(trees, tmp_path) -> None:
    """report_statistics.csv is keyed by fact_id (datapackage.json); a dropped row is removed."""
    package = json.loads((paths.DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))
    (declared,) = [
        r["schema"]["primaryKey"]
        for r in package["resources"]
        if r["path"] == "processed/report_statistics.csv"
    ]
    target = trees[1] / "data/processed/report_statistics.csv"
    rows = _rows(target)
    dropped = rows.pop(5)
    with target.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    page = _report(trees, ["data/processed/report_statistics.csv"], tmp_path)
    assert f"0 added row(s), 1 removed row(s) (row key: {', '.join(declared)})" in page
    assert f"<td>{dropped[0]}</td>" in page


def test_an_edited_notebook_output_is_shown_cell_by_cell(trees, tmp_path) -> None:
    """One text/plain output edited in 01-dataset: the cell and both texts are shown."""
    target = trees[1] / "notebooks/01-dataset.ipynb"
    notebook = nbformat.read(target, as_version=4)
    index = next(
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and any("text/plain" in o.get("data", {}) for o in cell.outputs)
    )
    output = next(o for o in notebook.cells[index].outputs if "text/plain" in o.get("data", {}))
    output["data"]["text/plain"] = "EDITED OUTPUT LINE"
    nbformat.write(notebook, target)
    page = _report(trees, ["notebooks/01-dataset.ipynb"], tmp_path)
    assert f"cell {index}: outputs changed" in page
    assert "EDITED OUTPUT LINE" in page


def test_a_changed_manifest_input_digest_is_named(trees, tmp_path) -> None:
    """MANIFEST.json with one input digest changed: notebook, input, old and new digest."""
    target = trees[1] / "figures/MANIFEST.json"
    manifest = json.loads(target.read_text(encoding="utf-8"))
    name = sorted(manifest["notebooks"])[1]
    inputs = manifest["notebooks"][name]["inputs"]
    item = sorted(k for k, v in inputs.items() if v)[0]
    old = inputs[item]
    inputs[item] = "0" * 64
    target.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    page = _report(trees, ["figures/MANIFEST.json"], tmp_path)
    assert f"input digests changed: {name} {item}" in page
    assert f'"{old}"' in page and f'"{"0" * 64}"' in page


def test_page_is_deterministic_and_lists_missing_outputs(trees, tmp_path) -> None:
    """Same inputs, same bytes; absent files and missing/extra outputs are listed."""
    (trees[1] / "figures/claims.csv").write_text("claim_id,verdict\nx,y\n", encoding="utf-8")
    (trees[1] / "figures/claims_changes.svg").unlink()
    png = trees[1] / "figures/claims_changes.png"
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    rgb.putpixel((3, 3), (0, 0, 0) if rgb.getpixel((3, 3)) != (0, 0, 0) else (255, 0, 0))
    rgb.save(png)
    differing = ["figures/claims_changes.svg", "figures/claims.csv", "figures/claims_changes.png"]
    kwargs = {"missing": ["figures/gone.csv"], "extra": ["figures/new.csv"]}
    first = write_verify_report(*trees, differing, tmp_path / "a", **kwargs).read_bytes()
    second = write_verify_report(*trees, differing, tmp_path / "b", **kwargs).read_bytes()
    assert first == second
    text = first.decode("utf-8")
    assert "absent from the re-run tree" in text
    assert "1 of " in text and "pixels changed" in text
    assert "figures/gone.csv" in text and "figures/new.csv" in text
    assert str(tmp_path) not in text
