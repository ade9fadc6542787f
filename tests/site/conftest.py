"""Fixtures of the site tests: the site built once, a loopback server, headless Chromium.

Browser scaffolding (test-only): Debian's Chromium driven by Playwright's Python API with
``executable_path=/usr/bin/chromium`` (no browser download), offline flags, a fresh profile,
and a route that aborts every request leaving the machine. Without Chromium the browser
tests skip with a message, except when ``CI`` is set: then they fail
(:func:`tests.prerequisites.require`).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from analysis import paths
from analysis.site import build_site
from tests.prerequisites import require

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
AXE = paths.ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = paths.ROOT / "test-artifacts"
_LOCAL = re.compile(r"^(file:|data:|blob:|about:|https?://(127\.0\.0\.1|localhost)(:\d+)?/)")


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the committed notebooks, figures and data."""
    return build_site(tmp_path_factory.mktemp("site") / "site").parent


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler without an access log."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Drop the access log."""


@pytest.fixture(scope="session")
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
class Problems:
    """What went wrong in the browser: console errors, failed and blocked requests."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def _watch(page: Any, problems: Problems) -> None:
    """Record a page's console errors and failed requests."""
    page.on("console", lambda m: problems.console.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.console.append(f"{page.url}: {error}"))
    page.on("requestfailed", lambda r: problems.failed.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: problems.failed.append(f"{r.url}: HTTP {r.status}")
            if r.status >= 400 else None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium with a fresh profile (a persistent context).

    Module scope: Playwright's sync API keeps an asyncio loop running in this thread until
    it stops, which would break later tests that start their own loop.
    """
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "the playwright package is not installed (test extra)")
        raise
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True,
            args=list(CHROMIUM_ARGS), viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def watched(browser: Any, base_url: str) -> Iterator[tuple[Any, Problems]]:
    """A fresh page whose console errors and failed or off-machine requests are recorded."""
    problems = Problems()

    def route(route: Any) -> None:
        if _LOCAL.match(route.request.url):
            route.continue_()
        else:
            problems.blocked.append(route.request.url)
            route.abort()

    page = browser.new_page()
    page.route("**/*", route)
    _watch(page, problems)
    try:
        yield page, problems
    finally:
        page.close()
