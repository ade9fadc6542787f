"""Sphinx extension of the research note: computed numbers in prose, linked to their source.

One mechanism puts every number into the note: the role ``value``, whose content is a
reference ``table:rows:column[:format]`` resolved by :mod:`analysis.site.values` against the
tables of this build (``compendium_processed``, ``compendium_figures``)::

    The rate ratio is {value}`claims:pornography_victims_increased:estimate:.3g`.

Each inserted value is a link to its source: in HTML the dataset row, the claim, the
cross-check or the figure in the gallery; in the PDF (:mod:`analysis.site.typst`) the
value's entry in the note's list of sources. Directives built on the same references:

- ``value-table <table>:<rows>``: a table whose body lines are ``Header | column[:format]``,
  one row per selected row of a keyed table, every cell an inserted value;
- ``note-figure <name>``: a figure of the compendium (image, computed alt text, a link to
  the gallery), its body the caption;
- ``note-sources``: the list of every row the note's values came from (in the PDF the
  values link here; in HTML each entry links to the row's page);
- ``note-references``: the report (from ``CITATION.cff``) and the software used, each
  with its version from ``requirements.lock`` (the packages are the directive's body);
- ``note-citation``: how to cite the compendium, from ``CITATION.cff`` (text and BibTeX).

The note documents (config ``note_documents``) are checked by the digit lint
(:mod:`analysis.site.digits`) when read: a typed number fails the build (``-W``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from packaging.markers import Marker
from packaging.requirements import Requirement
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from analysis import paths
from analysis.io import load_yaml
from analysis.site.digits import typed_numbers
from analysis.site.values import Link, SourceEntry, Tables, Value, ValueReferenceError

logger = logging.getLogger(__name__)
_LABEL = re.compile(r"[^A-Za-z0-9_-]+")


class note_value(nodes.Inline, nodes.TextElement):  # noqa: N801 - docutils node names
    """An inserted value: its links (:class:`note_link`) and the separators between them."""


class note_link(nodes.Inline, nodes.TextElement):  # noqa: N801
    """One linked piece of an inserted value.

    Attributes ``page``, ``anchor``, ``source`` (its source entry), ``reference``.
    """


class note_site_link(nodes.Inline, nodes.TextElement):  # noqa: N801
    """A link to a row on a site page (HTML only; the PDF has no site to link to)."""


class note_figure(nodes.General, nodes.Element):  # noqa: N801
    """A compendium figure: ``name``, ``alt``, ``png``, ``svg``; children: the caption."""


class note_sources(nodes.General, nodes.Element):  # noqa: N801
    """Placeholder of the list of sources, filled when the doctree is resolved."""


def source_label(source_id: str) -> str:
    """The id (HTML) and label (Typst) of a source entry: ``src-fact-police_victims_2014``."""
    return "src-" + _LABEL.sub("-", source_id)


def note_data(env: Any) -> Tables:
    """The build's :class:`~analysis.site.values.Tables` (made at ``builder-inited``)."""
    return env.note_tables


def value_node(value: Value, rawtext: str = "") -> note_value:
    """The nodes of one resolved value."""
    node = note_value(rawtext, "", reference=value.reference.text)
    for part in value.parts:
        if isinstance(part, str):
            node += nodes.Text(part)
        else:
            node += link_node(part, value.reference.text)
    return node


def link_node(link: Link, reference: str) -> note_link:
    """A :class:`note_link` of one :class:`~analysis.site.values.Link`."""
    return note_link(
        link.text, link.text, page=link.page, anchor=link.anchor, source=link.source_id,
        reference=reference,
    )


class ValueRole(SphinxRole):
    """``{value}`table:rows:column[:format]```: a computed value, linked to its source."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        """Resolve the reference; an unresolvable one is an error at its line."""
        try:
            value = note_data(self.env).resolve(self.text)
        except ValueReferenceError as exc:
            message = self.inliner.reporter.error(f"value: {exc}", line=self.lineno)
            problem = self.inliner.problematic(self.rawtext, self.rawtext, message)
            return [problem], [message]
        return [value_node(value, self.rawtext)], []


class _NoteDirective(SphinxDirective):
    """Base: the build's tables, and an error at the directive's line."""

    @property
    def tables(self) -> Tables:
        """The build's tables."""
        return note_data(self.env)

    def fail(self, message: str) -> list[nodes.Node]:
        """An error node at the directive."""
        return [self.state.document.reporter.error(
            f"{self.name}: {message}", line=self.lineno
        )]


class ValueTable(_NoteDirective):
    """``value-table table:rows``: one row per selected row, one column per body line."""

    required_arguments = 1
    has_content = True
    option_spec = {"caption": str}

    def run(self) -> list[nodes.Node]:
        """Build the table; every cell is an inserted value."""
        table_name, _, rows = self.arguments[0].partition(":")
        columns = [line.partition("|") for line in self.content if line.strip()]
        if not rows or not columns or any(not spec.strip() for _, _, spec in columns):
            return self.fail("give table:rows and body lines 'Header | column[:format]'")
        try:
            keys = self.tables.keys(table_name, rows)
            cells = [
                [self.tables.resolve(f"{table_name}:{key}:{spec.strip()}") for _, _, spec in
                 columns]
                for key in keys
            ]
        except ValueReferenceError as exc:
            return self.fail(str(exc))
        return [table_node([head.strip() for head, _, _ in columns], cells,
                           self.options.get("caption", ""))]


def table_node(headers: Sequence[str], cells: Sequence[Sequence[Value]], caption: str
               ) -> nodes.table:
    """A docutils table: a header row and one row of inserted values per row."""
    table = nodes.table(classes=["note-table"])
    if caption:
        table += nodes.title(caption, caption)
    group = nodes.tgroup(cols=len(headers))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in headers)
    head = nodes.thead()
    head += _row([nodes.Text(text) for text in headers])
    body = nodes.tbody()
    body.extend(_row([value_node(value) for value in row]) for row in cells)
    group += head
    group += body
    return table


def _row(contents: Iterable[nodes.Node]) -> nodes.row:
    """A table row, one entry per node."""
    row = nodes.row()
    for content in contents:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", content)
        row += entry
    return row


class NoteFigure(_NoteDirective):
    """``note-figure name``: a figure of the gallery, the body its caption."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        """Find the figure (title and alt text as the gallery has them) and its images."""
        name = self.arguments[0]
        found = [f for f in self.env.compendium.figures if f.name == name]  # type: ignore[attr-defined]
        if not found:
            return self.fail(f"no figure {name!r} in the gallery")
        figures_dir = Path(self.config.compendium_figures)
        png, svg = figures_dir / f"{name}.png", figures_dir / f"{name}.svg"
        missing = [str(path) for path in (png, svg) if not path.is_file()]
        if missing:
            return self.fail(f"missing {', '.join(missing)}")
        self.tables.files.update({png.resolve(), svg.resolve()})
        node = note_figure(name=name, alt=found[0].alt, title=found[0].title,
                           png=str(png.resolve()), svg=str(svg.resolve()))
        node["ids"] = [f"note-figure-{name}"]
        caption = nodes.paragraph()
        self.state.nested_parse(self.content, self.content_offset, caption)
        node += caption.children[0] if len(caption.children) == 1 else caption
        return [node]


class NoteSources(_NoteDirective):
    """``note-sources``: where the note's values come from (filled when resolved)."""

    def run(self) -> list[nodes.Node]:
        """A placeholder."""
        return [note_sources()]


def fill_sources(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the list of sources, one entry per row the note's values used."""
    placeholders = list(doctree.findall(note_sources))
    if not placeholders:
        return
    tables = note_data(app.env)
    used = dict.fromkeys(link["source"] for link in doctree.findall(note_link))
    items = nodes.bullet_list(classes=["note-sources"])
    for source_id in used:
        items += nodes.list_item("", source_paragraph(tables.entry(source_id)))
    for placeholder in placeholders:
        placeholder.replace_self(items.deepcopy())


def source_paragraph(entry: SourceEntry) -> nodes.paragraph:
    """One entry of the list of sources (its id is the label the PDF's values link to)."""
    paragraph = nodes.paragraph(ids=[source_label(entry.source_id)])
    paragraph += nodes.strong(entry.title, entry.title)
    if entry.detail:
        paragraph += nodes.Text(f". {entry.detail}")
    paragraph += note_site_link("", f" ({entry.link_text})", page=entry.page,
                                anchor=entry.anchor)
    return paragraph


@dataclass(frozen=True)
class Citation:
    """What ``CITATION.cff`` says, as the note prints it."""

    authors: str
    title: str
    version: str
    licence: str
    report: str

    @property
    def text(self) -> str:
        """The compendium's citation in one sentence."""
        return f"{self.authors}, {self.title}, version {self.version}, {self.licence} licence."

    @property
    def bibtex(self) -> str:
        """The same as a BibTeX entry."""
        return (
            "@software{japan_src_compendium,\n"
            f"  author  = {{{{{self.authors}}}}},\n"
            f"  title   = {{{self.title}}},\n"
            f"  version = {{{self.version}}},\n"
            f"  license = {{{self.licence}}},\n"
            "}"
        )


def load_citation(path: Path) -> Citation:
    """Read ``CITATION.cff`` (the compendium and the report it references)."""
    cff = load_yaml(path)
    (report,) = [r for r in cff.get("references", []) if r.get("type") == "report"]
    report_text = (
        f"{report['authors'][0]['name']}, {' '.join(report['title'].split())}, "
        f"{report['publisher']['name']}, {report['conference']['name']}, "
        f"{report['number']} ({report['year']})."
    )
    return Citation(
        ", ".join(author["name"] for author in cff["authors"]),
        " ".join(cff["title"].split()),
        str(cff["version"]),
        str(cff["license"]),
        report_text,
    )


def locked_version(lock: Path, package: str) -> str:
    """The version of ``package`` pinned in the lock file for this interpreter.

    Raises:
        ValueError: The package is not pinned (for this interpreter's markers).
    """
    wanted = package.lower().replace("_", "-")
    for line in Path(lock).read_text(encoding="utf-8").splitlines():
        if not line or line[0] in " #-":
            continue
        requirement = Requirement(line.rstrip("\\ ").strip())
        if requirement.name.lower().replace("_", "-") != wanted:
            continue
        if requirement.marker is None or Marker(str(requirement.marker)).evaluate():
            (pin,) = requirement.specifier
            return pin.version
    raise ValueError(f"{package} is not pinned in {lock}")


class NoteReferences(_NoteDirective):
    """``note-references``: the report, then each package of the body with its version."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        """The references list."""
        citation = load_citation(Path(self.config.compendium_citation))
        lock = Path(self.config.compendium_lock)
        self.tables.files.update({Path(self.config.compendium_citation).resolve(),
                                  lock.resolve()})
        items = nodes.bullet_list(classes=["note-references"])
        items += nodes.list_item("", nodes.paragraph(citation.report, citation.report))
        items += nodes.list_item("", nodes.paragraph(citation.text, citation.text))
        try:
            pinned = [f"{package} {locked_version(lock, package)}"
                      for package in (line.strip() for line in self.content if line.strip())]
        except ValueError as exc:
            return self.fail(str(exc))
        text = f"Software, at the versions pinned in requirements.lock: {', '.join(pinned)}."
        items += nodes.list_item("", nodes.paragraph(text, text))
        return [items]


class NoteCitation(_NoteDirective):
    """``note-citation``: how to cite the compendium (from ``CITATION.cff``)."""

    def run(self) -> list[nodes.Node]:
        """A paragraph and a BibTeX block."""
        path = Path(self.config.compendium_citation)
        citation = load_citation(path)
        self.tables.files.add(path.resolve())
        block = nodes.literal_block(citation.bibtex, citation.bibtex, language="bibtex")
        return [nodes.paragraph(citation.text, citation.text, classes=["note-citation"]), block]


def check_digits(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: the digit lint on the note documents."""
    if docname not in app.config.note_documents:
        return
    path = app.env.doc2path(docname)
    for found in typed_numbers(source[0]):
        logger.warning(found.message(str(path)), location=(docname, found.line))


def init_tables(app: Sphinx) -> None:
    """``builder-inited``: the tables of this build."""
    config = app.config
    app.env.note_tables = Tables(  # type: ignore[attr-defined]
        Path(config.compendium_processed), Path(config.compendium_figures)
    )


# ---- HTML -------------------------------------------------------------------------------


def visit_skip(translator: Any, node: nodes.Node) -> None:
    """Skip a node and its children."""
    raise nodes.SkipNode


def _href(translator: Any, node: nodes.Element) -> str:
    """The node's page and anchor as a URI relative to the page being written."""
    builder = translator.builder
    uri = builder.get_relative_uri(builder.current_docname, node["page"])
    return uri + (f"#{node['anchor']}" if node["anchor"] else "")


def visit_note_link_html(translator: Any, node: note_link) -> None:
    """Open the link to the value's source."""
    translator.body.append(
        f'<a class="note-value" href="{html.escape(_href(translator, node))}" '
        f'data-reference="{html.escape(node["reference"])}" '
        f'data-source="{html.escape(node["source"])}">'
    )


def depart_link_html(translator: Any, node: nodes.Element) -> None:
    """Close the link."""
    translator.body.append("</a>")


def visit_site_link_html(translator: Any, node: note_site_link) -> None:
    """Open the link to a source row's page."""
    translator.body.append(f'<a href="{html.escape(_href(translator, node))}">')


def visit_passthrough(translator: Any, node: nodes.Element) -> None:
    """Nothing around the node's children."""


def visit_note_figure_html(translator: Any, node: note_figure) -> None:
    """The figure: the gallery's PNG with its alt text; the caption follows."""
    up = translator.builder.get_relative_uri(translator.builder.current_docname, "index")
    root = up.rsplit("/", 1)[0] + "/" if "/" in up else ""
    name = html.escape(node["name"])
    translator.body.append(
        f'<figure class="note-figure" id="note-figure-{name}">'
        f'<img src="{root}figures/{name}.png" alt="{html.escape(node["alt"])}">'
        "<figcaption>"
    )


def depart_note_figure_html(translator: Any, node: note_figure) -> None:
    """Close the caption with a link to the figure in the gallery."""
    up = translator.builder.get_relative_uri(translator.builder.current_docname, "figures")
    name = html.escape(node["name"])
    translator.body.append(
        f' <a href="{up}#figure-{name}">The figure in the gallery</a>, with its data and '
        "the notebook cell that draws it.</figcaption></figure>"
    )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the role, directives, nodes and config values."""
    app.add_config_value("note_documents", ["note"], "env")
    app.add_config_value("compendium_citation", str(paths.ROOT / "CITATION.cff"), "env")
    app.add_config_value("compendium_lock", str(paths.LOCK_FILE), "env")
    app.add_node(note_value, html=(visit_passthrough, visit_passthrough))
    app.add_node(note_link, html=(visit_note_link_html, depart_link_html))
    app.add_node(note_site_link, html=(visit_site_link_html, depart_link_html))
    app.add_node(note_figure, html=(visit_note_figure_html, depart_note_figure_html))
    app.add_node(note_sources, html=(visit_skip, visit_passthrough))
    app.add_role("value", ValueRole())
    for name, directive in {
        "value-table": ValueTable, "note-figure": NoteFigure, "note-sources": NoteSources,
        "note-references": NoteReferences, "note-citation": NoteCitation,
    }.items():
        app.add_directive(name, directive)
    app.connect("builder-inited", init_tables)
    app.connect("source-read", check_digits)
    app.connect("doctree-resolved", fill_sources)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
