"""Browser test of the static site: headless Debian Chromium driven by Playwright.

The site is built from the real notebooks and figures when the notebooks folder holds
executed notebooks, otherwise from the synthetic input set of :mod:`analysis.site`. It is
served from a loopback ``http.server``; every page reachable by relative links is visited
and checked for console errors, failed requests, broken links and images; the dataset
table must sort and filter. A screenshot of the index goes to ``test-artifacts/``.

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``). Without it the test is
skipped, except when the environment variable ``CI`` is set (to anything but empty, ``0``,
``false`` or ``no``): then it fails, so CI can never skip it silently.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from analysis import paths, site

pytestmark = pytest.mark.browser

ARTIFACTS = paths.ROOT / "test-artifacts"


def _require_browser() -> None:
    """Skip (locally) or fail (in CI) when Chromium or Playwright is missing."""
    problem = None
    if not site.CHROMIUM.exists():
        problem = (
            f"Chromium not found at {site.CHROMIUM}: install Debian's chromium package "
            "(CI installs it)"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed (test extra)"
    if problem is None:
        return
    if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"CI is set, so the browser test may not be skipped: {problem}")
    pytest.skip(problem)


def _has_executed_notebooks(folder: Path) -> bool:
    """Whether ``folder`` holds at least one executed notebook."""
    import nbformat

    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        try:
            if site.is_executed(nbformat.read(path, as_version=4)):
                return True
        except (OSError, ValueError):
            continue
    return False


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Drop the access log."""


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: real notebooks and figures if executed ones exist, else synthetic."""
    _require_browser()
    out = tmp_path_factory.mktemp("browser-site") / "site"
    if _has_executed_notebooks(paths.NOTEBOOKS_DIR):
        index = site.build_site(out)
    else:
        inputs = site.write_sample_inputs(tmp_path_factory.mktemp("browser-inputs"))
        index = site.build_site(out, **inputs)
    return index.parent


@pytest.fixture(scope="module")
def base_url(site_dir: Path) -> Iterator[str]:
    """A loopback HTTP server on a free port serving the site."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class _Problems:
    """What went wrong in the browser, per page URL."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser_context(base_url: str) -> Iterator[tuple[Any, _Problems]]:
    """A Chromium context that records console errors and failed requests.

    Its browser is ``context.browser``.
    """
    from playwright.sync_api import sync_playwright

    problems = _Problems()
    with sync_playwright() as playwright:
        browser = site.launch_chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            problems.blocked = site.block_network(context)

            def on_page(page: Any) -> None:
                page.on(
                    "console",
                    lambda message: problems.console.append(f"{page.url}: {message.text}")
                    if message.type == "error"
                    else None,
                )
                page.on("pageerror", lambda error: problems.console.append(f"{page.url}: {error}"))
                page.on(
                    "requestfailed",
                    lambda request: problems.failed.append(
                        f"{request.url}: {request.failure}"
                    ),
                )
                page.on(
                    "response",
                    lambda response: problems.failed.append(
                        f"{response.url}: HTTP {response.status}"
                    )
                    if response.status >= 400
                    else None,
                )

            context.on("page", on_page)
            yield context, problems
        finally:
            browser.close()


_IMAGES_JS = """
() => Array.from(document.images).map(img => ({
  src: img.getAttribute("src"), alt: img.getAttribute("alt"),
  complete: img.complete, width: img.naturalWidth,
}))
"""
_LINKS_JS = """
() => Array.from(document.querySelectorAll("a[href], link[href], script[src], img[src]"))
  .map(el => el.getAttribute("href") || el.getAttribute("src"))
"""
_IDS_JS = "() => Array.from(document.querySelectorAll('[id]')).map(el => el.id)"


def test_every_page_loads_cleanly(
    browser_context: tuple[Any, _Problems], base_url: str, site_dir: Path
) -> None:
    """Crawl from the index: no console errors, failed requests, broken links or images."""
    context, problems = browser_context
    page = context.new_page()
    queue = [urljoin(base_url, "index.html")]
    seen: set[str] = set()
    ids: dict[str, set[str]] = {}
    anchors: list[tuple[str, str, str]] = []
    broken: list[str] = []
    images = 0
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        ids[url] = set(page.evaluate(_IDS_JS))
        for image in page.evaluate(_IMAGES_JS):
            images += 1
            label = f"{url}: <img src={image['src'][:80]}>"
            assert (image["alt"] or "").strip(), f"{label} has no alt text"
            assert image["complete"] and image["width"] > 0, f"{label} is not displayed"
        for href in page.evaluate(_LINKS_JS):
            parts = urlsplit(href)
            if parts.scheme in {"http", "https", "mailto"} or href.startswith("//"):
                assert parts.scheme == "mailto" or href.startswith(("http://", "https://")), href
                continue
            if parts.scheme == "data":
                continue
            target, fragment = urldefrag(urljoin(url, href))
            if not target.startswith(base_url):
                broken.append(f"{url}: {href} leaves the site")
                continue
            relative = unquote(target[len(base_url):])
            if not (site_dir / relative).is_file():
                broken.append(f"{url}: {href} -> missing {relative}")
                continue
            if fragment:
                anchors.append((url, target, fragment))
            if target.endswith(".html") and target not in seen:
                queue.append(target)
    page.close()
    for source, target, fragment in anchors:
        # As browsers do: the fragment matches an id as written or percent-decoded.
        if target in ids and not {fragment, unquote(fragment)} & ids[target]:
            broken.append(f"{source}: #{fragment} not found in {target}")
    expected = {"index.html", "dataset.html", "cross-checks.html", "claims.html", "figures.html"}
    visited = {url[len(base_url):] for url in seen}
    assert expected <= visited
    assert any(name.startswith("notebooks/") for name in visited)
    assert images > 0
    assert not broken, "broken links:\n" + "\n".join(broken)
    assert not problems.console, "console errors:\n" + "\n".join(problems.console)
    assert not problems.failed, "failed requests:\n" + "\n".join(problems.failed)
    assert not problems.blocked, "network requests:\n" + "\n".join(problems.blocked)


def _column_keys(page: Any, table: str, column: int) -> list[str]:
    """Sort keys (data-sort, else text) of one column over the visible rows."""
    return page.evaluate(
        """([table, column]) => Array.from(document.querySelectorAll(`#${table} tbody tr`))
          .filter(row => !row.hidden)
          .map(row => { const cell = row.cells[column];
                        return (cell.getAttribute("data-sort") ?? cell.textContent).trim(); })""",
        [table, column],
    )


def test_dataset_table_sorts_and_filters(
    browser_context: tuple[Any, _Problems], base_url: str
) -> None:
    """Clicking a heading sorts the dataset table; typing in the filter box filters it."""
    context, problems = browser_context
    page = context.new_page()
    page.goto(urljoin(base_url, "dataset.html"), wait_until="load")
    headers = page.eval_on_selector_all(
        "#statistics thead th", "cells => cells.map(c => c.textContent.trim())"
    )
    value_column = headers.index("Value")
    fact_column = headers.index("Fact")
    original = _column_keys(page, "statistics", value_column)
    assert len(original) >= 2

    header = page.locator("#statistics thead th").nth(value_column)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    ascending = [float(key) for key in _column_keys(page, "statistics", value_column) if key]
    assert ascending == sorted(ascending)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = [float(key) for key in _column_keys(page, "statistics", value_column) if key]
    assert descending == sorted(descending, reverse=True)

    facts = _column_keys(page, "statistics", fact_column)
    query = sorted(facts)[0]
    page.fill("#filter-statistics", query)
    shown = page.eval_on_selector_all(
        "#statistics tbody tr:not([hidden])", "rows => rows.map(r => r.textContent)"
    )
    assert 1 <= len(shown) < len(facts)
    assert all(query.lower() in text.lower() for text in shown)
    count = page.text_content('.table-count[data-table="statistics"]')
    assert count == f"{len(shown)} of {len(facts)} rows"
    page.fill("#filter-statistics", "no row contains this text")
    assert page.locator("#statistics tbody tr:not([hidden])").count() == 0
    page.fill("#filter-statistics", "")
    assert page.locator("#statistics tbody tr:not([hidden])").count() == len(facts)
    page.close()
    assert not problems.console, "console errors:\n" + "\n".join(problems.console)


def test_index_from_file_url_and_screenshot(
    browser_context: tuple[Any, _Problems], site_dir: Path
) -> None:
    """The index opened from file:// shows its thumbnails; its screenshot is an artefact."""
    context, problems = browser_context
    page = context.new_page()
    page.goto((site_dir / "index.html").resolve().as_uri(), wait_until="load")
    for image in page.evaluate(_IMAGES_JS):
        assert image["complete"] and image["width"] > 0, f"file://: {image['src']} not shown"
    page.close()
    assert not problems.console, "console errors:\n" + "\n".join(problems.console)
    assert not problems.blocked, "network requests:\n" + "\n".join(problems.blocked)
    target = site.screenshot(
        site_dir / "index.html", ARTIFACTS / "site-index.png", browser=context.browser
    )
    assert target.read_bytes().startswith(b"\x89PNG")
