"""Test-only: the accessibility audit of one loaded page by axe-core and HTML_CodeSniffer.

Both engines come from npm (``package.json``, pinned in ``package-lock.json``, installed by
``npm ci``) and are injected into the page once per load, from the loopback server
(``conftest.ENGINE_PREFIX``), so the browser compiles each of them once per run. axe-core
runs every rule in light mode, then only colour contrast once the page has switched to
dark mode (the theme follows the emulated ``prefers-color-scheme``); HTML_CodeSniffer runs
its WCAG 2 AA standard. What fails the test: an axe violation of impact serious or
critical, and an HTML_CodeSniffer error, unless :data:`ALLOWED` names it (it names
nothing). Everything else (axe's moderate and minor violations, HTML_CodeSniffer's
warnings and notices) is listed in the page's report, ``test-artifacts/a11y/<page>.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

AXE = "axe-core"
HTMLCS = "HTML_CodeSniffer"
#: Severities that fail the test, per engine.
FAILING = {AXE: frozenset({"serious", "critical"}), HTMLCS: frozenset({"error"})}
#: The npm package of each engine.
PACKAGES = {AXE: "axe-core", HTMLCS: "html_codesniffer"}
#: HTML_CodeSniffer's message types.
HTMLCS_TYPES = {1: "error", 2: "warning", 3: "notice"}


@dataclass(frozen=True)
class Allowed:
    """A failing finding excused on one page, and why."""

    engine: str
    rule: str
    page: str
    reason: str


#: Excused findings. Empty: no serious or critical axe violation and no HTML_CodeSniffer
#: error is excused anywhere.
ALLOWED: tuple[Allowed, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One rule of one engine that reported elements on a page.

    Attributes:
        engine: :data:`AXE` or :data:`HTMLCS`.
        rule: axe's rule id (with `` (dark mode)`` for the dark-mode run) or HTML_CodeSniffer's
            message code.
        severity: axe's impact, or HTML_CodeSniffer's error, warning or notice.
        count: How many elements (axe: nodes; HTML_CodeSniffer: messages).
        first: The first element, as a selector.
        message: What the rule says (axe's help, HTML_CodeSniffer's message).
    """

    engine: str
    rule: str
    severity: str
    count: int
    first: str
    message: str

    @property
    def fails(self) -> bool:
        """Whether the finding's severity fails the test."""
        return self.severity in FAILING[self.engine]


#: Freezes CSS transitions and animations so that axe measures settled colours (the theme
#: fades colours in when the colour scheme changes).
SETTLE_CSS = "*, *::before, *::after { transition: none !important; animation: none !important; }"

#: ``preload: false``: axe would otherwise re-fetch the theme's ``@import``-ed stylesheet
#: relative to the page (a spurious 404); only the css-orientation-lock rule needs it.
#: ``resultTypes: ['violations']``: passes, incomplete and inapplicable results carry one
#: node each, not all (every rule still runs).
_AXE_JS = """async (runOnly) => {
  const options = {resultTypes: ['violations'], preload: false};
  if (runOnly) options.runOnly = runOnly;
  const result = await axe.run(document, options);
  return result.violations.map(v => ({rule: v.id, severity: v.impact, count: v.nodes.length,
    first: v.nodes[0].target.join(' '), message: v.help}));
}"""

_HTMLCS_JS = """() => new Promise((resolve, reject) => {
  const describe = (el) => {
    if (!el || el.nodeType !== 1) return el && el.nodeName ? el.nodeName.toLowerCase() : '';
    const parts = [];
    for (let node = el; node && node.nodeType === 1 && parts.length < 4;
         node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) { parts.unshift(part + '#' + node.id); break; }
      if (node.classList.length) part += '.' + Array.from(node.classList).slice(0, 2).join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  HTMLCS.process('WCAG2AA', document, () => resolve(HTMLCS.getMessages().map(m => ({
    type: m.type, rule: m.code, first: describe(m.element), message: m.msg}))),
    reject, 'en');
})"""


def _htmlcs_findings(messages: list[dict[str, Any]]) -> list[Finding]:
    """HTML_CodeSniffer's messages counted per code (first element and message kept)."""
    counts = Counter((m["type"], m["rule"]) for m in messages)
    first: dict[tuple[int, str], dict[str, Any]] = {}
    for message in messages:
        first.setdefault((message["type"], message["rule"]), message)
    return [
        Finding(HTMLCS, rule, HTMLCS_TYPES.get(kind, str(kind)), counts[kind, rule],
                first[kind, rule]["first"], first[kind, rule]["message"])
        for kind, rule in counts
    ]


#: Whether the page shows the given colour scheme: the theme's ``data-theme``, or, on a page
#: without it, at once (plain ``prefers-color-scheme`` CSS).
_SCHEME_JS = """(scheme) => !document.documentElement.hasAttribute('data-theme')
  || document.documentElement.dataset.theme === scheme"""


def audit(page: Any, scripts: Sequence[Mapping[str, str]]) -> list[Finding]:
    """Both engines on the loaded page: axe (light, then dark contrast), HTML_CodeSniffer.

    Args:
        page: A Playwright page, loaded in light mode.
        scripts: How to inject each engine: keyword arguments of ``page.add_script_tag``
            (``{"url": ...}`` from a server, or ``{"path": ...}`` for a ``file:`` page).
    """
    page.add_style_tag(content=SETTLE_CSS)
    # The theme restores the last page's colour scheme at first, then follows the browser's.
    page.wait_for_function(_SCHEME_JS, arg="light")
    for script in scripts:
        page.add_script_tag(**script)
    found = [Finding(AXE, **v) for v in page.evaluate(_AXE_JS, None)]
    found += _htmlcs_findings(page.evaluate(_HTMLCS_JS))
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(_SCHEME_JS, arg="dark")
    dark = page.evaluate(_AXE_JS, ["color-contrast"])
    found += [Finding(AXE, **{**v, "rule": f"{v['rule']} (dark mode)"}) for v in dark]
    return sorted(found, key=lambda f: (not f.fails, f.engine, f.severity, f.rule))


def failing(name: str, findings: list[Finding]) -> list[Finding]:
    """The findings that fail the test on page ``name`` (those :data:`ALLOWED` excepted)."""
    allowed = {(a.engine, a.rule, a.page) for a in ALLOWED}
    return [f for f in findings if f.fails and (f.engine, f.rule, name) not in allowed]


def summary(name: str, findings: list[Finding]) -> str:
    """One table of both engines' findings on a page: engine, severity, count, rule, first."""
    lines = [f"{name}: {len(failing(name, findings))} failing findings"]
    lines += [
        f"  {'FAIL' if f in failing(name, findings) else '    '} {f.engine:<16} "
        f"{f.severity:<8} {f.count:>4}  {f.rule}  first: {f.first}"
        for f in findings
    ]
    return "\n".join(lines)


def locked_versions(lock_file: Path) -> dict[str, str]:
    """Each engine's version as ``package-lock.json`` pins it."""
    packages = json.loads(lock_file.read_text(encoding="utf-8"))["packages"]
    return {engine: packages[f"node_modules/{name}"]["version"]
            for engine, name in PACKAGES.items()}


def write_report(folder: Path, name: str, versions: dict[str, str],
                 findings: list[Finding]) -> Path:
    """Write the page's findings (every severity) to ``folder/<page>.json``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name.replace("/", "__").removesuffix(".html") + ".json")
    report = {"page": name, "engines": versions,
              "failing": [asdict(f) for f in failing(name, findings)],
              "findings": [asdict(f) for f in findings]}
    path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
