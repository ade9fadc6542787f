"""Tests of the built site without a browser: viewer, data pages, offline, deterministic."""

from __future__ import annotations

import csv
import filecmp
import html
import json
import re
from pathlib import Path

import pytest

from analysis import paths
from analysis.dataset.source import load_report
from analysis.site import build_site
from analysis.site.build import SiteBuildError
from analysis.site.pages import fact_description
from analysis.site.viewer import Mark, Piece, fact_flags, pieces
from tests.prerequisites import require
from tests.site import audit
from tests.site.conftest import NODE_MODULES


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _pages(site_dir: Path) -> dict[str, str]:
    return {
        p.relative_to(site_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(site_dir.rglob("*.html"))
        if "_static" not in p.parts
    }


def _mark(token_id: str, start: int, end: int, text: str) -> Mark:
    return Mark(token_id, start, end, text, "not_statistic", (), "year", "calendar year")


def test_pieces_cut_text_marks_and_footnotes() -> None:
    """A hand-made span: marks, a footnote reference (its marker consumed) and a skipped block."""
    text = "In 2014 there were 82.[footnoteRef:3] [3: note 5]"
    marks = [
        _mark("A", 3, 7, "2014"),
        _mark("B", 19, 21, "82"),
        _mark("C", 35, 36, "3"),  # inside [footnoteRef:3]
        _mark("D", 46, 47, "5"),  # inside the skipped block
    ]
    got = pieces(text, 0, len(text), marks, skip=[(38, 49)])
    assert [(p.text, p.mark.token_id if p.mark else None, p.footnote) for p in got] == [
        ("In ", None, None), ("2014", "A", None), (" there were ", None, None),
        ("82", "B", None), (".", None, None), ("3", None, 3), (" ", None, None),
    ]
    assert pieces("abc", 0, 3, []) == [Piece("abc")]


def test_every_fact_highlighted_once_and_linked_both_ways(site_dir: Path) -> None:
    """Each dataset row links to its value in the viewer, which links back.

    The highlighted text is the raw text's value token.
    """
    pages = _pages(site_dir)
    report = load_report()
    audit = {row["token_id"]: row for row in _rows(paths.AUDIT_CSV)}
    dataset = pages["dataset.html"]
    facts = _rows(paths.STATISTICS_CSV)
    for fact in facts:
        fact_id = fact["fact_id"]
        link = re.search(rf'<tr id="row-{fact_id}">.*?href="(report/[\w-]+\.html)#v-{fact_id}"',
                         dataset)
        assert link, f"{fact_id}: no link from its dataset row to the report"
        page = pages[link.group(1)]
        anchors = re.findall(rf'<a ([^>]*\bid="v-{fact_id}"[^>]*)>(.*?)</a>', page)
        assert len(anchors) == 1, f"{fact_id}: {len(anchors)} anchors in {link.group(1)}"
        attributes, shown = anchors[0]
        assert f'href="../dataset.html#row-{fact_id}"' in attributes
        tokens = [t for t in audit.values() if t["status"] == "value" and t["fact_id"] == fact_id]
        first = min(tokens, key=lambda t: int(t["char_start"]))
        assert shown == report.text[int(first["char_start"]):int(first["char_end"])]


def test_viewer_marks_every_audited_token(site_dir: Path) -> None:
    """Values, labels and non-statistics appear once each, as many as the audit table has.

    Headings included; footnote markers become reference and back links.
    """
    text = "".join(page for name, page in _pages(site_dir).items() if name.startswith("report/"))
    audit = _rows(paths.AUDIT_CSV)
    values = [t for t in audit if t["status"] == "value"]
    others = [t for t in audit if t["status"] != "value" and t["category"] != "footnote_marker"]
    highlighted = re.findall(r'<a [^>]*class="rv-value"', text)
    marked = re.findall(r'<span [^>]*class="rv-token', text)
    assert len(highlighted) == len(values)
    assert len(marked) == len(others)
    for token in others:
        assert f'id="t-{token["token_id"]}"' in text, token["token_id"]
        described = re.search(rf'<span ([^>]*\bid="d-{token["token_id"]}"[^>]*)>([^<]+)', text)
        assert described and "hidden" in described.group(1), token["token_id"]
        assert token["reason"] in html.unescape(described.group(2)), token["token_id"]
    notes = _rows(paths.FOOTNOTES_CSV)
    for note in notes:
        number = note["footnote"]
        assert re.search(rf'<a [^>]*href="#fn-{number}"[^>]*id="fnref-{number}"', text)
        assert f'href="#fnref-{number}"' in text and f'id="fn-{number}"' in text
    assert text.count('lang="ru"') == 1


def test_discrepancies_flagged_where_they_occur(site_dir: Path) -> None:
    """Every fact of a cross-check that does not hold carries a visible flag in the viewer."""
    text = "".join(page for name, page in _pages(site_dir).items() if name.startswith("report/"))
    for check in _rows(paths.CROSS_CHECKS_CSV):
        if check["outcome"] in {"holds", "consistent", "agrees"}:
            continue
        assert f'href="../cross-checks.html#check-{check["check_id"]}"' in text, check["check_id"]


def test_figures_gallery_and_notebook_links(site_dir: Path) -> None:
    """Each figure: alt text, its drawing cell, its CSV; notebook pages link their CSVs.

    The alt text says what the chart shows (not the file name).
    """
    pages = _pages(site_dir)
    gallery = pages["figures.html"]
    drawn = re.findall(
        r'<img src="figures/([\w-]+)\.png" alt="([^"]+)".*?href="(notebooks/[\w-]+\.html)#'
        r'([\w-]+)".*?href="figures/\1\.csv"', gallery
    )
    pngs = sorted(p.stem for p in paths.FIGURES_DIR.glob("*.png"))
    assert sorted(name for name, *_ in drawn) == pngs
    for name, alt, notebook, anchor in drawn:
        assert alt.startswith("Chart: ") and name not in alt
        assert f'id="{anchor}"' in pages[notebook]
        assert f'href="../figures/{name}.csv"' in pages[notebook]
        assert (site_dir / "figures" / f"{name}.csv").is_file()


def test_notebook_downloads_are_the_committed_notebooks(site_dir: Path) -> None:
    """The download button's .ipynb is the committed file, byte for byte."""
    for notebook in sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb")):
        served = site_dir / "_sources" / "notebooks" / notebook.name
        assert served.read_bytes() == notebook.read_bytes(), notebook.name


def test_pages_are_offline_and_math_free(site_dir: Path) -> None:
    """No page loads anything from the network, and no MathJax is referenced."""
    for name, page in _pages(site_dir).items():
        remote = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//', page)
        assert not remote, f"{name}: {remote}"
        assert "mathjax" not in page.lower(), name


def test_claims_never_show_a_zero_p_value(site_dir: Path) -> None:
    """Claims page: one item per claim with a verdict; no p-value printed as 0."""
    page = _pages(site_dir)["claims.html"]
    claims = _rows(paths.FIGURES_DIR / "claims.csv")
    assert page.count('<li class="claim"') == len(claims)
    assert not re.search(r"<dt>p_value</dt><dd>0(\.0*)?</dd>", page)
    for claim in claims:
        assert f'data-verdict="{claim["verdict"]}"' in page


def test_build_is_deterministic(site_dir: Path, tmp_path: Path) -> None:
    """A second build is byte-identical (search index included); no pickles in the output."""
    again = build_site(tmp_path / "site").parent
    compared = filecmp.dircmp(site_dir, again)
    files = sorted(p.relative_to(site_dir) for p in site_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    different = [f for f in files if (site_dir / f).read_bytes() != (again / f).read_bytes()]
    assert not different, different
    assert compared.left_only == compared.right_only == []
    assert "searchindex.js" in {f.name for f in files}
    assert not [f for f in files if f.suffix in {".pickle", ".doctree"}]


@pytest.mark.slow
def test_failed_build_keeps_the_previous_site(tmp_path: Path) -> None:
    """A missing input fails with one message naming it; the existing site is untouched."""
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("previous")
    with pytest.raises((SiteBuildError, FileNotFoundError), match="missing-processed"):
        build_site(out, processed=tmp_path / "missing-processed")
    assert (out / "index.html").read_text() == "previous"


def test_flags_follow_the_reading_column_and_check_outcomes() -> None:
    """Ambiguous readings (when the column exists) and discrepant checks flag their facts."""
    facts = {
        "a": {"fact_id": "a", "reading": "ambiguous", "alt_value": "12", "note": "two readings"},
        "b": {"fact_id": "b", "reading": "plain"},
        "c": {"fact_id": "c"},
    }
    checks = [
        {"check_id": "k1", "outcome": "differs", "left_facts": "a + b", "right_facts": "c",
         "detail": "3 vs 4"},
        {"check_id": "k2", "outcome": "holds", "left_facts": "c", "right_facts": "b"},
    ]
    flags = fact_flags(facts, checks)
    assert [kind for kind, _ in flags["a"]] == ["ambiguous", "check:k1:differs"]
    assert "the other reading gives 12" in flags["a"][0][1]
    assert [kind for kind, _ in flags["b"]] == ["check:k1:differs"]
    assert [kind for kind, _ in flags["c"]] == ["check:k1:differs"]
    assert fact_flags({"c": {"fact_id": "c"}}, []) == {}


def test_the_audit_engines_are_the_pinned_versions_the_readme_states() -> None:
    """package.json pins each engine exactly; the lock, node_modules and the README agree."""
    pinned = json.loads((paths.ROOT / "package.json").read_text(encoding="utf-8"))
    locked = audit.locked_versions(paths.ROOT / "package-lock.json")
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    for engine, package in audit.PACKAGES.items():
        assert pinned["devDependencies"][package] == locked[engine], package
        assert f"{engine} {locked[engine]}" in readme, f"README does not state {engine}"
        installed = NODE_MODULES / package / "package.json"
        require(installed.is_file(), f"{installed} missing: run `npm ci` (CI does)")
        version = json.loads(installed.read_text(encoding="utf-8"))["version"]
        assert version == locked[engine], f"node_modules has {package} {version}: run `npm ci`"


def test_tooltip_names_breakdown_and_both_bodies() -> None:
    """The viewer's description of a figure gives its breakdown, the body counted and the source.

    Para. 38: "According to statistics facilitated by the National Police Agency, ... are
    girls (1,130, ...)"; para. 45: "As at July 2015, the Safer Internet Association had
    received and monitored 24,003 cases" (no source cited).
    """
    rows = {row["fact_id"]: row for row in _rows(paths.STATISTICS_CSV)}
    assert fact_description(rows["police_victims_girls_2014"]) == (
        "police_victims_girls_2014: Child victims of sexual exploitation = 1,130 count; "
        "breakdown: sex (girls); body counted: Police; source cited: National Police Agency")
    assert fact_description(rows["sia_cases_received"]) == (
        "sia_cases_received: Cases received and monitored = 24,003 count; breakdown: none (a "
        "total or a single figure); body counted: Safer Internet Association; source cited: "
        "not stated")
    assert fact_description({"fact_id": "x", "indicator": "i", "value": "2", "unit": "count"}) == (
        "x: i = 2 count")


def test_viewer_tooltip_in_the_built_site(site_dir: Path) -> None:
    """The built viewer's hidden description of a value carries subject_body and breakdown."""
    text = "".join(page for name, page in _pages(site_dir).items() if name.startswith("report/"))
    anchor = re.search(r'<a ([^>]*\bid="v-sia_share_obscene"[^>]*)>', text)
    assert anchor, "no value anchor for sia_share_obscene"
    described = re.search(r'aria-describedby="([^"]+)"', anchor.group(1))
    assert described
    tip = re.search(rf'<span [^>]*id="{described.group(1)}"[^>]*>([^<]+)', text)
    assert tip
    assert ("breakdown: content_type (obscene expressions); body counted: Safer Internet "
            "Association; source cited: not stated") in html.unescape(tip.group(1))
