"""The replication report: the verdict first, every output with its class, the claims.

Each difference is shown; the page is offline, deterministic, semantic HTML; report.json
holds the same facts.

Each test copies committed outputs into a "committed" and a "re-run" tree in a temporary
folder, perturbs the re-run tree, grades it and reads the page and the JSON written. Expected
values (cell values, pixel counts, digests) are computed here from the files themselves.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from analysis.pipeline.verify_report import write_verify_report
from tests.pipeline.trees import REPORT_FILES as FILES
from tests.pipeline.trees import copy_trees, graded, paint_block


@pytest.fixture()
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical copies of some committed outputs: ``committed`` and ``rerun``."""
    return copy_trees(tmp_path, FILES)


def report(trees: tuple[Path, Path], out: Path, **changes: object) -> tuple[str, dict]:
    """Write the report of the two trees; return the page (unescaped) and the JSON."""
    page, data = write_verify_report(graded(trees, **changes), *trees, out)
    assert (page, data) == (out / "index.html", out / "report.json")
    return (html.unescape(page.read_text(encoding="utf-8")),
            json.loads(data.read_text(encoding="utf-8")))


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def test_verdict_comes_first_and_every_output_is_listed(trees, tmp_path):
    """The verdict heads the page; every output has its class, every table its cells.

    Reproduced, as the notebook of another interpreter is equivalent.
    """
    notebook = trees[1] / "notebooks/01-dataset.ipynb"
    data = json.loads(notebook.read_text(encoding="utf-8"))
    data["metadata"]["language_info"]["version"] = "3.13.0"
    notebook.write_text(json.dumps(data, indent=1), encoding="utf-8")
    page, record = report(trees, tmp_path / "out")
    body = page[page.index("<body>"):]
    assert body.startswith("<body><header><h1>Replication report: reproduced</h1>")
    assert "verdict: reproduced under CPython 3.13.0 (outputs recorded under 3.11.7)" in body[:600]
    assert record["verdict"] == "reproduced" and record["ok"] is True
    assert record["counts"] == {"identical": len(FILES) - 1, "equivalent": 1,
                                "within tolerance": 0, "differs": 0}
    by_path = {o["path"]: o for o in record["outputs"]}
    assert set(by_path) == set(FILES)
    assert by_path["notebooks/01-dataset.ipynb"]["class"] == "equivalent"
    rows = _rows(trees[0] / "figures/police_victims_by_year_offence.csv")
    cells = (len(rows) - 1) * len(rows[0])
    assert by_path["figures/police_victims_by_year_offence.csv"]["cells_compared"] == cells
    assert re.search(r"<code>figures/police_victims_by_year_offence.csv</code></th><td>table"
                     rf"</td><td>identical</td><td>{cells}</td>", page)
    assert "Python 3.11.7 → 3.13.0" in page and record["environment"]["rerun"]["python"] == "3.13.0"


def test_a_changed_count_is_shown_by_row_key_and_column(trees, tmp_path):
    """746 -> 747 in a figure's CSV: partially reproduced; the cell, both values; the share.

    The figure (its declared files) is not reproduced; the tables (claims, statistics) are.
    """
    target = trees[1] / "figures/police_victims_by_year_offence.csv"
    rows = _rows(target)
    column = rows[0].index("victims")
    (index,) = [i for i, row in enumerate(rows) if row[column] == "746"]
    rows[index][column] = "747"
    _write_rows(target, rows)
    page, record = report(trees, tmp_path / "out")
    assert record["verdict"] == "partially reproduced" and record["ok"] is False
    assert {"group": "figures", "reproduced": 1, "total": 2} in record["shares"]
    assert {"group": "tables", "reproduced": 2, "total": 2} in record["shares"]
    where = f"row offence={rows[index][0]}, year={rows[index][1]}, column victims"
    assert re.search(rf"<th scope=\"row\">{re.escape(where)}</th><td><code>746</code></td>"
                     r"<td><code>747</code></td><td>differs</td>", page)
    claims = len(_rows(trees[0] / "figures/claims.csv")) - 1
    assert f"reproduced: figures 1 of 2, tables 2 of 2, claims {claims} of {claims}" in page


def test_claims_table_shows_each_verdict_committed_and_rerun(trees, tmp_path):
    """A flipped verdict: the claim's row shows both, and "no" under same verdicts."""
    target = trees[1] / "figures/claims.csv"
    rows = _rows(target)
    column = rows[0].index("verdict")
    old = rows[2][column]
    rows[2][column] = "<b>changed</b> & more"
    _write_rows(target, rows)
    page, record = report(trees, tmp_path / "out")
    raw = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<b>changed</b>" not in raw  # escaped
    claim = next(c for c in record["claims"] if c["claim"] == rows[2][0])
    assert claim["committed"]["verdict"] == old and claim["rerun"]["verdict"].startswith("<b>")
    assert claim["same_verdicts"] is False and claim["class"] == "differs"
    assert sum(1 for c in record["claims"] if c["same_verdicts"]) == len(rows) - 2
    assert f"<code>{rows[2][0]}</code></th>" in page


def test_a_painted_png_shows_committed_rerun_and_difference(trees, tmp_path):
    """A block painted over: differs, three images side by side, the pixels counted."""
    paint_block(trees[1] / "figures/claims_changes.png", 40, 40)
    page, record = report(trees, tmp_path / "out")
    (png,) = [o for o in record["outputs"] if o["path"] == "figures/claims_changes.png"]
    assert png["class"] == "differs" and png["distance"] > 1
    section = page[page.index('<h3 id="output-'):]
    assert len(re.findall(r'src="data:image/png;base64,', section)) == 3
    assert 'alt="difference version of figures/claims_changes.png"' in section


def test_svg_and_notebook_differences_show_the_text_and_nbdime_diffs(trees, tmp_path):
    """A changed SVG path shows its text diff; an edited notebook output its nbdime cell."""
    svg = trees[1] / "figures/claims_changes.svg"
    lines = svg.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if re.search(r'd="M \d', line))
    old_line = lines[number]
    digit = re.search(r'd="M (\d)', old_line)
    assert digit is not None
    new_line = old_line[: digit.start(1)] + ("7" if digit.group(1) != "7" else "8") \
        + old_line[digit.end(1):]
    lines[number] = new_line
    svg.write_text("".join(lines), encoding="utf-8")
    target = trees[1] / "notebooks/01-dataset.ipynb"
    notebook = nbformat.read(target, as_version=4)
    index = next(
        i for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and any("text/plain" in o.get("data", {}) for o in cell.outputs)
    )
    output = next(o for o in notebook.cells[index].outputs if "text/plain" in o.get("data", {}))
    output["data"]["text/plain"] = "EDITED OUTPUT LINE"
    nbformat.write(notebook, target)
    page, _ = report(trees, tmp_path / "out")
    assert "Text diff: 1 line(s) removed, 1 added." in page
    assert "-" + old_line.rstrip("\n") in page and "+" + new_line.rstrip("\n") in page
    assert len(re.findall(r'src="data:image/svg\+xml;base64,', page)) == 2
    assert f"cell {index}: outputs changed" in page and "EDITED OUTPUT LINE" in page


def test_page_is_deterministic_offline_and_lists_missing_outputs(trees, tmp_path):
    """Same inputs, same bytes; no absolute path, no request off the page; absent files."""
    (trees[1] / "figures/claims_changes.svg").unlink()
    shutil.copyfile(trees[1] / "figures/claims.csv", trees[1] / "figures/new.csv")
    first = write_verify_report(graded(trees), *trees, tmp_path / "a")
    second = write_verify_report(graded(trees), *trees, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    text = first[0].read_text(encoding="utf-8")
    assert str(tmp_path) not in text and str(tmp_path) not in first[1].read_text("utf-8")
    assert "not produced by the re-run" in text and "produced only by the re-run" in text
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    assert "<script" not in text and "@import" not in text


class _Structure(HTMLParser):
    """Collects what the accessibility checks need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.title = ""
        self.in_title = False
        self.tables = 0
        self.captions = 0
        self.header_cells: list[str | None] = []
        self.images: list[str | None] = []
        self.headings: list[int] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"] or "")
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "title":
            self.in_title = True
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th":
            self.header_cells.append(attributes.get("scope"))
        elif tag == "img":
            self.images.append(attributes.get("alt"))
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def test_page_is_semantic_html(trees, tmp_path):
    """Language, title, captions, header scopes, alt text, heading order, unique ids."""
    png = trees[1] / "figures/claims_changes.png"
    with Image.open(png) as image:
        rgb = image.convert("RGB")
    rgb.putpixel((3, 3), (255, 0, 0) if rgb.getpixel((3, 3)) != (255, 0, 0) else (0, 0, 0))
    rgb.save(png)
    page, _ = write_verify_report(graded(trees), *trees, tmp_path / "out")
    structure = _Structure()
    structure.feed(page.read_text(encoding="utf-8"))
    assert structure.lang == "en"
    assert structure.title == "Replication report: reproduced within tolerance"
    assert structure.tables >= 5 and structure.captions == structure.tables
    assert structure.header_cells and all(s in ("col", "row") for s in structure.header_cells)
    assert structure.images
    assert all(alt and "figures/claims_changes.png" in alt for alt in structure.images)
    assert structure.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(structure.headings, structure.headings[1:], strict=False))
    assert len(structure.ids) == len(set(structure.ids))


def test_exact_contract_is_stated_on_the_page(trees, tmp_path):
    """With --exact the page says which contract applied and that it failed."""
    target = trees[1] / "figures/claims_changes.png"
    with Image.open(target) as image:
        image.save(target, compress_level=1)
    page, record = report(trees, tmp_path / "out", exact=True)
    assert record["exact"] is True and record["ok"] is False
    assert record["verdict"] == "reproduced"
    assert "The byte-identical contract applies" in page
    assert "verdict (--exact): not reproduced byte for byte" in page
