"""The note's page on the site: every inserted number links to its source; nothing else is.

Uses the site built once for ``tests/site/`` (``site_dir``). Expected values are computed
from the CSVs by :mod:`tests.site.note_support`, not by the note's resolver.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from pathlib import Path
from urllib.parse import urldefrag

import pytest

from analysis import paths
from analysis.site import build_site
from analysis.site.digits import typed_numbers
from tests.site.note_support import expected_cell, rows

_VALUE = re.compile(
    r'<a class="note-value" href="(?P<href>[^"]*)" data-reference="(?P<reference>[^"]*)" '
    r'data-source="(?P<source>[^"]*)">(?P<text>[^<]*)</a>'
)
_ID = re.compile(r'\sid="([^"]+)"')
#: Parts of the page whose numbers are generated, not prose: the list of sources (the
#: report's words), the references (versions), the BibTeX block, footnote labels, alt text.
_GENERATED = (
    re.compile(r'<ul class="note-sources.*?</ul>', re.S),
    re.compile(r'<ul class="note-references.*?</ul>', re.S),
    re.compile(r"<pre>.*?</pre>", re.S),
    re.compile(r'<a class="footnote-reference[^>]*>.*?</a>', re.S),
    re.compile(r'<span class="label">.*?</span></span>', re.S),
    re.compile(r'<p class="note-citation">.*?</p>', re.S),
    re.compile(r"<[^>]+>"),
)


def _article(page: str) -> str:
    start = page.index('<article class="bd-article">')
    return page[start:page.index("</article>", start)]


def _ids(path: Path) -> set[str]:
    return set(_ID.findall(path.read_text(encoding="utf-8")))


def test_every_inserted_number_links_to_its_source_row(site_dir: Path) -> None:
    """Each value is a link to a page of the site and an id on it.

    The dataset row, the claim, the cross-check or the figure in the gallery, as its
    reference names.
    """
    article = _article((site_dir / "note.html").read_text(encoding="utf-8"))
    values = list(_VALUE.finditer(article))
    assert len(values) >= 60, len(values)
    ids: dict[str, set[str]] = {}
    pages = {"fact": "dataset.html", "claims": "claims.html", "check": "cross-checks.html"}
    anchors = {"fact": "row-", "claims": "claim-", "check": "check-"}
    for value in values:
        page, fragment = urldefrag(html.unescape(value["href"]))
        target = site_dir / page
        assert target.is_file(), value.group()
        found = ids.setdefault(page, _ids(target))
        assert not fragment or fragment in found, value.group()
        source = html.unescape(value["source"])
        table, _, key = source.partition(":")
        if table.startswith("figure/"):
            assert (page, fragment) == ("figures.html", f"figure-{table[len('figure/'):]}")
        else:
            assert page == pages[table], value.group()
            assert fragment == (f"{anchors[table]}{key}" if key else fragment)


def test_dataset_rows_lead_on_to_the_report_text(site_dir: Path) -> None:
    """A dataset row the note links to leads on to the highlighted value in the report.

    The chain sentence → row → span.
    """
    article = _article((site_dir / "note.html").read_text(encoding="utf-8"))
    dataset = (site_dir / "dataset.html").read_text(encoding="utf-8")
    facts = {v["source"].split(":", 1)[1] for v in _VALUE.finditer(article)
             if v["source"].startswith("fact:")}
    assert facts
    for fact in facts:
        row = re.search(rf'<tr id="row-{re.escape(fact)}">(.*?)</tr>', dataset, re.S)
        assert row, fact
        link = re.search(r'<a class="to-report" href="([^"#]+)#(v-[^"]+)"', row.group(1))
        assert link and link.group(2) == f"v-{fact}"
        assert f'id="v-{fact}"' in (site_dir / link.group(1)).read_text(encoding="utf-8")


def test_each_value_reads_what_its_table_holds(site_dir: Path) -> None:
    """A single-cell value's text is its cell, formatted as its reference declares."""
    article = _article((site_dir / "note.html").read_text(encoding="utf-8"))
    checked = 0
    for value in _VALUE.finditer(article):
        want = expected_cell(html.unescape(value["reference"]))
        if want is not None:
            assert html.unescape(value["text"]) == want, value.group()
            checked += 1
    assert checked >= 40, checked


def test_no_number_on_the_page_escapes_the_links(site_dir: Path) -> None:
    """No digit on the page outside the inserted values and the generated blocks.

    Paragraph references, years and dates excepted: the same rules as the source lint.
    """
    article = _VALUE.sub(" ", _article((site_dir / "note.html").read_text(encoding="utf-8")))
    for pattern in _GENERATED:
        article = pattern.sub(" ", article)
    assert typed_numbers(html.unescape(article)) == []


def test_the_fragile_claims_listed_are_those_the_definition_gives(site_dir: Path) -> None:
    """The note's list of fragile claims is its definition applied to the claims table.

    "Fragile": the Holm-adjusted verdict changes at a year noise at or below the reference
    σ, i.e. ``noise_flip_holm <= noise_sigma``, computed here from the CSV's numbers; the
    note lists the claims by their Holm verdict at the reference. The two must agree, and
    the pornography-victims claim (614 -> 746, para. 38) must be among them.
    """
    article = _article((site_dir / "note.html").read_text(encoding="utf-8"))
    listed = {html.unescape(v["source"]).partition(":")[2] for v in _VALUE.finditer(article)
              if html.unescape(v["reference"]).startswith("claims:verdict_noise")
              and v["reference"].endswith(":label:list")}
    table = rows(paths.FIGURES_DIR / "claims.csv")
    fragile = {row["claim_id"] for row in table if row["noise_flip_holm"]
               and float(row["noise_flip_holm"]) <= float(row["noise_sigma"])}
    assert listed == fragile
    assert "pornography_victims_increased" in fragile


def test_the_note_is_first_after_the_index(site_dir: Path) -> None:
    """The navigation's first entry is the note."""
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    entries = re.findall(r'class="toctree-l1[^"]*"><a class="reference internal" href="([^"]+)"',
                         index)
    assert entries[0] == "note.html"


def test_figures_are_the_gallery_images_with_their_alt_text(site_dir: Path) -> None:
    """Each figure of the note shows the gallery's image, with the gallery's alt text."""
    note = (site_dir / "note.html").read_text(encoding="utf-8")
    gallery = (site_dir / "figures.html").read_text(encoding="utf-8")
    shown = re.findall(r'<figure class="note-figure" id="note-figure-([\w-]+)"><img '
                       r'src="figures/\1\.png" alt="([^"]+)">', note)
    assert shown
    for name, alt in shown:
        assert (site_dir / "figures" / f"{name}.png").is_file()
        assert f'id="figure-{name}"><img src="figures/{name}.png" alt="{alt}">' in gallery


@pytest.mark.slow
def test_a_changed_claim_count_changes_the_page(tmp_path: Path) -> None:
    """The page follows the claims table: a scratch copy with another count shows it."""
    figures = tmp_path / "figures"
    shutil.copytree(paths.FIGURES_DIR, figures)
    table = rows(figures / "claims.csv")
    (osaka,) = [row for row in table if row["claim_id"] == "osaka_arrests_rare"]
    assert osaka["counts"] == "16 of 213"  # typed from para. 53
    osaka["counts"] = "19 of 213"
    with (figures / "claims.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    site = build_site(tmp_path / "site", figures=figures).parent
    article = _article((site / "note.html").read_text(encoding="utf-8"))
    shown = [v["text"] for v in _VALUE.finditer(article)
             if v["reference"] == "claims:osaka_arrests_rare:counts"]
    assert shown and set(shown) == {"19 of 213"}
