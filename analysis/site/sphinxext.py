"""Sphinx extension of the compendium's site: data pages and the report viewer.

Directives (used by the pages in ``site/`` and by the generated viewer pages):

- ``report-paragraph N``: paragraph N of the report, every numeric token marked;
- ``report-footnotes N ...``: the listed footnotes, each linked back to its reference;
- ``report-cover``: the Secretariat's cover note (Russian, ``lang="ru"``);
- ``report-summary``: the viewer's counts (values highlighted, tokens marked);
- ``compendium-table dataset|cross-checks``, ``compendium-claims``, ``compendium-gallery``:
  the data pages (HTML from :mod:`analysis.site.pages`).

The role ``report-mark`` marks a numeric token inside a heading. The pages Sphinx writes
without a source document (the index) get a title for the theme's print-only heading,
which would otherwise be an empty ``<h1>``. Data is read once per build
(``builder-inited``) from the folders named by the config values ``compendium_raw``,
``compendium_processed``, ``compendium_figures`` and ``compendium_notebooks``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective, SphinxRole

from analysis import paths
from analysis.site import pages
from analysis.site.figures import Figure, declared_table, figures_manifest, manifest_figures
from analysis.site.viewer import CsvTable, Mark, Piece, Viewer, load_viewer, pieces, read_table


class element(nodes.Element, nodes.Inline):  # noqa: N801 - docutils names nodes in lower case
    """An HTML element with the given tag and attributes (children rendered inside)."""


def visit_element(translator: Any, node: element) -> None:
    """Open the element's tag."""
    translator.body.append(translator.starttag(node, node["tag"], "", **node["attrs"]))


def depart_element(translator: Any, node: element) -> None:
    """Close the element's tag."""
    translator.body.append(f"</{node['tag']}>")


def make(tag: str, text: str = "", children: Sequence[nodes.Node] = (), **attrs: str) -> element:
    """An :class:`element` node (``class_`` becomes ``class``)."""
    attributes = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
    node = element("", *([nodes.Text(text)] if text else []), *children)
    if "id" in attributes:
        node["ids"] = [attributes.pop("id")]
    node["tag"], node["attrs"] = tag, attributes
    return node


@dataclass(frozen=True)
class SiteData:
    """What the directives show, read once per build."""

    viewer: Viewer
    claims: CsvTable
    figures: tuple[Figure, ...]


def load_site_data(app: Sphinx) -> None:
    """``builder-inited``: read the report, the processed tables, claims and figures."""
    config = app.config
    processed, figures_dir = Path(config.compendium_processed), Path(config.compendium_figures)
    manifest = figures_manifest(figures_dir)
    claims_csv = declared_table(manifest, "claims", figures_dir.parent)
    claims = read_table(claims_csv) if claims_csv and claims_csv.is_file() else CsvTable((), ())
    app.env.compendium = SiteData(  # type: ignore[attr-defined]
        load_viewer(Path(config.compendium_raw), processed),
        claims,
        tuple(manifest_figures(manifest)),
    )


class _Directive(SphinxDirective):
    """Base: access to the site data and the page's relative root."""

    @property
    def data(self) -> SiteData:
        """The build's :class:`SiteData`."""
        return self.env.compendium  # type: ignore[attr-defined]

    @property
    def up(self) -> str:
        """Relative path from the current page to the site root."""
        return "../" * self.env.docname.count("/")

    def raw(self, text: str) -> list[nodes.Node]:
        """A raw HTML node."""
        return [nodes.raw("", text, format="html")]


def _tip(mark: Mark, viewer: Viewer) -> str:
    """The sentence that explains a mark."""
    if mark.is_value:
        said = " | ".join(pages.fact_description(viewer.facts[fact]) for fact in mark.fact_ids)
        flags = " ".join(sentence for _, sentence in mark.flags)
        return f"Extracted figure. {said}. {flags}".strip()
    lead = "Labels a figure" if mark.status == "label" else "Not a statistic"
    labelled = f" ({', '.join(mark.fact_ids)})" if mark.fact_ids else ""
    return f"{lead}{labelled}. Category: {mark.category.replace('_', ' ')}; {mark.reason}."


def mark_nodes(mark: Mark, viewer: Viewer, up: str, anchors: dict[str, str]) -> list[nodes.Node]:
    """The nodes of one marked token: the token, its flags, its hidden description."""
    tip = _tip(mark, viewer)
    described = f"d-{mark.token_id}"
    if mark.is_value:
        fact = mark.fact_ids[0]
        ident = f"v-{fact}" if anchors.get(fact) == mark.token_id else f"t-{mark.token_id}"
        token = make(
            "a", mark.text, id=ident, class_="rv-value", href=f"{up}dataset.html#row-{fact}",
            aria_describedby=described, data_tip=tip,
        )
    else:
        token = make(
            "span", mark.text, id=f"t-{mark.token_id}", class_=f"rv-token rv-{mark.status}",
            tabindex="0", aria_describedby=described, data_tip=tip,
        )
    flags = [
        make("a", "cross-check: " + kind.split(":")[2], class_="rv-flag",
             href=f"{up}cross-checks.html#check-{kind.split(':')[1]}")
        if kind.startswith("check:")
        else make("span", "ambiguous reading", class_="rv-flag")
        for kind, _ in mark.flags
    ]
    return [token, *flags, make("span", tip, id=described, hidden="hidden")]


def piece_nodes(
    items: Sequence[Piece], viewer: Viewer, up: str, refs: bool = True
) -> list[nodes.Node]:
    """Nodes of a run of pieces (text, marks, footnote references)."""
    anchors = viewer.anchors()
    result: list[nodes.Node] = []
    for piece in items:
        if piece.mark is not None:
            result.extend(mark_nodes(piece.mark, viewer, up, anchors))
        elif piece.footnote is not None:
            number = piece.footnote
            link = make("a", str(number), id=f"fnref-{number}", href=f"#fn-{number}",
                        aria_label=f"footnote {number}", class_="rv-fnref")
            result.append(make("sup", children=[link]))
        else:
            result.append(nodes.Text(piece.text))
    return result


class ReportParagraph(_Directive):
    """``report-paragraph N``: one paragraph, footnote blocks left out."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        """Render the paragraph."""
        viewer = self.data.viewer
        paragraph = viewer.report.paragraph(int(self.arguments[0]))
        skip = [
            (f.block_start, f.block_end)
            for f in viewer.report.footnotes
            if paragraph.start <= f.block_start < paragraph.end
        ]
        items = pieces(viewer.report.text, paragraph.start, paragraph.end, viewer.marks, skip)
        node = nodes.paragraph("", "", *piece_nodes(items, viewer, self.up))
        node["ids"] = [f"para-{paragraph.number}"]
        node["classes"] = ["rv-paragraph"]
        return [node]


class ReportFootnotes(_Directive):
    """``report-footnotes N ...``: the footnotes, each linked back to its reference."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        """Render the list."""
        viewer = self.data.viewer
        items = []
        for number in (int(word) for word in self.arguments[0].split()):
            note = viewer.report.footnote(number)
            back = make("a", str(number), href=f"#fnref-{number}", class_="rv-fnback",
                        aria_label=f"back to the reference of footnote {number}")
            text = pieces(viewer.report.text, note.start, note.end, viewer.marks)
            items.append(make("li", children=[back, nodes.Text(" "),
                                              *piece_nodes(text, viewer, self.up)],
                              id=f"fn-{number}"))
        return [make("ol", children=items, class_="rv-footnotes")]


class ReportCover(_Directive):
    """``report-cover``: the cover note, line by line, in Russian."""

    def run(self) -> list[nodes.Node]:
        """Render the cover note."""
        viewer = self.data.viewer
        text = viewer.report.text
        blocks, start = [], 0
        for line in text[: viewer.report.cover_end].split("\n"):
            end = start + len(line)
            if line.strip():
                items = pieces(text, start, end, viewer.marks)
                blocks.append(make("p", children=piece_nodes(items, viewer, self.up)))
            start = end + 1
        return [make("div", children=blocks, lang="ru", class_="rv-cover")]


class ReportSummary(_Directive):
    """``report-summary``: how many tokens the viewer marks, by status and category."""

    def run(self) -> list[nodes.Node]:
        """Render the counts."""
        counts = viewer_counts(self.data.viewer)
        rows = "".join(
            f"<tr><th scope=\"row\">{html.escape(k)}</th><td>{v}</td></tr>"
            for k, v in counts.items()
        )
        return self.raw(
            '<table class="rv-summary"><caption>Numeric tokens of the report as the viewer '
            "shows them</caption><thead><tr><th scope=\"col\">What</th><th scope=\"col\">Tokens"
            f"</th></tr></thead><tbody>{rows}</tbody></table>"
        )


def viewer_counts(viewer: Viewer) -> dict[str, int]:
    """Tokens by how the viewer shows them."""
    marks = viewer.marks
    return {
        "extracted figures (highlighted, linked to the dataset)": sum(m.is_value for m in marks),
        "figure labels (marked with category and reason)": sum(m.status == "label" for m in marks),
        "not statistics (marked with category and reason)": sum(
            m.status == "not_statistic" and m.category != "footnote_marker" for m in marks
        ),
        "footnote numbers (links between reference and note)": sum(
            m.category == "footnote_marker" for m in marks
        ),
        "values with an ambiguous reading or a cross-check discrepancy": sum(
            bool(m.flags) for m in marks
        ),
    }


class CompendiumTable(_Directive):
    """``compendium-table dataset|cross-checks``."""

    required_arguments = 1
    option_spec = {"discrepancies": directives.flag}

    def run(self) -> list[nodes.Node]:
        """Render the table."""
        viewer = self.data.viewer
        if self.arguments[0] == "dataset":
            return self.raw(pages.dataset_table(viewer, viewer.statistics.header, self.up))
        checks = viewer.checks.rows
        rows = pages.discrepancies(checks) if "discrepancies" in self.options else checks
        return self.raw(pages.cross_check_table(viewer, viewer.checks.header, rows, self.up))


class CompendiumClaims(_Directive):
    """``compendium-claims``: the claims at a glance."""

    def run(self) -> list[nodes.Node]:
        """Render the claims."""
        data = self.data
        claims = data.claims
        return self.raw(pages.claims_list(data.viewer, claims.header, claims.rows, self.up))


class CompendiumGallery(_Directive):
    """``compendium-gallery``: every figure."""

    def run(self) -> list[nodes.Node]:
        """Render the gallery."""
        return self.raw(pages.gallery(self.data.figures, self.up))


class ReportMarkRole(SphinxRole):
    """``{report-mark}`T0032```: a numeric token in a heading (plain text in a TOC copy)."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Render the token."""
        viewer = self.env.compendium.viewer  # type: ignore[attr-defined]
        mark = next(m for m in viewer.marks if m.token_id == self.text)
        node = heading_mark("", mark.text)
        node["tip"] = _tip(mark, viewer)
        node["token"] = mark.token_id
        return [node], []


class heading_mark(nodes.Inline, nodes.TextElement):  # noqa: N801
    """A marked token in a heading; outside the heading itself (TOC copies) plain text."""


def visit_heading_mark(translator: Any, node: heading_mark) -> None:
    """Mark the token when it sits in the section title, else write plain text."""
    if isinstance(node.parent, nodes.title):
        token, tip = node["token"], html.escape(node["tip"])
        translator.body.append(
            f'<span id="t-{token}" class="rv-token rv-not_statistic" tabindex="0" '
            f'aria-describedby="d-{token}" data-tip="{tip}">'
        )


def depart_heading_mark(translator: Any, node: heading_mark) -> None:
    """Close the token and write its hidden description."""
    if isinstance(node.parent, nodes.title):
        translator.body.append(
            f'</span><span id="d-{node["token"]}" hidden>'
            f"{html.escape(node['tip'])}</span>"
        )


#: Titles of the pages Sphinx writes without a source document (``pagetitle`` is unset there).
GENERATED_PAGE_TITLES = MappingProxyType({"genindex": "Index", "search": "Search"})


def title_generated_pages(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context``: the title of a generated page, where the theme has none."""
    if not context.get("pagetitle") and pagename in GENERATED_PAGE_TITLES:
        context["pagetitle"] = GENERATED_PAGE_TITLES[pagename]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, role, nodes and config values."""
    app.add_config_value("compendium_raw", str(paths.RAW_REPORT), "env")
    app.add_config_value("compendium_processed", str(paths.PROCESSED_DIR), "env")
    app.add_config_value("compendium_figures", str(paths.FIGURES_DIR), "env")
    app.add_config_value("compendium_notebooks", str(paths.NOTEBOOKS_DIR), "env")
    app.add_node(element, html=(visit_element, depart_element))
    app.add_node(heading_mark, html=(visit_heading_mark, depart_heading_mark))
    app.add_role("report-mark", ReportMarkRole())
    for name, directive in {
        "report-paragraph": ReportParagraph, "report-footnotes": ReportFootnotes,
        "report-cover": ReportCover, "report-summary": ReportSummary,
        "compendium-table": CompendiumTable, "compendium-claims": CompendiumClaims,
        "compendium-gallery": CompendiumGallery,
    }.items():
        app.add_directive(name, directive)
    app.connect("builder-inited", load_site_data)
    app.connect("html-page-context", title_generated_pages)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
