"""Static HTML site of the compendium: notebooks, figures, dataset, cross-checks and claims.

:func:`build_site` renders the executed notebooks (``notebooks/*.ipynb``) with nbconvert and
writes, next to them, an index, a sortable and filterable table of every extracted figure
(``report_statistics.csv``), the cross-checks, the tested claims (``figures/claims.csv``) and a
figures page. Figures (SVG, PNG, PDF and CSV) and the processed CSVs are copied into the site, so it
is self-contained: every link is relative, the pages open from ``file://`` and nothing is
fetched from the network (the nbconvert template drops require.js, MathJax and Mermaid).

Layout of the site (it mirrors the repository, so a notebook's relative links such as
``../figures/x.png`` keep working)::

    index.html  dataset.html  cross-checks.html  claims.html  figures.html
    notebooks/NN-topic.html  notebooks/NN-topic.ipynb
    figures/<name>.svg|.png|.csv
    data/processed/<table>.csv
    assets/site.css  assets/table.js

The build is deterministic: the same inputs give byte-identical files (no timestamps, sorted
order, no random identifiers). Which notebook made which figure comes from
``figures/MANIFEST.json`` when it exists, otherwise from the notebooks' code (a
``save_figure(fig, "name")`` call, or the figure's name as a string literal).

Alt text of a figure, first match wins: the ``alt`` key of a sidecar ``figures/<name>.json``;
a sidecar ``figures/<name>.alt.txt``; the PNG's ``Description`` or ``Title`` text chunk
(``savefig(..., metadata={"Description": ...})``); otherwise it is built from the chart's
title (the ``title=`` argument in the notebook cell that saves the figure, f-strings resolved
against the texts of the saved SVG) or the figure's name, and the columns of its CSV that
vary, e.g. "Chart: Cases referred for prosecution, by year and offence (data:
referrals_by_year_offence.csv)". An optional visible caption comes from the ``caption`` key
of the JSON sidecar or ``figures/<name>.caption.txt``.

Command line: ``python -m analysis.site`` (see :func:`main`), meant to be wired as
``python -m analysis report``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import html
import json
import re
import shutil
import struct
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from analysis import paths
from analysis.dataset.schema import BREAKDOWN_COLUMNS as _EXTRACT_BREAKDOWNS

#: Folder of the site's templates and static assets (package data, no sub-folders).
TEMPLATES_DIR: Path = Path(__file__).resolve().parent / "templates"

#: Title shown in the header of every page.
SITE_TITLE = "Japan 2015: sale and sexual exploitation of children (compendium)"

#: Debian's Chromium, used for screenshots and the browser test (never downloaded).
CHROMIUM: Path = Path("/usr/bin/chromium")
#: Flags for a quiet, offline, headless Chromium.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: File in a built site that marks it as safe to replace on the next build.
SITE_MARKER = ".compendium-site"

IMAGE_SUFFIXES: tuple[str, ...] = (".svg", ".png")
COPIED_FIGURE_SUFFIXES: tuple[str, ...] = (".svg", ".png", ".pdf", ".csv")

#: Columns of ``report_statistics.csv`` merged into the "breakdowns" column of the dataset
#: (the extraction's own list, so the two cannot drift apart).
BREAKDOWN_COLUMNS: tuple[str, ...] = _EXTRACT_BREAKDOWNS

#: CSV columns that hold measures or provenance rather than a chart's dimensions.
_MEASURE_COLUMNS = frozenset(
    {
        "value", "values", "count", "counts", "n", "total", "share", "shares", "percent",
        "percentage", "proportion", "estimate", "ci_low", "ci_high", "lower", "upper",
        "p_value", "rate", "ratio", "fact_id", "fact_ids", "facts", "paragraph", "footnote",
        "unit", "qualifier", "source", "source_body", "note", "notes", "evidence", "label",
        "derived", "value_text", "char_start", "char_end", "victims", "convictions",
        "referrals", "cases", "reports",
    }
)

_NAV: tuple[tuple[str, str, str], ...] = (
    ("index", "index.html", "Notebooks"),
    ("dataset", "dataset.html", "Dataset"),
    ("cross-checks", "cross-checks.html", "Cross-checks"),
    ("claims", "claims.html", "Claims"),
    ("figures", "figures.html", "Figures"),
)

_SAVE_FIGURE = re.compile(
    r"save_figure\(\s*[^,()]+,\s*(?:name\s*=\s*)?[rRuU]?([\"'])([^\"'\n]+)\1"
)
_DROPPED_MIMETYPES = (
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)


@dataclass
class Figure:
    """One figure of the ``figures`` folder: an SVG and/or a PNG with an optional CSV.

    Attributes:
        name: The file stem shared by the figure's files.
        files: Suffix (``".svg"``, ``".png"``, ``".csv"``) -> source file.
        alt: Alt text saying what the figure shows.
        caption: Visible caption.
        title: Short human title.
        notebook: Stem of the notebook that made it, if known.
    """

    name: str
    files: dict[str, Path]
    alt: str = ""
    caption: str = ""
    title: str = ""
    notebook: str | None = None

    @property
    def anchor(self) -> str:
        """Return the HTML id of the figure on the figures page."""
        return "fig-" + _slug(self.name)

    def href(self, suffix: str) -> str | None:
        """Return the figure's file with ``suffix`` relative to the site root, if present."""
        if suffix not in self.files:
            return None
        return "figures/" + quote(self.files[suffix].name)

    @property
    def image_href(self) -> str:
        """Return the image shown on the figures page (SVG preferred, else PNG)."""
        return self.href(".svg") or self.href(".png") or ""

    @property
    def thumb_href(self) -> str:
        """Return the thumbnail shown on the index (PNG preferred, else SVG)."""
        return self.href(".png") or self.href(".svg") or ""


@dataclass
class NotebookPage:
    """One notebook of the site.

    Attributes:
        source: The ``.ipynb`` file.
        title: From the first markdown cell's ``# Title`` line.
        summary: The first paragraph after the title, as plain text.
        executed: Whether any code cell carries an execution count or outputs.
        figures: Names of the figures the notebook made, in order.
    """

    source: Path
    title: str
    summary: str
    executed: bool
    figures: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        """Return the notebook's file stem, e.g. ``"01-dataset"``."""
        return self.source.stem

    @property
    def href(self) -> str:
        """Return the notebook page relative to the site root."""
        return "notebooks/" + quote(self.stem) + ".html"

    @property
    def ipynb_href(self) -> str:
        """Return the copied ``.ipynb`` relative to the site root."""
        return "notebooks/" + quote(self.source.name)


# --------------------------------------------------------------------------------------------
# Small helpers


def _slug(text: str) -> str:
    """Return ``text`` reduced to characters safe in an HTML id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _humanize(name: str) -> str:
    """Turn a file stem such as ``police_victims-2014`` into ``police victims 2014``."""
    return re.sub(r"\s+", " ", re.sub(r"[_\-]+", " ", name)).strip()


def _join_words(words: Sequence[str]) -> str:
    """Join ``["a", "b", "c"]`` as ``"a, b and c"``."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a CSV file as strings.

    Args:
        path: The CSV file.

    Returns:
        The header and the rows (column -> text); empty lists when the file is missing.
    """
    if not path.is_file():
        return [], []
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = [{key: (value or "") for key, value in row.items() if key} for row in reader]
        return list(reader.fieldnames or []), rows


def _csv_header(path: Path) -> list[str]:
    """Return the header of a CSV file (empty when missing or empty)."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        return next(csv.reader(stream), [])


def _png_text_chunks(path: Path) -> dict[str, str]:
    """Return the ``tEXt``/``iTXt`` chunks of a PNG file (keyword -> text).

    Args:
        path: A PNG file.

    Returns:
        The text chunks; empty when the file is not a readable PNG.
    """
    chunks: dict[str, str] = {}
    try:
        data = path.read_bytes()
    except OSError:
        return chunks
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return chunks
    position = 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"tEXt" and b"\0" in body:
            keyword, text = body.split(b"\0", 1)
            chunks[keyword.decode("latin-1")] = text.decode("latin-1")
        elif kind == b"iTXt" and b"\0" in body:
            keyword, rest = body.split(b"\0", 1)
            compressed = rest[:1] == b"\1"
            parts = rest[2:].split(b"\0", 2)
            if len(parts) == 3:
                text_bytes = zlib.decompress(parts[2]) if compressed else parts[2]
                chunks[keyword.decode("latin-1")] = text_bytes.decode("utf-8", "replace")
        elif kind == b"IEND":
            break
    return chunks


class _TextCollector(HTMLParser):
    """Collects the text content of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _markdown_to_text(markdown: str) -> str:
    """Render markdown to plain text (links keep their text, emphasis is dropped)."""
    from nbconvert.filters import markdown2html

    collector = _TextCollector()
    collector.feed(markdown2html(markdown))
    return re.sub(r"\s+", " ", "".join(collector.parts)).strip()


def _shorten(text: str, limit: int = 400) -> str:
    """Cut ``text`` at a word boundary so it is at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


# --------------------------------------------------------------------------------------------
# Inputs: notebooks, figures, manifest


def notebook_title_summary(nb: Mapping[str, Any], fallback: str) -> tuple[str, str]:
    """Return a notebook's title and one-paragraph summary.

    The first markdown cell is expected to start with ``# Title`` followed by a paragraph.

    Args:
        nb: The notebook (nbformat node or plain dict).
        fallback: Title to use when there is no ``# Title`` line (e.g. the file stem).

    Returns:
        ``(title, summary)`` as plain text; the summary may be empty.
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = source.strip().splitlines()
        title = _humanize(fallback)
        if lines and re.match(r"#\s", lines[0]):
            title = _markdown_to_text(lines[0].lstrip("#").strip()) or title
            lines = lines[1:]
        paragraphs = re.split(r"\n\s*\n", "\n".join(lines).strip())
        summary = ""
        for paragraph in paragraphs:
            if paragraph.strip() and not paragraph.lstrip().startswith("#"):
                summary = _shorten(_markdown_to_text(paragraph))
                break
        return title, summary
    return _humanize(fallback), ""


def is_executed(nb: Mapping[str, Any]) -> bool:
    """Return whether a notebook has been executed (a code cell has a count or outputs)."""
    return any(
        cell.get("cell_type") == "code"
        and (cell.get("execution_count") is not None or cell.get("outputs"))
        for cell in nb.get("cells", [])
    )


def _cell_text(cell: Mapping[str, Any]) -> str:
    """Return a cell's source as one string."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def figure_references(source: str, known: Iterable[str]) -> tuple[list[str], list[str]]:
    """Find the figures a piece of notebook code refers to.

    Args:
        source: Code or markdown.
        known: Names of the figures that exist.

    Returns:
        ``(saved, mentioned)``: names passed to ``save_figure(fig, "name")`` in order, and
        other known names that appear as a string literal or a ``figures/<name>.<ext>`` path.
    """
    saved: list[str] = []
    for match in _SAVE_FIGURE.finditer(source):
        name = PurePosixPath(match.group(2)).name
        for suffix in COPIED_FIGURE_SUFFIXES:
            name = name.removesuffix(suffix)
        if name not in saved:
            saved.append(name)
    mentioned: list[str] = []
    for name in sorted(known):
        if name in saved:
            continue
        escaped = re.escape(name)
        literal = rf"([\"'])(?:[^\"'\n]*/)?{escaped}(?:\.(?:svg|png|pdf|csv))?\1"
        path = rf"figures/{escaped}\.(?:svg|png|pdf|csv)\b"
        if re.search(literal, source) or re.search(path, source):
            mentioned.append(name)
    return saved, mentioned


def load_manifest(figures_dir: Path) -> dict[str, list[str]]:
    """Read ``MANIFEST.json``: which outputs each notebook produced.

    Args:
        figures_dir: Folder holding ``MANIFEST.json``.

    Returns:
        Notebook stem -> file names of its figure outputs (e.g. ``"police_victims.svg"``;
        other outputs such as the executed notebook are left out); empty when there is no
        (readable) manifest.
    """
    manifest = figures_dir / "MANIFEST.json"
    if not manifest.is_file():
        return {}
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    result: dict[str, list[str]] = {}
    notebooks = content.get("notebooks", {}) if isinstance(content, dict) else {}
    for notebook, entry in sorted(notebooks.items()):
        outputs = entry.get("outputs", {}) if isinstance(entry, dict) else entry
        if isinstance(outputs, Mapping | list):
            names = sorted(
                PurePosixPath(str(key)).name
                for key in outputs
                if PurePosixPath(str(key)).suffix.lower() in COPIED_FIGURE_SUFFIXES
            )
            result[PurePosixPath(notebook).stem] = names
    return result


def figure_alt_caption(
    name: str, files: Mapping[str, Path], chart_title: str | None = None
) -> tuple[str, str, str]:
    """Return a figure's alt text, caption and title.

    Args:
        name: The figure's file stem.
        files: Suffix -> file of the figure (its folder is searched for sidecars).
        chart_title: The chart's title, if known (see :func:`chart_title`).

    Returns:
        ``(alt, caption, title)``; see the module docstring for the order of the sources.
        The caption is empty unless a sidecar gives one.
    """
    folder = next(iter(files.values())).parent
    title = chart_title or _humanize(name)
    title = title[:1].upper() + title[1:]
    alt = caption = ""
    sidecar = folder / f"{name}.json"
    if sidecar.is_file():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        if isinstance(meta, dict):
            alt = str(meta.get("alt", "") or "").strip()
            caption = str(meta.get("caption", "") or "").strip()
            title = str(meta.get("title", "") or "").strip() or title
    for suffix in (".alt.txt", ".caption.txt"):
        text_file = folder / f"{name}{suffix}"
        if text_file.is_file():
            text = re.sub(r"\s+", " ", text_file.read_text(encoding="utf-8")).strip()
            if suffix == ".alt.txt" and not alt:
                alt = text
            elif suffix == ".caption.txt" and not caption:
                caption = text
    if not alt and ".png" in files:
        chunks = _png_text_chunks(files[".png"])
        alt = (chunks.get("Description") or chunks.get("Title") or "").strip()
    if not alt:
        alt = _derived_alt(name, files.get(".csv"), chart_title)
    return alt, caption, title


def _derived_alt(name: str, csv_file: Path | None, chart_title: str | None = None) -> str:
    """Build alt text from a figure's title (or name) and the columns of its CSV.

    The chart's dimensions are the CSV columns that are not measures or provenance and
    that take more than one value.
    """
    words = chart_title or _humanize(name)
    text = f"Chart: {words}"
    if csv_file is None:
        return text
    header, rows = _read_csv(csv_file)
    dimensions = [
        _humanize(column)
        for column in header
        if column.strip().lower() not in _MEASURE_COLUMNS
        and len({row.get(column, "").strip() for row in rows} - {""}) > 1
    ]
    lowered = f" {words.lower()} "
    if chart_title:
        # A title such as "Cases received in 2013, by outcome" already names its breakdown.
        says_breakdown = bool(re.search(r",\s*by\b", lowered)) or any(
            f" {dimension.lower()} " in lowered for dimension in dimensions
        )
    else:
        says_breakdown = " by " in lowered
    if dimensions and not says_breakdown:
        text += ("," if chart_title else "") + " by " + _join_words(dimensions[:3])
    return f"{text} (data: {csv_file.name})"


_TITLE_ARGUMENT = re.compile(
    r"""\btitle\s*=\s*(?P<prefix>[rRfFuU]{0,2})(?P<quote>["'])(?P<text>(?:\\.|(?!(?P=quote)).)*)(?P=quote)"""
)
_SVG_TEXT = re.compile(r"<!-- (.*?) -->")


def chart_title(code: str, name: str, svg_text: str | None = None) -> str | None:
    """Find the title of the chart that ``code`` saves as ``name``.

    Looks for the last ``title="..."`` argument before the ``save_figure(fig, "name")`` call.
    An f-string title is resolved against the texts of the saved SVG (matplotlib writes
    each text as a comment), so that ``f"... {year}"`` becomes the title as drawn.

    Args:
        code: The source of the cell that saves the figure.
        name: The figure's name.
        svg_text: The saved SVG, if any.

    Returns:
        The title, or ``None`` when it cannot be told.
    """
    calls = [m for m in _SAVE_FIGURE.finditer(code) if PurePosixPath(m.group(2)).stem == name]
    if not calls:
        return None
    before = [m for m in _TITLE_ARGUMENT.finditer(code) if m.start() < calls[0].start()]
    if not before:
        return None
    found = before[-1]
    text = re.sub(r"\\(.)", r"\1", found.group("text"))
    if "f" not in found.group("prefix").lower():
        return text.strip() or None
    pieces = re.split(r"\{[^{}]*\}", text)
    pattern = re.compile("(?s)" + ".+?".join(re.escape(piece) for piece in pieces))
    for drawn in _SVG_TEXT.findall(svg_text or ""):
        drawn = html.unescape(drawn).strip()
        if pattern.fullmatch(drawn):
            return drawn
    return None


def describe_figure(figure: Figure, nb: Any) -> None:
    """Refine a figure's alt text and title with the chart title found in its notebook.

    Args:
        figure: The figure (updated in place).
        nb: The parsed notebook that made it.
    """
    svg_file = figure.files.get(".svg")
    svg_text = svg_file.read_text(encoding="utf-8", errors="replace") if svg_file else None
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        title = chart_title(_cell_text(cell), figure.name, svg_text)
        if title:
            figure.alt, figure.caption, figure.title = figure_alt_caption(
                figure.name, figure.files, title
            )
            return


def discover_figures(figures_dir: Path) -> tuple[dict[str, Figure], list[Path]]:
    """List the figures and the stand-alone tables of the figures folder.

    Args:
        figures_dir: Folder with ``<name>.svg``, ``<name>.png`` and ``<name>.csv`` files.

    Returns:
        ``(figures, tables)``: figures by name (those with an SVG or a PNG) in name order,
        and the CSV files that belong to no figure, sorted.
    """
    grouped: dict[str, dict[str, Path]] = {}
    if figures_dir.is_dir():
        for path in sorted(figures_dir.iterdir()):
            if path.is_file() and not path.name.startswith(".") and (
                path.suffix.lower() in COPIED_FIGURE_SUFFIXES
            ):
                grouped.setdefault(path.stem, {})[path.suffix.lower()] = path
    figures: dict[str, Figure] = {}
    tables: list[Path] = []
    for name, files in sorted(grouped.items()):
        if any(suffix in files for suffix in IMAGE_SUFFIXES):
            alt, caption, title = figure_alt_caption(name, files)
            figures[name] = Figure(name, files, alt=alt, caption=caption, title=title)
        else:
            tables.append(files[".csv"])
    return figures, tables


def load_notebooks(notebooks_dir: Path) -> list[tuple[NotebookPage, Any]]:
    """Read the notebooks of a folder, sorted by file name.

    Args:
        notebooks_dir: Folder with ``*.ipynb`` files.

    Returns:
        Pairs of page description and parsed notebook (figures not yet assigned).
    """
    import nbformat

    result = []
    if not notebooks_dir.is_dir():
        return result
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        if path.name.startswith("."):
            continue
        nb = nbformat.read(path, as_version=4)
        title, summary = notebook_title_summary(nb, path.stem)
        result.append((NotebookPage(path, title, summary, is_executed(nb)), nb))
    return result


def assign_producers(
    notebooks: Sequence[tuple[NotebookPage, Any]],
    names: Iterable[str],
    manifest: Mapping[str, Sequence[str]],
) -> dict[str, str]:
    """Decide which notebook made each output.

    Priority: the manifest; then the first notebook (in file order) that calls
    ``save_figure(fig, "name")``; then the first that mentions the name.

    Args:
        notebooks: The notebooks with their parsed content.
        names: Output stems to place (figures and tables).
        manifest: Notebook stem -> output file names (from :func:`load_manifest`).

    Returns:
        Output stem -> notebook stem, for the outputs that could be placed.
    """
    names = sorted(set(names))
    stems = {page.stem for page, _ in notebooks}
    producer: dict[str, str] = {}
    for notebook, outputs in manifest.items():
        if notebook not in stems:
            continue
        for output in outputs:
            stem = PurePosixPath(output).stem
            if stem in names:
                producer.setdefault(stem, notebook)
    saved_by: dict[str, str] = {}
    mentioned_by: dict[str, str] = {}
    for page, nb in notebooks:
        code = "\n".join(
            _cell_text(cell) for cell in nb.cells if cell.get("cell_type") == "code"
        )
        saved, mentioned = figure_references(code, names)
        for name in saved:
            saved_by.setdefault(name, page.stem)
        for name in mentioned:
            mentioned_by.setdefault(name, page.stem)
    for name in names:
        if name in producer:
            continue
        if name in saved_by:
            producer[name] = saved_by[name]
        elif name in mentioned_by:
            producer[name] = mentioned_by[name]
    return producer


# --------------------------------------------------------------------------------------------
# Rendering


def _jinja_env() -> Any:
    """Return the Jinja environment of the site's own pages (autoescaping on)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _page_context(root: str, current: str) -> dict[str, Any]:
    """Return the template variables shared by every page."""
    return {
        "root": root,
        "current": current,
        "site_title": SITE_TITLE,
        "nav": [{"key": key, "href": href, "label": label} for key, href, label in _NAV],
        "with_tables": False,
    }


def _prepare_notebook(nb: Any, page: NotebookPage, figures: Mapping[str, Figure]) -> Any:
    """Return a copy of a notebook made safe and accessible for the static site.

    Drops JavaScript and widget outputs when an alternative representation exists (they
    would need a network-loaded runtime, and nbconvert gives them random ids), drops widget
    state, and gives every image output an ``alt`` (from the figure its cell saves, else a
    description of the cell).

    Args:
        nb: The parsed notebook.
        page: Its page description.
        figures: All figures by name.

    Returns:
        The prepared copy.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata["title"] = page.title
    names = list(figures)
    for index, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        saved, mentioned = figure_references(_cell_text(cell), names)
        cell_figures = [name for name in saved + mentioned if name in figures]
        image_number = 0
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            others = [key for key in data if key not in _DROPPED_MIMETYPES]
            if others:
                for mimetype in _DROPPED_MIMETYPES:
                    data.pop(mimetype, None)
            image_types = [m for m in ("image/png", "image/jpeg", "image/svg+xml") if m in data]
            if not image_types:
                continue
            metadata = output.setdefault("metadata", {})
            given = ""
            for mimetype in image_types:
                entry = metadata.get(mimetype)
                if isinstance(entry, Mapping) and entry.get("alt"):
                    given = str(entry["alt"])
            if given:
                alt = given
            elif image_number < len(cell_figures):
                alt = figures[cell_figures[image_number]].alt
            elif cell_figures:
                alt = figures[cell_figures[-1]].alt
            else:
                count = cell.get("execution_count")
                label = f"[{count}]" if count is not None else f"number {index}"
                alt = f"Image drawn by code cell {label} of the notebook “{page.title}”"
            metadata["site_alt"] = alt
            image_number += 1
    return nb


def _notebook_exporter() -> Any:
    """Return the nbconvert exporter of the notebook pages (no network resources)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file="site_notebook.html.j2",
        extra_template_paths=[str(TEMPLATES_DIR)],
        exclude_anchor_links=False,
    )


def _link_notebook_pages(body: str, stems: set[str]) -> str:
    """Point a notebook's links to sibling notebooks (``02-x.ipynb``) at their pages."""

    def replace(match: re.Match[str]) -> str:
        stem = match.group(2)
        if stem not in stems:
            return match.group(0)
        return f'{match.group(1)}{quote(stem)}.html{match.group(3) or ""}"'

    return re.sub(r'(href="(?:\./)?)([^"/:#?]+)\.ipynb(#[^"]*)?"', replace, body)


def _strip_trailing_spaces(text: str) -> str:
    """Remove trailing blanks from every line and end the text with one newline."""
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@dataclass
class _Cell:
    """A table cell: text parts (some linked or shown as a badge), a sort key and a class."""

    parts: list[dict[str, str]]
    sort: str | None = None
    css: str = ""
    title: str = ""


def _text(text: str, sort: str | None = None, css: str = "", title: str = "") -> _Cell:
    """Return a plain-text table cell."""
    return _Cell([{"text": text}], sort=sort, css=css, title=title)


#: Columns whose integers are labels (years, paragraph numbers, ids), not quantities.
_ID_LIKE = re.compile(r"year|paragraph|footnote|(^|_)id$", re.IGNORECASE)

#: Columns of free text, given room in the tables.
_WIDE_COLUMNS = frozenset({"description", "claim", "detail", "evidence", "reason", "note"})

_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _number_cell(
    raw: str, css: str = "num", digits: int | None = None, group: bool = True
) -> _Cell:
    """Return a numeric cell: ``digits`` significant digits, integers grouped by thousands.

    Args:
        raw: The CSV text (the sort key).
        css: Class of the cell.
        digits: Significant digits shown for non-integers (``None``: as written).
        group: Write integers with thousands separators (not for years or ids).

    Returns:
        The cell; the full value is its tooltip when the display differs.
    """
    raw = raw.strip()
    if not _NUMBER.match(raw):
        return _text(raw, css=css if raw else "")
    value = float(raw)
    if re.fullmatch(r"[-+]?\d+", raw):
        shown = f"{int(raw):,}" if group else raw
    elif digits is not None:
        shown = f"{value:.{digits}g}"
    else:
        shown = raw
    return _text(shown, sort=raw, css=css, title=raw if shown != raw else "")


def _badge_class(value: str) -> str:
    """Return the badge style of an outcome or verdict."""
    key = value.strip().lower().replace("_", " ")
    if key in {"holds", "supported", "consistent", "confirmed", "pass", "passed"}:
        return "badge-good"
    if key in {"fails", "failed", "not supported", "contradicted", "refuted"}:
        return "badge-bad"
    if key:
        return "badge-warn"
    return ""


def _fact_links(text: str, fact_ids: set[str]) -> _Cell:
    """Return a cell whose known fact ids link to their row of the dataset page."""
    parts: list[dict[str, str]] = []
    for token in re.split(r"(\s+|[+,;()])", text):
        if token in fact_ids:
            parts.append({"text": token, "href": f"dataset.html#fact-{_slug(token)}"})
        elif token:
            parts.append({"text": token})
    return _Cell(parts or [{"text": ""}])


def _statistics_table(header: list[str], rows: list[dict[str, str]]) -> dict[str, Any]:
    """Return the dataset table: one row per extracted figure."""
    breakdowns = [column for column in BREAKDOWN_COLUMNS if column in header]
    columns = [
        ("fact_id", "Fact"),
        ("topic", "Topic"),
        ("indicator", "Indicator"),
        ("breakdowns", "Breakdowns"),
        ("year_period", "Year / period"),
        ("value", "Value"),
        ("unit", "Unit"),
        ("qualifier", "Qualifier"),
        ("paragraph", "Para."),
        ("footnote", "Footnote"),
        ("evidence", "Evidence (report's words)"),
    ]
    table_rows = []
    for row in rows:
        parts = [f"{_humanize(c)}: {row[c]}" for c in breakdowns if row.get(c, "").strip()]
        year = row.get("year", "").strip()
        period = row.get("period", "").strip()
        year_period = "; ".join(part for part in (year, period) if part)
        cells = [
            _text(row.get("fact_id", ""), css="fact-id"),
            _text(row.get("topic", "")),
            _text(row.get("indicator", ""), css="wide"),
            _text("; ".join(parts)),
            _text(year_period, sort=year or period or None),
            _number_cell(row.get("value", "")),
            _text(row.get("unit", "")),
            _text(row.get("qualifier", "")),
            _number_cell(row.get("paragraph", "")),
            _number_cell(row.get("footnote", "")),
            _text(row.get("evidence", ""), css="evidence"),
        ]
        if row.get("value_text"):
            cells[5].title = f"In the report: {row['value_text']}"
        fact_id = row.get("fact_id", "")
        table_rows.append({"id": f"fact-{_slug(fact_id)}" if fact_id else "", "cells": cells})
    return {
        "id": "statistics",
        "caption": f"{len(rows)} figures extracted from the report.",
        "columns": [{"key": key, "label": label} for key, label in columns],
        "rows": table_rows,
    }


def _generic_table(
    table_id: str,
    caption: str,
    header: list[str],
    rows: list[dict[str, str]],
    *,
    badge_columns: Sequence[str] = (),
    fact_columns: Sequence[str] = (),
    fact_ids: set[str] | None = None,
    id_column: str | None = None,
    digits: int | None = None,
) -> dict[str, Any]:
    """Return a table showing every column of a CSV."""
    numeric = {
        column
        for column in header
        if any(row.get(column, "").strip() for row in rows)
        and all(_NUMBER.match(row[column].strip()) for row in rows if row.get(column, "").strip())
    }
    table_rows = []
    for row in rows:
        cells = []
        for column in header:
            value = row.get(column, "")
            if column in badge_columns and value.strip():
                cell = _Cell([{"text": value, "badge": _badge_class(value)}], sort=value)
            elif column in fact_columns and fact_ids:
                cell = _fact_links(value, fact_ids)
            elif column in numeric:
                cell = _number_cell(value, digits=digits, group=not _ID_LIKE.search(column))
            else:
                cell = _text(value, css="wide" if column in _WIDE_COLUMNS else "")
            cells.append(cell)
        row_id = f"{table_id}-{_slug(row[id_column])}" if id_column and row.get(id_column) else ""
        table_rows.append({"id": row_id, "cells": cells})
    return {
        "id": table_id,
        "caption": caption,
        "columns": [{"key": _slug(column), "label": column} for column in header],
        "rows": table_rows,
    }


def _outcome_counts(rows: Sequence[Mapping[str, str]], column: str) -> str:
    """Summarise a column's values as ``"holds: 14, fails: 1"`` in sorted order."""
    counts = Counter(row.get(column, "").strip() for row in rows if row.get(column, "").strip())
    return ", ".join(f"{key}: {counts[key]}" for key in sorted(counts))


# --------------------------------------------------------------------------------------------
# Build


def _prepare_out_dir(out_dir: Path) -> Path:
    """Check that ``out_dir`` may be (re)built and return a fresh staging folder beside it.

    Raises:
        FileExistsError: ``out_dir`` exists, is not empty and is not a site built here.
    """
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a folder")
        if any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).is_file():
            raise FileExistsError(
                f"{out_dir} is not empty and was not built by analysis.site "
                f"(no {SITE_MARKER}); refusing to replace it"
            )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a site is meant to be served and read
    return staging


def _write(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line endings, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def build_site(
    out_dir: Path = paths.SITE_DIR,
    notebooks_dir: Path = paths.NOTEBOOKS_DIR,
    figures_dir: Path = paths.FIGURES_DIR,
    processed_dir: Path = paths.PROCESSED_DIR,
) -> Path:
    """Render the notebooks, figures and data into a static, offline site.

    The site is built in a staging folder beside ``out_dir`` and moved into place, so a
    failed build leaves the previous site untouched. Built twice from the same inputs, the
    site is byte-identical.

    Args:
        out_dir: Folder of the site; replaced if it holds a site built before (it must
            otherwise be absent or empty).
        notebooks_dir: Folder with the executed ``*.ipynb`` notebooks.
        figures_dir: Folder with the figures (``.svg``/``.png``/``.csv``), ``claims.csv``
            and optionally ``MANIFEST.json``.
        processed_dir: Folder with ``report_statistics.csv`` and ``cross_checks.csv``.

    Returns:
        The path of ``index.html`` in ``out_dir``.

    Raises:
        FileExistsError: ``out_dir`` is a non-empty folder that this function did not build.
    """
    out_dir, notebooks_dir = Path(out_dir), Path(notebooks_dir)
    figures_dir, processed_dir = Path(figures_dir), Path(processed_dir)
    staging = _prepare_out_dir(out_dir)
    try:
        _build_into(staging, notebooks_dir, figures_dir, processed_dir)
        _write(staging / SITE_MARKER, "Built by analysis.site; replaced on every build.\n")
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old",
                                        dir=out_dir.parent))
            out_dir.rename(old / "site")
            staging.rename(out_dir)
            shutil.rmtree(old)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir / "index.html"


def _build_into(
    site: Path, notebooks_dir: Path, figures_dir: Path, processed_dir: Path
) -> None:
    """Write every file of the site into the (empty) folder ``site``."""
    env = _jinja_env()

    # Inputs.
    figures, tables = discover_figures(figures_dir)
    notebooks = load_notebooks(notebooks_dir)
    manifest = load_manifest(figures_dir)
    producers = assign_producers(
        notebooks, list(figures) + [table.stem for table in tables], manifest
    )
    pages = {page.stem: page for page, _ in notebooks}
    parsed = {page.stem: nb for page, nb in notebooks}
    for name, figure in figures.items():
        figure.notebook = producers.get(name)
        if figure.notebook:
            pages[figure.notebook].figures.append(name)
            describe_figure(figure, parsed[figure.notebook])

    # Static assets and copied files.
    for asset in ("site.css", "table.js"):
        target = site / "assets" / asset
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TEMPLATES_DIR / asset, target)
    for figure in figures.values():
        for source in figure.files.values():
            (site / "figures").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, site / "figures" / source.name)
    for table in tables:
        (site / "figures").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, site / "figures" / table.name)
    processed = sorted(processed_dir.glob("*.csv")) if processed_dir.is_dir() else []
    for table in processed:
        target = site / "data" / "processed" / table.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(table, target)

    def notebook_link(stem: str | None, root: str = "") -> dict[str, str] | None:
        if not stem or stem not in pages:
            return None
        return {"href": root + pages[stem].href, "title": pages[stem].title}

    # Notebook pages.
    exporter = _notebook_exporter() if notebooks else None
    for page, nb in notebooks:
        root = "../"
        context = _page_context(root, "index")
        header_html = env.get_template("site_header.html.j2").render(context)
        made = [figures[name] for name in page.figures]
        footer_html = ""
        if made:
            footer_html += env.get_template("site_notebook_figures.html.j2").render(
                root=root,
                figures=[_figure_view(fig, notebook_link) for fig in made],
            )
        footer_html += env.get_template("site_footer.html.j2").render(context)
        prepared = _prepare_notebook(nb, page, figures)
        assert exporter is not None
        body, _ = exporter.from_notebook_node(
            prepared,
            resources={
                "metadata": {"name": page.title},
                "site": {"root": root, "header_html": header_html, "footer_html": footer_html},
            },
        )
        body = _link_notebook_pages(body, set(pages))
        _write(site / "notebooks" / f"{page.stem}.html", _strip_trailing_spaces(body))
        shutil.copyfile(page.source, site / "notebooks" / page.source.name)

    # Dataset, cross-checks, claims.
    stats_header, stats_rows = _read_csv(processed_dir / paths.STATISTICS_CSV.name)
    fact_ids = {row["fact_id"] for row in stats_rows if row.get("fact_id")}
    checks_header, checks_rows = _read_csv(processed_dir / paths.CROSS_CHECKS_CSV.name)
    claims_file = figures_dir / "claims.csv"
    claims_header, claims_rows = _read_csv(claims_file)

    def processed_source(name: str, note: str = "") -> dict[str, str] | None:
        if not (processed_dir / name).is_file():
            return None
        return {"href": f"data/processed/{quote(name)}", "name": name, "note": note}

    table_pages = [
        (
            "dataset",
            "Dataset",
            [
                "Every figure the report states, extracted by a declarative specification "
                "from the report's text, with the paragraph and footnote it comes from and "
                "the report's own words (evidence).",
                "Breakdowns join the offence, sex, age group, content type, geography and "
                "sentence columns; the CSV keeps them apart and has more columns (counting "
                "unit, source body, character offsets, notes).",
            ],
            processed_source(paths.STATISTICS_CSV.name, "(all columns)"),
            None,
            _statistics_table(stats_header, stats_rows) if stats_rows else None,
            "The statistics table was not found.",
        ),
        (
            "cross-checks",
            "Cross-checks",
            [
                "Checks of the report's figures against each other: totals against their "
                "parts, the same quantity stated twice, shares that must stay within 100 per "
                "cent. Fact ids link to their row of the dataset.",
            ],
            processed_source(paths.CROSS_CHECKS_CSV.name),
            None,
            _generic_table(
                "cross-checks",
                f"{len(checks_rows)} cross-checks.",
                checks_header,
                checks_rows,
                badge_columns=("outcome", "expected"),
                fact_columns=("left_facts", "right_facts"),
                fact_ids=fact_ids,
                id_column="check_id",
            )
            if checks_rows
            else None,
            "The cross-checks table was not found.",
        ),
        (
            "claims",
            "Claims",
            [
                "The report's claims in words, tested against its own figures. Every verdict "
                "is conditional on the stated model (counts treated as independent Poisson "
                "or binomial outcomes). Numbers are shown to four significant digits; hover "
                "for the full value.",
            ],
            {"href": "figures/claims.csv", "name": "claims.csv", "note": ""}
            if claims_file.is_file()
            else None,
            notebook_link(producers.get("claims")),
            _generic_table(
                "claims",
                f"{len(claims_rows)} claims.",
                claims_header,
                claims_rows,
                badge_columns=("verdict",),
                fact_columns=("facts", "fact_ids"),
                fact_ids=fact_ids,
                id_column="claim_id",
                digits=4,
            )
            if claims_rows
            else None,
            "The claims table (figures/claims.csv) has not been produced yet: run the claims "
            "notebook.",
        ),
    ]
    for key, heading, intro, source, producer, table, missing in table_pages:
        context = _page_context("", key)
        context.update(
            page_title=heading,
            heading=heading,
            intro=intro,
            source=source,
            producer=producer,
            table=table,
            missing=missing,
            with_tables=table is not None,
        )
        _write(site / f"{key}.html", env.get_template("site_table.html.j2").render(context))

    # Figures page.
    groups = []
    for page, _ in notebooks:
        if page.figures:
            groups.append(
                {
                    "id": f"from-{_slug(page.stem)}",
                    "title": page.title,
                    "href": page.href,
                    "figures": [_figure_view(figures[n], notebook_link) for n in page.figures],
                }
            )
    orphans = [fig for fig in figures.values() if not fig.notebook]
    if orphans:
        groups.append(
            {
                "id": "from-other",
                "title": "Other figures" if groups else "All figures",
                "href": "",
                "figures": [_figure_view(fig, notebook_link) for fig in orphans],
            }
        )
    table_items = []
    for table in tables:
        table_items.append(
            {
                "href": "figures/" + quote(table.name),
                "name": table.name,
                "page": {"href": "claims.html", "title": "Claims"}
                if table.name == "claims.csv"
                else None,
                "notebook": notebook_link(producers.get(table.stem)),
            }
        )
    context = _page_context("", "figures")
    context.update(page_title="Figures", groups=groups, tables=table_items)
    _write(site / "figures.html", env.get_template("site_figures.html.j2").render(context))

    # Index.
    context = _page_context("", "index")
    context.update(
        page_title="Notebooks",
        notebooks=[
            {
                "stem": _slug(page.stem),
                "title": page.title,
                "summary": page.summary,
                "executed": page.executed,
                "href": page.href,
                "ipynb_href": page.ipynb_href,
                "ipynb_name": page.source.name,
                "figures": [
                    {
                        "name": _slug(name),
                        "thumb_href": figures[name].thumb_href,
                        "alt": figures[name].alt,
                    }
                    for name in page.figures
                ],
            }
            for page, _ in notebooks
        ],
        counts={
            "facts": len(stats_rows),
            "checks": len(checks_rows),
            "check_outcomes": _outcome_counts(checks_rows, "outcome"),
            "claims": len(claims_rows) if claims_file.is_file() else None,
            "verdicts": _outcome_counts(claims_rows, "verdict"),
            "figures": len(figures),
        },
    )
    _write(site / "index.html", env.get_template("site_index.html.j2").render(context))


def _figure_view(figure: Figure, notebook_link: Any) -> dict[str, Any]:
    """Return the template variables of one figure."""
    files = [
        {"href": figure.href(suffix), "label": suffix.lstrip(".").upper()}
        for suffix in (*IMAGE_SUFFIXES, ".pdf")
        if suffix in figure.files
    ]
    csv_file = figure.files.get(".csv")
    return {
        "name": figure.anchor.removeprefix("fig-"),
        "title": figure.title,
        "title_sentence": figure.title if figure.title[-1:] in ".?!" else figure.title + ".",
        "alt": figure.alt,
        "caption": figure.caption,
        "image_href": figure.image_href,
        "csv_href": figure.href(".csv"),
        "csv_name": csv_file.name if csv_file else "",
        "files": files,
        "notebook": notebook_link(figure.notebook),
    }


# --------------------------------------------------------------------------------------------
# Browser: screenshots


def launch_chromium(playwright: Any, executable: Path = CHROMIUM) -> Any:
    """Launch Debian's headless Chromium through Playwright (never a downloaded browser).

    Args:
        playwright: The object returned by ``sync_playwright().start()`` (or the context
            manager's value).
        executable: The Chromium binary.

    Returns:
        A Playwright ``Browser``.

    Raises:
        FileNotFoundError: ``executable`` does not exist.
    """
    if not Path(executable).exists():
        raise FileNotFoundError(
            f"Chromium not found at {executable}: install Debian's chromium package"
        )
    return playwright.chromium.launch(
        executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
    )


def block_network(context: Any) -> list[str]:
    """Make a Playwright browser context abort every request that leaves the machine.

    Args:
        context: A Playwright ``BrowserContext``.

    Returns:
        A list that collects the URLs of the aborted requests.
    """
    blocked: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")) or re.match(
            r"https?://(127\.0\.0\.1|localhost)(:\d+)?/", url
        ):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", handle)
    return blocked


def screenshot(
    index: Path,
    out_png: Path,
    *,
    width: int = 1280,
    height: int = 900,
    full_page: bool = False,
    executable: Path = CHROMIUM,
    browser: Any = None,
) -> Path:
    """Save a PNG screenshot of a page of the site (offline, from ``file://``).

    Args:
        index: The HTML page, e.g. the path returned by :func:`build_site`.
        out_png: Where to write the PNG (folders are created).
        width: Viewport width in CSS pixels.
        height: Viewport height in CSS pixels.
        full_page: Capture the whole page rather than the viewport.
        executable: The Chromium binary (used when ``browser`` is not given).
        browser: A Playwright ``Browser`` already running (Playwright's sync API cannot be
            started twice in one thread); by default Chromium is launched and closed here.

    Returns:
        ``out_png``.
    """
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            own = launch_chromium(playwright, executable)
            try:
                return screenshot(index, out_png, width=width, height=height,
                                  full_page=full_page, browser=own)
            finally:
                own.close()
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        block_network(context)
        page = context.new_page()
        page.goto(Path(index).resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(out_png), full_page=full_page)
    finally:
        context.close()
    return out_png


# --------------------------------------------------------------------------------------------
# Synthetic inputs (tests, previews before the real notebooks exist)


def _tiny_png(width: int, height: int, rgb: tuple[int, int, int], text: str = "") -> bytes:
    """Return a small solid-colour PNG, optionally with a ``Description`` text chunk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if text:
        png += chunk(b"tEXt", b"Description\0" + text.encode("latin-1"))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    return png


def _tiny_svg(label: str) -> str:
    """Return a small SVG bar chart with an intrinsic size."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" '
        'viewBox="0 0 240 160">\n'
        f"<title>{html.escape(label)}</title>\n"
        '<rect width="240" height="160" fill="#ffffff"/>\n'
        '<rect x="30" y="60" width="60" height="90" fill="#1f77b4"/>\n'
        '<rect x="130" y="30" width="60" height="120" fill="#ff7f0e"/>\n'
        "</svg>\n"
    )


def write_sample_inputs(root: Path) -> dict[str, Path]:
    """Write a small synthetic input set for the site (tests and previews).

    Two executed notebooks (a markdown title and summary, a PNG and an SVG output), two
    figures with their CSV, a claims table, a statistics table and a cross-checks table.

    Args:
        root: Folder to write into (created).

    Returns:
        ``{"notebooks_dir": ..., "figures_dir": ..., "processed_dir": ...}``, the keyword
        arguments of :func:`build_site` other than ``out_dir``.
    """
    import base64

    import nbformat

    notebooks_dir = root / "notebooks"
    figures_dir = root / "figures"
    processed_dir = root / "data" / "processed"
    for folder in (notebooks_dir, figures_dir, processed_dir):
        folder.mkdir(parents=True, exist_ok=True)

    png_a = _tiny_png(48, 32, (31, 119, 180))
    png_b = _tiny_png(48, 32, (255, 127, 14), "Bar chart of the sample claims")
    (figures_dir / "police_victims.png").write_bytes(png_a)
    (figures_dir / "police_victims.svg").write_text(
        _tiny_svg("Police victims"), encoding="utf-8", newline="\n"
    )
    (figures_dir / "police_victims.csv").write_text(
        "year,offence,victims,fact_id\n2010,child pornography,614,a\n"
        "2014,child pornography,746,b\n2010,child prostitution,741,c\n"
        "2014,child prostitution,466,d\n",
        encoding="utf-8",
        newline="\n",
    )
    (figures_dir / "claim_intervals.png").write_bytes(png_b)
    (figures_dir / "claim_intervals.csv").write_text(
        "claim_id,estimate,ci_low,ci_high\nup,1.2149837,1.0912,1.35\n",
        encoding="utf-8",
        newline="\n",
    )
    (figures_dir / "claims.csv").write_text(
        "claim_id,paragraph,claim,metric,estimate,ci_low,ci_high,p_value,method,verdict\n"
        "up,38,Victims of pornography increased.,rate ratio,1.2149837,1.0912,1.35,"
        "0.000412345,exact Poisson,supported\n"
        "down,38,Victims of prostitution decreased.,rate ratio,0.6288798,0.559,0.707,"
        "1.2e-14,exact Poisson,supported\n"
        "flat,8,Something stayed the same.,rate ratio,,,,,none,not testable\n",
        encoding="utf-8",
        newline="\n",
    )
    (processed_dir / "report_statistics.csv").write_text(
        "fact_id,topic,indicator,offence,sex,age_group,year,period,value,unit,qualifier,"
        "paragraph,footnote,evidence,value_text\n"
        "victims_a,police_victims,Child victims,child pornography,,,2010,,614,count,exact,"
        "38,,\"614 in 2010\",614\n"
        "victims_b,police_victims,Child victims,child pornography,,,2014,,746,count,exact,"
        "38,,\"746 in 2014\",746\n"
        "population,population,Total population,,,,,,127000000,count,exact,7,,"
        "\"127 million\",127 million\n"
        "girls,police_victims,Girl victims,,girls,under 18,2014,,1130,count,exact,8,3,"
        "\"1,130 girl victims\",\"1,130\"\n",
        encoding="utf-8",
        newline="\n",
    )
    (processed_dir / "cross_checks.csv").write_text(
        "check_id,kind,description,paragraphs,left_facts,right_facts,left_value,right_value,"
        "difference,expected,outcome,detail\n"
        "sum,equal,Parts add up,38,victims_a + victims_b,girls,1360,1130,230,holds,fails,"
        "1360 vs 1130\n",
        encoding="utf-8",
        newline="\n",
    )

    def notebook(title: str, summary: str, code: str, output: Any) -> Any:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3", "display_name": "Python 3", "language": "python"
        }
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [
            nbformat.v4.new_markdown_cell(
                f"# {title}\n\n{summary}\n\n## Method\n\nSee [the claims](02-claims.ipynb) "
                "and [the statistics](../data/processed/report_statistics.csv)."
            ),
            nbformat.v4.new_code_cell(code, execution_count=1, outputs=[output]),
            nbformat.v4.new_code_cell("print('done')", execution_count=2, outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="done\n")
            ]),
        ]
        for number, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{number}"
        return nb

    first = notebook(
        "Police-registered victims",
        "Child victims registered by the police, by year and offence (**para. 38**).",
        'fig = plot_victims(title="Child victims registered by the police")\n'
        'save_figure(fig, "police_victims", data)',
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": base64.b64encode(png_a).decode("ascii"),
                  "text/plain": "<Figure size 480x320 with 1 Axes>"},
        ),
    )
    second = notebook(
        "Claims",
        "The report's claims tested against its own figures; see `claims.csv`.",
        'fig = plot_claims()\nsave_figure(fig, "claim_intervals")\n'
        'claims.to_csv(output_dir / "claims.csv")',
        nbformat.v4.new_output(
            "display_data",
            data={"image/svg+xml": _tiny_svg("Claims"), "text/plain": "<Figure>"},
        ),
    )
    nbformat.write(first, notebooks_dir / "01-police-victims.ipynb")
    nbformat.write(second, notebooks_dir / "02-claims.ipynb")
    return {
        "notebooks_dir": notebooks_dir,
        "figures_dir": figures_dir,
        "processed_dir": processed_dir,
    }


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    """Build the site (``python -m analysis report``) and print the index path.

    Args:
        argv: Command-line arguments without the program name (``None``: ``sys.argv``).

    Returns:
        The exit status (0 on success).
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis report",
        description="Render the executed notebooks, figures and data into a static site.",
    )
    parser.add_argument("--out", type=Path, default=paths.SITE_DIR,
                        help="site folder (default: build/site)")
    parser.add_argument("--notebooks", type=Path, default=paths.NOTEBOOKS_DIR,
                        help="folder of executed notebooks (default: notebooks)")
    parser.add_argument("--figures", type=Path, default=paths.FIGURES_DIR,
                        help="folder of figures and claims.csv (default: figures)")
    parser.add_argument("--processed", type=Path, default=paths.PROCESSED_DIR,
                        help="folder of the processed CSVs (default: data/processed)")
    parser.add_argument("--screenshot", type=Path, default=None, metavar="PNG",
                        help="also save a screenshot of the index (needs /usr/bin/chromium), "
                        "e.g. docs/site-index.png")
    args = parser.parse_args(argv)
    index = build_site(args.out, args.notebooks, args.figures, args.processed)
    print(index)
    if args.screenshot is not None:
        print(screenshot(index, args.screenshot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
