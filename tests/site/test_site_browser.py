"""Browser tests of the built site in headless Debian Chromium (see conftest.py).

Every page: loads with no console error, no failed request, no request leaving the machine,
no broken link, anchor or image, every image with alt text that is not a file name, and no
serious or critical axe-core violation (moderate and minor ones are listed in
``test-artifacts/axe.json`` and printed). Then: the search finds "Okinawa"; a dataset row's
link lands on the highlighted value in the report and back; the audit reason of a
non-statistic token is reachable by keyboard; tabbing through one page of each kind shows a
visible focus ring on every stop.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from tests.prerequisites import require
from tests.site.conftest import ARTIFACTS, AXE, Problems

pytestmark = pytest.mark.browser

#: Impacts that fail the test; the others are reported.
FAILING_IMPACTS = frozenset({"serious", "critical"})
#: Allowed axe violations: (rule, page, reason). Empty: nothing serious is excused.
AXE_ALLOWED: tuple[tuple[str, str, str], ...] = ()

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
    """Every HTML page of the site (relative paths), theme fragments excluded."""
    return sorted(
        path.relative_to(site_dir).as_posix()
        for path in site_dir.rglob("*.html")
        if "_static" not in path.parts
    )


#: Freezes CSS transitions and animations so that axe measures settled colours (the theme
#: fades colours in when the colour scheme changes).
_SETTLE_CSS = "*, *::before, *::after { transition: none !important; animation: none !important; }"


def run_axe(page: Any, options: str = "{resultTypes: ['violations'], preload: false}") -> list:
    """Inject axe-core from node_modules and return its violations on the page.

    ``preload: false``: axe would otherwise re-fetch the theme's ``@import``-ed stylesheet
    relative to the page (a spurious 404); only the css-orientation-lock rule needs it.
    """
    page.add_style_tag(content=_SETTLE_CSS)
    # Two animation frames: the new style has been applied (an event, not a fixed sleep).
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        f"async () => (await axe.run(document, {options})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )


def _check_links(url: str, facts: dict[str, Any], base_url: str, site_dir: Path) -> list[str]:
    """Broken internal links, off-site references and bad images of one page."""
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
        elif fragment and target == urldefrag(url)[0] and unquote(fragment) not in facts["ids"]:
            broken.append(f"{url}: #{fragment} not on the page")
    for image in facts["images"]:
        alt = (image["alt"] or "").strip()
        if not image["ok"]:
            broken.append(f"{url}: image {image['src']} not displayed")
        if not alt or alt.lower().endswith((".png", ".svg")) or "_images/" in alt:
            broken.append(f"{url}: image {image['src']} has no alt text saying what it shows")
    return broken


def test_every_page_loads_cleanly_and_passes_axe(
    watched: tuple[Any, Problems], base_url: str, site_dir: Path
) -> None:
    """Every page: clean load, links, anchors, images, and axe-core (serious/critical fail)."""
    require(AXE.is_file(), f"{AXE} missing: run `npm ci` (CI does)")
    page, problems = watched
    broken: list[str] = []
    anchors: list[tuple[str, str, str]] = []
    ids: dict[str, set[str]] = {}
    violations: dict[str, list[dict[str, Any]]] = {}
    names = site_pages(site_dir)
    for name in names:
        url = urljoin(base_url, name)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        facts = page.evaluate(_PAGE_FACTS_JS)
        ids[name] = set(facts["ids"])
        broken += _check_links(url, facts, base_url, site_dir)
        for href in facts["links"]:
            target, fragment = urldefrag(urljoin(url, href))
            path = urlsplit(target).path.lstrip("/")
            if fragment and target.startswith(base_url) and path.endswith(".html"):
                anchors.append((name, path, unquote(fragment)))
        violations[name] = run_axe(page)
        page.emulate_media(color_scheme="dark")
        page.goto(url, wait_until="load")
        dark = run_axe(page, "{runOnly: ['color-contrast'], preload: false}")
        violations[name] += [{**v, "id": f"{v['id']} (dark mode)"} for v in dark]
        page.emulate_media(color_scheme="light")
    for source, target, fragment in anchors:
        if target in ids and fragment not in ids[target]:
            broken.append(f"{source}: #{fragment} not found in {target}")
    counts = Counter((v["impact"], v["id"], name) for name, vs in violations.items() for v in vs
                     for _ in range(v["nodes"]))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(violations, indent=1, sort_keys=True))
    print("\naxe-core violations (impact, rule, page): nodes")
    for key, count in sorted(counts.items()):
        print("axe:", *key, count)
    allowed = {(rule, name) for rule, name, _ in AXE_ALLOWED}
    failing = [
        f"{name}: {v['id']} ({v['impact']}, {v['nodes']} nodes, e.g. {v['targets']})"
        for name, vs in violations.items() for v in vs
        if v["impact"] in FAILING_IMPACTS and (v["id"], name) not in allowed
    ]
    assert len(names) >= 15
    assert {"index.html", "dataset.html", "cross-checks.html", "claims.html", "figures.html",
            "search.html"} <= set(names)
    assert not broken, "broken:\n" + "\n".join(broken)
    assert not problems.console, "console errors:\n" + "\n".join(problems.console)
    assert not problems.failed, "failed requests:\n" + "\n".join(problems.failed)
    assert not problems.blocked, "requests leaving the machine:\n" + "\n".join(problems.blocked)
    assert not failing, "serious/critical axe violations:\n" + "\n".join(failing)


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
