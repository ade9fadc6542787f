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

from tests.site.conftest import ARTIFACTS, AXE, Problems, require

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


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Inject axe-core from node_modules and return its violations on the page."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
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
    for source, target, fragment in anchors:
        if target in ids and fragment not in ids[target]:
            broken.append(f"{source}: #{fragment} not found in {target}")
    counts = Counter((v["impact"], v["id"], name) for name, vs in violations.items() for v in vs
                     for _ in range(v["nodes"]))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(violations, indent=1, sort_keys=True))
    print("\naxe-core violations (impact, rule, page): nodes")
    for key, count in sorted(counts.items()):
        print(" ", *key, count)
    allowed = {(rule, name) for rule, name, _ in AXE_ALLOWED}
    failing = [
        f"{name}: {v['id']} ({v['impact']}, {v['nodes']} nodes, e.g. {v['targets']})"
        for name, vs in violations.items() for v in vs
        if v["impact"] in FAILING_IMPACTS and (v["id"], name) not in allowed
    ]
    assert len(names) >= 15
    assert not broken, "broken:\n" + "\n".join(broken)
    assert not problems.console, "console errors:\n" + "\n".join(problems.console)
    assert not problems.failed, "failed requests:\n" + "\n".join(problems.failed)
    assert not problems.blocked, "requests leaving the machine:\n" + "\n".join(problems.blocked)
    assert not failing, "serious/critical axe violations:\n" + "\n".join(failing)
