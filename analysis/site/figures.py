"""The figures of the compendium as the site shows them, from what the notebooks declared.

Every figure and table is declared when a notebook saves it (:mod:`analysis.outputs`) and
recorded in ``figures/MANIFEST.json`` (:class:`analysis.pipeline.manifest.OutputRecord`):
its name, title, alt text, files and the cell that drew it. The site reads those records and
nothing else to find them. The staged copy of each notebook (never the committed file) gets
an anchor before the cell that draws a figure, the alt text on the cell's image output, and a
link to the figure's CSV after it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from analysis.pipeline.manifest import Manifest, OutputRecord, load_manifest
from analysis.site.html_tables import associate_cell_headers


@dataclass(frozen=True)
class Figure:
    """A figure drawn by a notebook cell, as its notebook declared it.

    Attributes:
        name: File stem under ``figures/``.
        notebook: Stem of the notebook that draws it.
        cell: Index of the drawing code cell in the executed notebook.
        cell_id: That cell's id.
        title: The chart's title, as drawn.
        alt: Alt text saying what the chart shows.
        has_csv: Whether the figure's data CSV is among its files.
    """

    name: str
    notebook: str
    cell: int
    cell_id: str
    title: str
    alt: str
    has_csv: bool

    @property
    def anchor(self) -> str:
        """HTML id of the anchor placed before the drawing cell in the notebook page."""
        return f"draws-{self.name.replace('_', '-')}"


def _figure(stem: str, record: OutputRecord) -> Figure:
    has_csv = bool(record.files) and record.files[-1].endswith(".csv")
    return Figure(record.name, stem, record.cell if record.cell is not None else -1,
                  record.cell_id, record.title, record.description, has_csv)


def manifest_figures(manifest: Manifest) -> list[Figure]:
    """Every declared figure, notebooks in name order, each notebook's in cell order."""
    found = []
    for stem, entry in sorted(manifest.notebooks.items()):
        figures = [_figure(stem, record) for record in entry.records("figure")]
        found += sorted(figures, key=lambda figure: (figure.cell, figure.name))
    return found


def notebook_figures(manifest: Manifest, notebook: str) -> list[Figure]:
    """The figures one notebook (by stem) declared, in cell order."""
    return [figure for figure in manifest_figures(manifest) if figure.notebook == notebook]


def declared_table(manifest: Manifest, name: str, root: Path) -> Path | None:
    """The CSV of the table a notebook declared as ``name`` (e.g. ``claims``), if any.

    Args:
        manifest: The manifest.
        name: The table's name.
        root: The project root (the manifest's paths are relative to it).
    """
    record = manifest.record(name, "table")
    if record is None or record.data is None:
        return None
    return root / record.data


def figures_manifest(figures_dir: Path) -> Manifest:
    """The manifest of the canonical outputs in ``figures_dir``."""
    return load_manifest(figures_dir / "MANIFEST.json")


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
        figures: The figures it draws (from :func:`notebook_figures`); each is matched to
            its cell by the cell's id, or by its index when the id is not recorded.

    Returns:
        The notebook to render: pandas' empty index headers named; before each drawing
        cell a markdown cell holding an anchor (:attr:`Figure.anchor`); the cell's image
        outputs carry the alt text; after it a markdown cell links the figure's CSV and
        the gallery.
    """
    nb = copy.deepcopy(nbformat.read(notebook, as_version=4))
    by_cell: dict[int, list[Figure]] = {}
    ids = {cell.get("id"): index for index, cell in enumerate(nb.cells)}
    for figure in figures:
        by_cell.setdefault(ids.get(figure.cell_id, figure.cell), []).append(figure)
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
