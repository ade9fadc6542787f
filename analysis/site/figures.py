"""The figures of the compendium as the site shows them: who draws them, what they show.

A figure is a ``save_figure(fig, "name", ...)`` call in a notebook's code cell whose image
(``figures/<name>.png`` or ``.svg``) exists. Its alt text says what the chart shows: the
chart's ``title=`` argument in that cell (f-strings resolved against the texts of the saved
SVG) and the columns of its data CSV that vary, e.g. "Bar chart data: Child victims
registered by the police, by offence and year". The staged copy of each notebook (never the
committed file) gets an anchor before the cell that draws a figure, the alt text on the
cell's image output, and a link to the figure's CSV after it.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from analysis.site.html_tables import associate_cell_headers
from analysis.site.viewer import Table, read_table

_SAVE_FIGURE = re.compile(r"save_figure\(\s*[^,()]+,\s*(?:name\s*=\s*)?([\"'])([\w-]+)\1")
_TITLE_ARGUMENT = re.compile(
    r"""\btitle\s*=\s*(?P<prefix>[rRfFuU]{0,2})(?P<quote>["'])"""
    r"""(?P<text>(?:\\.|(?!(?P=quote)).)*)(?P=quote)"""
)
_SVG_TEXT = re.compile(r"<!-- (.*?) -->")
#: An empty header cell (pandas' index column) and what screen readers hear instead.
_EMPTY_HEADER = "<th></th>"
_INDEX_HEADER = '<th><span class="visually-hidden">index</span></th>'


#: CSV columns that hold measures or provenance rather than a chart's breakdowns.
MEASURE_COLUMNS = frozenset(
    {
        "value", "count", "n", "total", "share", "percent", "proportion", "estimate",
        "ci_low", "ci_high", "p_value", "rate", "ratio", "fact_id", "fact_ids", "facts",
        "paragraph", "footnote", "unit", "qualifier", "source_body", "note", "evidence",
        "label", "victims", "convictions", "referrals", "cases", "reports", "figures",
    }
)


@dataclass(frozen=True)
class Figure:
    """A figure drawn by a notebook cell.

    Attributes:
        name: File stem under ``figures/``.
        notebook: Stem of the notebook that draws it.
        cell: Index of the drawing code cell in the committed notebook.
        title: The chart's title (from the code), or the humanised name.
        alt: Alt text saying what the chart shows.
        has_csv: Whether ``figures/<name>.csv`` exists.
    """

    name: str
    notebook: str
    cell: int
    title: str
    alt: str
    has_csv: bool

    @property
    def anchor(self) -> str:
        """HTML id of the anchor placed before the drawing cell in the notebook page."""
        return f"draws-{self.name.replace('_', '-')}"


def _humanize(name: str) -> str:
    """``police_victims_by_year`` -> ``Police victims by year``."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def chart_title(code: str, name: str, svg_text: str) -> str | None:
    """The last ``title=`` argument before the cell's ``save_figure`` call for ``name``.

    An f-string title is matched against the texts matplotlib writes into the SVG as
    comments, so ``f"... {year}"`` becomes the title as drawn.
    """
    calls = [m for m in _SAVE_FIGURE.finditer(code) if m.group(2) == name]
    before = [m for m in _TITLE_ARGUMENT.finditer(code) if calls and m.start() < calls[0].start()]
    if not before:
        return None
    found = before[-1]
    text = re.sub(r"\\(.)", r"\1", found.group("text")).strip()
    if "f" not in found.group("prefix").lower():
        return text or None
    pieces = re.split(r"\{[^{}]*\}", text)
    pattern = re.compile("(?s)" + ".+?".join(re.escape(piece) for piece in pieces))
    for drawn in _SVG_TEXT.findall(svg_text):
        if pattern.fullmatch(html.unescape(drawn).strip()):
            return html.unescape(drawn).strip()
    return None


def breakdowns(data: Table) -> list[str]:
    """The columns of a figure's data that are not measures and take several values."""
    return [
        column.replace("_", " ")
        for column in data.header
        if column.lower() not in MEASURE_COLUMNS
        and len({row[column] for row in data.rows} - {""}) > 1
    ]


def alt_text(title: str, columns: Sequence[str], rows: int) -> str:
    """Alt text: what the chart shows and along which breakdowns, with its size."""
    text = f"Chart: {title.rstrip('.')}"
    lowered = text.lower()
    missing = [column for column in columns if column.lower() not in lowered]
    if missing:
        text += ", by " + " and ".join(missing[:3])
    return f"{text} ({rows} data rows; the table is linked below the chart)."


def notebook_figures(notebook: Path, figures_dir: Path) -> list[Figure]:
    """The figures a notebook draws, in cell order (only those whose image exists)."""
    nb = nbformat.read(notebook, as_version=4)
    found: list[Figure] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for match in _SAVE_FIGURE.finditer(cell.source):
            name = match.group(2)
            svg, png = figures_dir / f"{name}.svg", figures_dir / f"{name}.png"
            if not (svg.is_file() or png.is_file()):
                continue
            svg_text = svg.read_text(encoding="utf-8") if svg.is_file() else ""
            title = chart_title(cell.source, name, svg_text) or _humanize(name)
            csv_file = figures_dir / f"{name}.csv"
            data = read_table(csv_file) if csv_file.is_file() else Table((), ())
            alt = alt_text(title, breakdowns(data), len(data.rows))
            found.append(Figure(name, notebook.stem, index, title, alt, csv_file.is_file()))
    return found


def all_figures(notebooks: Iterable[Path], figures_dir: Path) -> list[Figure]:
    """The figures of every notebook, notebooks in the given order."""
    return [figure for path in notebooks for figure in notebook_figures(path, figures_dir)]


def _label_index_headers(cell: nbformat.NotebookNode) -> None:
    """Tie the header cells of the cell's pandas tables to their data cells, in place."""
    associate_cell_headers(cell)


def _markdown_cell(text: str, cell_id: str) -> nbformat.NotebookNode:
    """A markdown cell with a fixed id (nbformat would draw a random one)."""
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = cell_id
    return cell


def staged_notebook(notebook: Path, figures: Sequence[Figure]) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with anchors, alt text and data links around its figures.

    Args:
        notebook: The committed executed notebook (left unchanged).
        figures: The figures it draws (from :func:`notebook_figures`).

    Returns:
        The notebook to render: pandas' empty index headers named; before each drawing
        cell a markdown cell holding an anchor (:attr:`Figure.anchor`); the cell's image
        outputs carry the alt text; after it a markdown cell links the figure's CSV and
        the gallery.
    """
    nb = copy.deepcopy(nbformat.read(notebook, as_version=4))
    by_cell: dict[int, list[Figure]] = {}
    for figure in figures:
        by_cell.setdefault(figure.cell, []).append(figure)
    cells = []
    for index, cell in enumerate(nb.cells):
        drawn = by_cell.get(index, [])
        anchors = "".join(f'<span id="{figure.anchor}"></span>' for figure in drawn)
        if anchors:
            cells.append(_markdown_cell(anchors, f"site-anchor-{index}"))
            cell.metadata.setdefault("mystnb", {})["image"] = {"alt": drawn[0].alt}
        _label_index_headers(cell)
        cells.append(cell)
        links = [
            f'<a href="../figures/{figure.name}.csv">{figure.name}.csv</a>'
            for figure in drawn
            if figure.has_csv
        ]
        if links:
            text = "Data behind this chart: " + ", ".join(links)
            text += ' (all charts: <a href="../figures.html">figures gallery</a>).'
            cells.append(_markdown_cell(text, f"site-data-{index}"))
    nb.cells = cells
    return nb
