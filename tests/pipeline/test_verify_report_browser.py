"""The replication report in headless Chromium: the audit engines find nothing failing; it prints.

The page is audited the way ``tests/site/test_site_browser.py`` audits the site
(:mod:`tests.site.audit`: axe-core and HTML_CodeSniffer from ``node_modules``, failing on
any serious or critical axe violation and any HTML_CodeSniffer error), opened from a ``file:`` URL
with every other request refused, so it must be complete offline. It is then printed to PDF
(what "print" gives a reviewer) and must give pages. Skipped locally without Chromium or
the engines; failing when ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis.pipeline.verify_report import write_verify_report
from tests.pipeline.trees import REPORT_FILES, copy_trees, graded, paint_block
from tests.prerequisites import require
from tests.site import audit
from tests.site.conftest import ENGINES, browser  # noqa: F401  (the fixture, module scope)

pytestmark = pytest.mark.browser



@pytest.fixture()
def page_url(tmp_path: Path) -> str:
    """A report with a painted figure, a changed count and a re-encoded PNG, as file: URL."""
    trees = copy_trees(tmp_path, REPORT_FILES)
    paint_block(trees[1] / "figures/claims_changes.png", 30, 30, size=30)
    table = trees[1] / "figures/police_victims_by_year_offence.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(",746,", ",747,"), "utf-8")
    page, _ = write_verify_report(graded(trees), *trees, tmp_path / "out")
    return page.as_uri()


@pytest.fixture()
def offline_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:  # noqa: F811
    """A fresh page refusing every request that is not the file itself or inline data."""
    problems: list[str] = []
    page = browser.new_page()

    def route(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            problems.append(f"request refused: {url}")
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        yield page, problems
    finally:
        page.close()


def test_report_passes_both_engines_offline_and_prints(offline_page, page_url: str) -> None:
    """No failing finding of axe-core or HTML_CodeSniffer, no request off the page; it prints."""
    require(all(path.is_file() for path in ENGINES.values()),
            f"{', '.join(map(str, ENGINES.values()))}: run `npm ci` (CI does)")
    page, problems = offline_page
    response = page.goto(page_url, wait_until="load")
    assert response is None or response.ok
    findings = audit.audit(page, [{"path": str(path)} for path in ENGINES.values()])
    assert not audit.failing("verify report", findings), audit.summary("verify report", findings)
    assert not problems, problems
    page.emulate_media(color_scheme="light")
    assert page.evaluate("document.images.length") == 3
    assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth)")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") > 1
