"""Fixtures of the site tests: the site built once, a loopback server, headless Chromium.

The site is built once per test run: under pytest-xdist the first worker to need it builds
it into the run's shared temporary folder while holding a lock, and the other waits for it
(:func:`site_dir`); each worker then serves it on its own loopback port, with the audit
engines from ``node_modules`` beside it under :data:`ENGINE_PREFIX`.

Browser scaffolding (test-only): Debian's Chromium driven by Playwright's Python API with
``executable_path=/usr/bin/chromium`` (no browser download), offline flags, a fresh profile,
one browser per test module and worker. Nothing can leave the machine: Chromium's proxy is a
loopback port that refuses connections (loopback addresses bypass it), and every request
to an address off the machine is recorded as blocked. Without Chromium the browser tests
skip with a message, except when ``CI`` is set: then they fail
(:func:`tests.prerequisites.require`).
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
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
NODE_MODULES = paths.ROOT / "node_modules"
#: The audit engines' scripts (npm packages pinned in package-lock.json), by file name.
ENGINES = MappingProxyType({
    "axe.min.js": NODE_MODULES / "axe-core" / "axe.min.js",
    "HTMLCS.js": NODE_MODULES / "html_codesniffer" / "build" / "HTMLCS.js",
})
#: Where the loopback server serves the engines (no page of the site lives there).
ENGINE_PREFIX = "/_audit-engines/"
ARTIFACTS = paths.ROOT / "test-artifacts"
LOCAL = re.compile(r"^(file:|data:|blob:|about:|https?://(127\.0\.0\.1|localhost)(:\d+)?/)")


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the committed notebooks, figures and data, once per test run.

    Under pytest-xdist the workers share the run's base temporary folder: the first one
    here builds the site into it while holding a lock, the others wait on the lock and find
    it built. Tests only read it.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build_site(tmp_path_factory.mktemp("site") / "site").parent
    shared = tmp_path_factory.getbasetemp().parent / "shared-site"
    shared.mkdir(exist_ok=True)
    out = shared / "site"
    with (shared / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (out / "index.html").is_file():
                build_site(out)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of the site, and the audit engines under ENGINE_PREFIX; no access log."""

    def translate_path(self, path: str) -> str:
        """Map ENGINE_PREFIX<name> to the engine's file in node_modules."""
        name = path.split("?", 1)[0].removeprefix(ENGINE_PREFIX)
        if path.startswith(ENGINE_PREFIX) and name in ENGINES:
            return str(ENGINES[name])
        return super().translate_path(path)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Drop the access log."""


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    """A loopback HTTP server on a free port serving the site (and the audit engines)."""
    handler = functools.partial(_SiteHandler, directory=str(site_dir))
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
    page.on("request", lambda r: None if LOCAL.match(r.url) else problems.blocked.append(r.url))
    page.on("requestfailed", lambda r: problems.failed.append(f"{r.url}: {r.failure}")
            if LOCAL.match(r.url) else None)
    page.on("response", lambda r: problems.failed.append(f"{r.url}: HTTP {r.status}")
            if r.status >= 400 else None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium with a fresh profile (a persistent context).

    Module scope: Playwright's sync API keeps an asyncio loop running in this thread until
    it stops, which would break later tests that start their own loop. The scheduler
    (root ``conftest.py``) hands a worker its share of a spread module's tests in a row, so
    each worker starts one browser for them. Its proxy is a loopback port bound but never
    listening, so it refuses every connection.
    """
    require(CHROMIUM.exists(), f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "the playwright package is not installed (test extra)")
        raise
    profile = tmp_path_factory.mktemp("chromium-profile")
    with socket.socket() as dead_end, sync_playwright() as playwright:
        dead_end.bind(("127.0.0.1", 0))
        proxy = f"--proxy-server=http://127.0.0.1:{dead_end.getsockname()[1]}"
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, proxy],
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture()
def watched(browser: Any, base_url: str) -> Iterator[tuple[Any, Problems]]:
    """A fresh page whose console errors and failed or off-machine requests are recorded.

    No request interception: Playwright's routing would turn the browser's cache off, so
    every page would fetch and compile the theme's scripts and styles again.
    """
    problems = Problems()
    page = browser.new_page()
    _watch(page, problems)
    try:
        yield page, problems
    finally:
        page.close()
