"""Browser tests of the built site in headless Debian Chromium (see conftest.py).

Every page, one test each (the tests spread over the test workers): it loads with no
console error, no failed request, no request leaving the machine, no broken link, anchor
or image, every image with alt text that is not a file name; and two accessibility engines
find nothing that fails (:mod:`tests.site.audit`): axe-core (no serious or critical
violation; every rule in light mode, colour contrast again in dark mode) and
HTML_CodeSniffer (no WCAG 2 AA error). Each page's findings of every severity go to
``test-artifacts/a11y/<page>.json``; a failing page prints both engines' summary. Then: the
search finds "Okinawa"; the search button, by its visible name, opens the search, whose form
submits with its button; a dataset row's link lands on the highlighted value in the report
and back; the audit reason of a non-statistic token is reachable by keyboard; tabbing
through one page of each kind shows a visible focus ring on every stop.
"""

from __future__ import annotations

import functools
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from analysis import paths
from analysis.site.build import SOURCE_DIR
from analysis.site.viewer import load_viewer
from tests.prerequisites import require
from tests.site import audit
from tests.site.conftest import ARTIFACTS, ENGINE_PREFIX, ENGINES, Problems

pytestmark = pytest.mark.browser

#: Pages Sphinx writes without a source document.
GENERATED_PAGES = ("genindex.html", "search.html")

_PAGE_FACTS_JS = """
() => ({
  ids: Array.from(document.querySelectorAll('[id]')).map(el => el.id),
  links: Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'))
    .map(el => el.getAttribute('href') || el.getAttribute('src')),
  images: Array.from(document.images).map(img => ({src: img.getAttribute('src'),
    alt: img.getAttribute('alt'), ok: img.complete && img.naturalWidth > 0})),
})
"""


def site_pages(site_dir: Path) -> list[str]:
    """Every HTML page of the built site (relative paths), theme fragments excluded."""
    return sorted(
        path.relative_to(site_dir).as_posix()
        for path in site_dir.rglob("*.html")
        if "_static" not in path.parts
    )


def source_pages() -> list[str]:
    """The pages the build makes, from its inputs: ``site/`` pages, notebooks, viewer pages.

    Known before the site is built, so that each page is a test of its own;
    :func:`test_every_built_page_is_audited` checks the list against the built site.
    """
    written = [p.relative_to(SOURCE_DIR).with_suffix(".html").as_posix()
               for p in SOURCE_DIR.rglob("*.md")]
    notebooks = [f"notebooks/{p.stem}.html" for p in paths.NOTEBOOKS_DIR.glob("*.ipynb")]
    viewer = load_viewer(paths.RAW_REPORT, paths.PROCESSED_DIR)
    return sorted({*written, *notebooks, *(f"{p.docname}.html" for p in viewer.pages),
                   *GENERATED_PAGES})


PAGES = source_pages()


class _Ids(HTMLParser):
    """The ids of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the element's id."""
        self.ids.update(value for name, value in attrs if name == "id" and value)


@functools.cache
def page_ids(page: Path) -> frozenset[str]:
    """The ids of a built page, read from its HTML (the targets of links from other pages)."""
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


def _check_links(url: str, facts: dict[str, Any], base_url: str, site_dir: Path) -> list[str]:
    """Broken internal links and anchors, off-site references and bad images of one page."""
    broken = []
    for href in facts["links"]:
        parts = urlsplit(href)
        if parts.scheme in {"http", "https"} or href.startswith("//"):
            broken.append(f"{url}: {href} refers outside the site")
            continue
        if parts.scheme in {"data", "mailto"} or not (parts.path or parts.fragment):
            continue
        target, fragment = urldefrag(urljoin(url, href))
        relative = unquote(urlsplit(target).path).lstrip("/")
        if not ((site_dir / relative).is_file() or (site_dir / relative / "index.html").is_file()):
            broken.append(f"{url}: {href} -> missing {relative}")
        elif not fragment:
            continue
        elif target == urldefrag(url)[0]:
            if unquote(fragment) not in facts["ids"]:
                broken.append(f"{url}: #{fragment} not on the page")
        elif relative.endswith(".html") and unquote(fragment) not in page_ids(site_dir / relative):
            broken.append(f"{url}: #{fragment} not found in {relative}")
    for image in facts["images"]:
        alt = (image["alt"] or "").strip()
        if not image["ok"]:
            broken.append(f"{url}: image {image['src']} not displayed")
        if not alt or alt.lower().endswith((".png", ".svg")) or "_images/" in alt:
            broken.append(f"{url}: image {image['src']} has no alt text saying what it shows")
    return broken


def test_every_built_page_is_audited(site_dir: Path) -> None:
    """The pages audited one by one are exactly the pages of the built site."""
    assert site_pages(site_dir) == PAGES
    assert len(PAGES) >= 15
    assert {"index.html", "dataset.html", "cross-checks.html", "claims.html", "figures.html",
            "search.html"} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_and_passes_both_engines(
    watched: tuple[Any, Problems], base_url: str, site_dir: Path, name: str
) -> None:
    """A page: clean load, links, anchors, images; axe-core and HTML_CodeSniffer pass."""
    require(all(path.is_file() for path in ENGINES.values()),
            f"{', '.join(map(str, ENGINES.values()))}: run `npm ci` (CI does)")
    page, problems = watched
    url = urljoin(base_url, name)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    broken = _check_links(url, page.evaluate(_PAGE_FACTS_JS), base_url, site_dir)
    scripts = [{"url": urljoin(base_url, ENGINE_PREFIX + file)} for file in ENGINES]
    findings = audit.audit(page, scripts)
    report = audit.write_report(
        ARTIFACTS / "a11y", name, audit.locked_versions(paths.ROOT / "package-lock.json"), findings
    )
    print(audit.summary(name, findings), f"\n(all findings: {report})")
    assert not broken, "broken:\n" + "\n".join(broken)
    assert not problems.console, "console errors:\n" + "\n".join(problems.console)
    assert not problems.failed, "failed requests:\n" + "\n".join(problems.failed)
    assert not problems.blocked, "requests leaving the machine:\n" + "\n".join(problems.blocked)
    assert not audit.failing(name, findings), audit.summary(name, findings)


def test_search_finds_okinawa(watched: tuple[Any, Problems], base_url: str) -> None:
    """Sphinx's built-in search (offline index) finds the report's text about Okinawa."""
    page, problems = watched
    page.goto(urljoin(base_url, "search.html?q=Okinawa"), wait_until="load")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert any(href.startswith("report/chapter-") for href in hits), hits
    assert not problems.console and not problems.blocked


def test_search_button_and_form_work_by_their_visible_names(
    watched: tuple[Any, Problems], base_url: str
) -> None:
    """The button named by its visible text opens the search; the form's button submits it."""
    page, problems = watched
    page.goto(urljoin(base_url, "index.html"), wait_until="load")
    buttons = page.get_by_role("button", name="Search Ctrl + K", exact=True)
    assert buttons.count() >= 2
    buttons.first.click()
    dialog = page.locator("#pst-search-dialog")
    dialog.get_by_role("searchbox").fill("Okinawa")
    dialog.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search.html?q=Okinawa*")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    assert not problems.console and not problems.blocked


def test_dataset_row_lands_on_its_span_and_back(
    watched: tuple[Any, Problems], base_url: str
) -> None:
    """A row's "in the text" link opens the highlighted value; the value links back."""
    page, problems = watched
    page.goto(urljoin(base_url, "dataset.html"), wait_until="load")
    row = page.locator("#statistics tbody tr").nth(5)
    fact = row.get_attribute("id").removeprefix("row-")
    row.locator("a.to-report").click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).fragment == f"v-{fact}"
    target = page.locator(":target")
    assert target.get_attribute("id") == f"v-{fact}"
    assert "rv-value" in target.get_attribute("class")
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, box
    outline = target.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    target.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"dataset.html#row-{fact}")
    assert page.locator(":target").get_attribute("id") == f"row-{fact}"
    assert not problems.console and not problems.blocked


def _tab_to(page: Any, selector: str, limit: int = 400) -> dict[str, Any]:
    """Press Tab until the focused element matches ``selector``; return its description."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(
            """(selector) => { const el = document.activeElement;
              if (!el || !el.matches(selector)) return null;
              const id = el.getAttribute('aria-describedby');
              const after = getComputedStyle(el, '::after');
              return {id: el.id, text: el.textContent,
                      described: id ? document.getElementById(id).textContent : '',
                      tip: after.content, tipShown: after.display !== 'none',
                      outline: getComputedStyle(el).outlineStyle}; }""",
            selector,
        )
        if found:
            return found
    raise AssertionError(f"{selector} not reached by {limit} presses of Tab")


def test_audit_reason_reachable_by_keyboard(
    watched: tuple[Any, Problems], base_url: str
) -> None:
    """Tabbing reaches a non-statistic token; its reason is shown and described."""
    page, problems = watched
    page.goto(urljoin(base_url, "report/chapter-1.html"), wait_until="load")
    found = _tab_to(page, ".rv-token.rv-not_statistic")
    assert found["described"].startswith("Not a statistic. Category:"), found
    assert "Not a statistic" in found["tip"] and found["tipShown"], found
    assert found["outline"] != "none", found
    assert not problems.console and not problems.blocked


#: One page of each kind, and what Tab must reach on it.
KEYBOARD_PAGES = {
    "index.html": "a",
    "report/chapter-2.html": ".rv-value",
    "dataset.html": ".sort-button",
    "cross-checks.html": ".table-filter",
    "claims.html": "summary",
    "figures.html": ".gallery-figure a",
    "notebooks/02-police-victims.html": ".bd-article a",
}


@pytest.mark.parametrize("name", sorted(KEYBOARD_PAGES))
def test_tabbing_shows_a_focus_ring(
    watched: tuple[Any, Problems], base_url: str, name: str
) -> None:
    """Every Tab stop (first 40) on a page of each kind has a visible focus indicator."""
    page, problems = watched
    page.goto(urljoin(base_url, name), wait_until="load")
    _tab_to(page, KEYBOARD_PAGES[name])
    page.goto(urljoin(base_url, name), wait_until="load")
    invisible = []
    for _ in range(40):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
              return {tag: el.tagName, id: el.id, cls: el.className,
                      ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                            || s.boxShadow !== 'none'}; }"""
        )
        if state["tag"] != "BODY" and not state["ring"]:
            invisible.append(state)
    assert not invisible, f"{name}: focus not visible on {invisible[:5]}"
    assert not problems.console and not problems.blocked


def test_dataset_table_sorts_and_filters(watched: tuple[Any, Problems], base_url: str) -> None:
    """The value heading sorts the dataset both ways; the filter box filters it."""
    page, problems = watched
    page.goto(urljoin(base_url, "dataset.html"), wait_until="load")
    headers = page.eval_on_selector_all("#statistics thead th", "c => c.map(x => x.textContent)")
    column = headers.index("value")
    keys_js = f"""() => Array.from(document.querySelectorAll('#statistics tbody tr'))
        .filter(r => !r.hidden).map(r => r.cells[{column}].getAttribute('data-sort'))"""
    header = page.locator("#statistics thead th").nth(column)
    header.locator("button").press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    values = [float(v) for v in page.evaluate(keys_js) if v]
    assert values == sorted(values)
    header.locator("button").press("Enter")
    values = [float(v) for v in page.evaluate(keys_js) if v]
    assert values == sorted(values, reverse=True)
    total = len(values)
    page.fill("#filter-statistics", "okinawa")
    shown = page.eval_on_selector_all("#statistics tbody tr:not([hidden])",
                                      "rows => rows.map(r => r.textContent.toLowerCase())")
    assert 1 <= len(shown) < total and all("okinawa" in text for text in shown)
    assert page.text_content('.table-count[data-table="statistics"]') == (
        f"{len(shown)} of {total} rows"
    )
    assert not problems.console and not problems.blocked


def test_claims_fit_1280_pixels(watched: tuple[Any, Problems], base_url: str) -> None:
    """The claims page needs no horizontal scrolling at 1,280 px, details open or closed."""
    page, _ = watched
    page.goto(urljoin(base_url, "claims.html"), wait_until="load")
    width_js = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    scroll, client = page.evaluate(width_js)
    assert client == 1280 and scroll <= client
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    scroll, client = page.evaluate(width_js)
    assert scroll <= client


def test_index_screenshot(watched: tuple[Any, Problems], base_url: str) -> None:
    """A screenshot of the index for the README (test-artifacts/site-index.png)."""
    page, _ = watched
    page.goto(urljoin(base_url, "index.html"), wait_until="load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-index.png"))
    assert (ARTIFACTS / "site-index.png").read_bytes().startswith(b"\x89PNG")
