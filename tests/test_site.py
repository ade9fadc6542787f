"""Tests of the static site (no browser): built from a small synthetic input set."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from analysis import paths, site

#: Alt text derived for the sample figure: chart title from the code, varying CSV columns.
VICTIMS_ALT = (
    "Chart: Child victims registered by the police, by year and offence "
    "(data: police_victims.csv)"
)


class _Tags(HTMLParser):
    """Collects every start tag of a page with its attributes, and the element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])


def parse(page: Path) -> _Tags:
    """Parse an HTML file."""
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def pages(site_dir: Path) -> list[Path]:
    """Every HTML page of a site, sorted."""
    return sorted(site_dir.rglob("*.html"))


def local_target(page: Path, url: str) -> Path | None:
    """The file a relative URL of ``page`` points to (``None`` for external/data/anchor)."""
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//") or not parts.path:
        return None
    return (page.parent / unquote(parts.path)).resolve()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic notebooks, figures and processed tables."""
    return site.write_sample_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def built(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the synthetic inputs; returns its folder."""
    index = site.build_site(tmp_path_factory.mktemp("site") / "site", **inputs)
    return index.parent


def test_index_lists_titles_summaries_and_thumbnails(built: Path) -> None:
    """The index names each notebook, its summary, and shows its figures' PNGs."""
    index = built / "index.html"
    text = index.read_text(encoding="utf-8")
    assert "Police-registered victims" in text
    assert "Child victims registered by the police, by year and offence (para. 38)." in text
    assert ">Claims</a></h3>" in text
    tags = parse(index).tags
    links = [attrs["href"] for tag, attrs in tags if tag == "a"]
    assert "notebooks/01-police-victims.html" in links
    assert "notebooks/02-claims.html" in links
    thumbs = [attrs["src"] for tag, attrs in tags if tag == "img"]
    assert thumbs == ["figures/police_victims.png", "figures/claim_intervals.png"]
    for src in thumbs:
        assert (built / src).is_file()


def test_every_image_has_alt_text(built: Path) -> None:
    """Every <img> of every page has a non-empty alt saying what it shows."""
    images = 0
    for page in pages(built):
        for tag, attrs in parse(page).tags:
            if tag == "img":
                images += 1
                assert attrs.get("alt", "").strip(), f"{page.name}: <img> without alt"
    assert images >= 6
    figures = (built / "figures.html").read_text(encoding="utf-8")
    assert f'alt="{VICTIMS_ALT}"' in figures
    # The PNG's Description text chunk wins over the derived text.
    assert 'alt="Bar chart of the sample claims"' in figures


def test_nothing_is_fetched_from_the_network(built: Path) -> None:
    """No script, stylesheet or image is loaded from an http(s) URL."""
    for page in pages(built):
        for tag, attrs in parse(page).tags:
            for attribute in ("src", "href"):
                if tag in {"script", "link", "img", "iframe", "source"} and attribute in attrs:
                    url = attrs[attribute].strip().lower()
                    assert not url.startswith(("http://", "https://", "//")), (page.name, url)
        text = page.read_text(encoding="utf-8")
        assert "cdnjs" not in text and "require.min.js" not in text and "mathjax" not in text


def test_relative_links_resolve(built: Path) -> None:
    """Every relative href/src names a file of the site, and every #anchor exists."""
    ids = {page.resolve(): parse(page).ids for page in pages(built)}
    for page in pages(built):
        for tag, attrs in parse(page).tags:
            for attribute in ("href", "src"):
                url = attrs.get(attribute)
                if not url or url.startswith("data:"):
                    continue
                target = local_target(page, url)
                fragment = urlsplit(url).fragment
                if target is None:
                    assert not urlsplit(url).scheme, f"{page.name}: external {tag} {url}"
                    target = page.resolve()
                assert target.is_file(), f"{page.name}: broken {tag} {attribute}={url}"
                assert built.resolve() in target.parents, f"{page.name}: {url} leaves the site"
                if fragment and target.suffix == ".html":
                    assert {fragment, unquote(fragment)} & ids[target], (
                        f"{page.name}: missing anchor {url}"
                    )


def test_every_figure_links_its_csv_and_notebook(built: Path) -> None:
    """The figures page links each figure's CSV and the notebook that made it."""
    tags = parse(built / "figures.html").tags
    links = [attrs["href"] for tag, attrs in tags if tag == "a"]
    for name, notebook in (("police_victims", "01-police-victims"),
                           ("claim_intervals", "02-claims")):
        assert f"figures/{name}.csv" in links
        assert (built / "figures" / f"{name}.csv").is_file()
        assert f"notebooks/{notebook}.html" in links
    assert (built / "figures" / "police_victims.svg").is_file()
    assert "figures/claims.csv" in links


def test_notebook_pages(built: Path) -> None:
    """Notebook pages are rendered offline, with site navigation and figure alt text."""
    page = built / "notebooks" / "01-police-victims.html"
    text = page.read_text(encoding="utf-8")
    assert 'href="../assets/site.css"' in text
    assert 'href="../index.html"' in text
    assert f'alt="{VICTIMS_ALT}"' in text
    assert 'href="../figures/police_victims.csv"' in text
    assert (built / "notebooks" / "01-police-victims.ipynb").is_file()
    assert "<script" not in text
    # Links between notebooks go to their pages; links into data/ keep working.
    assert 'href="02-claims.html"' in text
    assert 'href="../data/processed/report_statistics.csv"' in text


def test_tables(built: Path, inputs: dict[str, Path]) -> None:
    """Dataset, cross-checks and claims pages hold sortable, filterable tables."""
    for name, table_id, rows in (("dataset", "statistics", 4), ("cross-checks", "cross-checks", 1),
                                 ("claims", "claims", 3)):
        text = (built / f"{name}.html").read_text(encoding="utf-8")
        assert f'<table id="{table_id}" class="data-table sortable">' in text
        assert f'class="table-filter" data-table="{table_id}"' in text
        assert '<script src="assets/table.js"></script>' in text
        body = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert body.count("<tr") == rows
    dataset = (built / "dataset.html").read_text(encoding="utf-8")
    assert '<tr id="fact-population">' in dataset
    assert ">127,000,000<" in dataset and 'data-sort="127000000"' in dataset
    assert "offence: child pornography" in dataset
    checks = (built / "cross-checks.html").read_text(encoding="utf-8")
    assert '<a href="dataset.html#fact-victims_a">victims_a</a>' in checks
    claims = (built / "claims.html").read_text(encoding="utf-8")
    assert '<span class="badge badge-good">supported</span>' in claims
    assert (built / "assets" / "table.js").read_bytes() == (
        site.TEMPLATES_DIR / "table.js"
    ).read_bytes()


def test_build_is_deterministic(inputs: dict[str, Path], built: Path, tmp_path: Path) -> None:
    """Built twice from the same inputs, the sites are byte-identical."""
    again = site.build_site(tmp_path / "again", **inputs).parent
    first = {p.relative_to(built): p.read_bytes() for p in built.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    for name, content in first.items():
        assert content == second[name], f"{name} differs between builds"


def test_rebuild_replaces_site_but_not_foreign_folders(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    """A previous site is replaced; a folder the builder did not make is left alone."""
    out = tmp_path / "site"
    site.build_site(out, **inputs)
    (out / "stale.html").write_text("old", encoding="utf-8")
    site.build_site(out, **inputs)
    assert not (out / "stale.html").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        site.build_site(foreign, **inputs)
    assert (foreign / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign", "site"]


def test_manifest_decides_producer(inputs: dict[str, Path], tmp_path: Path) -> None:
    """MANIFEST.json outranks what the notebooks' code says."""
    figures_dir = inputs["figures_dir"]
    manifest = figures_dir / "MANIFEST.json"
    manifest.write_text(
        json.dumps({"format": 1, "notebooks": {"02-claims": {
            "notebook": "notebooks/02-claims.ipynb",
            "outputs": {
                "figures/police_victims.svg": "0" * 64,
                "figures/police_victims.png": "0" * 64,
                "notebooks/02-claims.ipynb": "0" * 64,
            },
        }}}),
        encoding="utf-8",
    )
    try:
        out = site.build_site(tmp_path / "site", **inputs).parent
    finally:
        manifest.unlink()
    assert not (out / "figures" / "MANIFEST.json").exists()
    figures = (out / "figures.html").read_text(encoding="utf-8")
    section = figures.split('id="fig-police_victims"', 1)[1].split("</figure>", 1)[0]
    assert 'Made by <a href="notebooks/02-claims.html">' in section


def test_alt_text_sources(tmp_path: Path) -> None:
    """Sidecars win; otherwise alt text is built from the name and the CSV header."""
    (tmp_path / "victims_rate.png").write_bytes(site._tiny_png(2, 2, (0, 0, 0)))
    (tmp_path / "victims_rate.csv").write_text(
        "year,sex,rate,fact_id,unit\n2010,girls,1,a,count\n2014,boys,2,b,count\n",
        encoding="utf-8",
    )
    (tmp_path / "shares.svg").write_text(site._tiny_svg("x"), encoding="utf-8")
    (tmp_path / "shares.alt.txt").write_text("Bars of the shares\n", encoding="utf-8")
    (tmp_path / "shares.caption.txt").write_text("Shares by type.", encoding="utf-8")
    (tmp_path / "funnel.svg").write_text(site._tiny_svg("x"), encoding="utf-8")
    (tmp_path / "funnel.json").write_text(
        json.dumps({"alt": "Funnel of reports", "title": "Funnel"}), encoding="utf-8"
    )
    figures, tables = site.discover_figures(tmp_path)
    assert tables == []
    assert figures["victims_rate"].alt == (
        "Chart: victims rate by year and sex (data: victims_rate.csv)"
    )
    assert (figures["shares"].alt, figures["shares"].caption) == (
        "Bars of the shares", "Shares by type."
    )
    assert (figures["funnel"].alt, figures["funnel"].title) == ("Funnel of reports", "Funnel")


def test_chart_title_from_code_and_svg() -> None:
    """The title argument before save_figure is found; f-strings are read off the SVG."""
    code = (
        'fig = plot(data, title="Victims by year")\n'
        'save_figure(fig, "victims", data)\n'
        'fig = plot(data, title=f"Change, {a} to {b}")\n'
        'save_figure(fig, "change", data)\n'
    )
    svg = "<svg><!-- 2010 --><!-- Change, 2010 to 2014 --></svg>"
    assert site.chart_title(code, "victims") == "Victims by year"
    assert site.chart_title(code, "change", svg) == "Change, 2010 to 2014"
    assert site.chart_title(code, "change", None) is None
    assert site.chart_title(code, "other", svg) is None


def test_figure_references() -> None:
    """save_figure calls and quoted names are found; other text is not."""
    code = 'save_figure(fig, "a_b")\nsave_figure(fig2, name="c.svg")\nx = "figures/d.png"\nbe'
    saved, mentioned = site.figure_references(code, ["a_b", "c", "d", "be", "e"])
    assert saved == ["a_b", "c"]
    assert mentioned == ["d"]


def test_real_dataset_lists_every_fact(inputs: dict[str, Path], tmp_path: Path) -> None:
    """With the committed processed tables, every fact and cross-check gets a row."""
    import csv

    out = site.build_site(
        tmp_path / "site",
        notebooks_dir=inputs["notebooks_dir"],
        figures_dir=inputs["figures_dir"],
        processed_dir=paths.PROCESSED_DIR,
    ).parent
    dataset = (out / "dataset.html").read_text(encoding="utf-8")
    with paths.STATISTICS_CSV.open(encoding="utf-8", newline="") as stream:
        fact_ids = [row["fact_id"] for row in csv.DictReader(stream)]
    assert fact_ids
    for fact_id in fact_ids:
        assert f'<tr id="fact-{fact_id}">' in dataset
    rows = re.findall(r"<tr id=\"fact-", dataset)
    assert len(rows) == len(fact_ids)
    checks = (out / "cross-checks.html").read_text(encoding="utf-8")
    with paths.CROSS_CHECKS_CSV.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            assert f'<tr id="cross-checks-{row["check_id"]}">' in checks
    assert (out / "data" / "processed" / "report_statistics.csv").read_bytes() == (
        paths.STATISTICS_CSV.read_bytes()
    )


def test_main_builds_and_prints_index(
    inputs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` builds the site where told and prints the index path."""
    status = site.main([
        "--out", str(tmp_path / "site"),
        "--notebooks", str(inputs["notebooks_dir"]),
        "--figures", str(inputs["figures_dir"]),
        "--processed", str(inputs["processed_dir"]),
    ])
    assert status == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "site" / "index.html")
    assert (tmp_path / "site" / "index.html").is_file()


def test_missing_inputs_still_build(tmp_path: Path) -> None:
    """Without notebooks, figures or claims the site still builds, saying what is missing."""
    out = site.build_site(
        tmp_path / "site",
        notebooks_dir=tmp_path / "none",
        figures_dir=tmp_path / "none",
        processed_dir=tmp_path / "none",
    ).parent
    assert "No notebooks were found." in (out / "index.html").read_text(encoding="utf-8")
    assert "has not been produced yet" in (out / "claims.html").read_text(encoding="utf-8")
    assert "No figures were found." in (out / "figures.html").read_text(encoding="utf-8")
