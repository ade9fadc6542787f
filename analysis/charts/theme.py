"""One figure theme for the compendium, and deterministic, atomic, declared figure output.

Every chart uses the Okabe–Ito colour-blind-safe palette, DejaVu Sans (shipped with
matplotlib, so rendering does not depend on the machine's fonts), axis labels that state the
unit, and a source note naming the report's paragraph. The theme is applied with
:func:`themed` (a ``matplotlib.rc_context``) around each chart function and around rendering;
nothing changes matplotlib's global state, and charts are plain
:class:`matplotlib.figure.Figure` objects, not pyplot's, so no backend is chosen here.

:func:`save_figure` writes SVG, PNG (and PDF on request) plus the data behind the chart as
CSV, byte-identical on every run (SVG ids from a fixed hash salt; no date or software version
in any file), through the run's :class:`~analysis.outputs.Outputs` context, which records
what the figure is (title, alt text, the CSV's Table Schema, the cell that drew it).
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import matplotlib
from matplotlib.figure import Figure

from analysis.io import frame_to_csv_text
from analysis.outputs import DeclaredOutput, Outputs, check_name, execution_count
from analysis.tableschema import Table

if TYPE_CHECKING:
    import pandas as pd

#: Okabe & Ito (2008) colour-blind-safe palette, in the order charts use it.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Grey for "not stated" remainders and reference lines.
GREY = "#8C8C8C"
#: Short citation used in source notes.
SOURCE = "UN Special Rapporteur, report on Japan (A/HRC/31/58/Add.1)"

_METADATA: Mapping[str, Mapping[str, None]] = MappingProxyType({
    "svg": MappingProxyType({"Date": None, "Creator": None}),
    "png": MappingProxyType({"Software": None}),
    "pdf": MappingProxyType({"CreationDate": None, "ModDate": None, "Creator": None,
                             "Producer": None}),
})

#: The theme's matplotlib settings (applied by :func:`themed`).
RC_PARAMS: Mapping[str, object] = MappingProxyType({
    "svg.hashsalt": "japan-src-compendium",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.8,
    "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "figure.figsize": (7.0, 4.2),
})


P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def theme_context() -> Iterator[None]:
    """The compendium's matplotlib settings, for the duration of a ``with`` block."""
    with matplotlib.rc_context(dict(RC_PARAMS)):
        yield


def themed(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a chart function so that it draws in the theme (global settings untouched)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with theme_context():
            return function(*args, **kwargs)

    return wrapper


def source_note(fig: Figure, paragraphs: str, extra: str = "") -> None:
    """Add the source note under a figure's (first) axes, clear of its tick labels.

    Args:
        fig: The figure.
        paragraphs: Where in the report, e.g. ``"para. 38 and footnote 13"``.
        extra: A further remark (e.g. what the numbers count).
    """
    text = f"Source: {SOURCE}, {paragraphs}."
    if extra:
        text += f" {extra}"
    fig.axes[0].annotate(
        text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -48),
        textcoords="offset points", ha="left", va="top", fontsize=8.5, color="#444444",
        wrap=True,
    )


@dataclass(frozen=True)
class SavedFigure:
    """Files written for one figure; displays as its SVG in a notebook.

    Attributes:
        name: Base name of the files.
        files: Written files, relative to the output folder.
        svg: The SVG text, if SVG was written (used for inline display).
    """

    name: str
    files: tuple[str, ...]
    svg: str | None = None

    def _repr_svg_(self) -> str | None:
        return self.svg

    def __repr__(self) -> str:
        return f"Figure {self.name!r}: " + ", ".join(self.files)


def render(fig: Figure, fmt: str) -> bytes:
    """Render a figure to bytes in one format, without dates or version strings.

    Args:
        fig: The figure.
        fmt: ``svg``, ``png`` or ``pdf``.

    Returns:
        The file's bytes.
    """
    buffer = io.BytesIO()
    with theme_context():
        fig.savefig(buffer, format=fmt, metadata=dict(_METADATA[fmt]))
    return buffer.getvalue()


def figure_title(fig: Figure) -> str:
    """The chart's title as drawn: the figure's suptitle, else its first axes' title."""
    if fig.get_suptitle():
        return str(fig.get_suptitle())
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            text = ax.get_title(loc=loc)
            if text:
                return str(text)
    return ""


def alt_text(fig: Figure, title: str, rows: int) -> str:
    """Alt text saying what a chart shows: its title, its axes, its legend, its size.

    Everything comes from the drawn figure: each panel's axis labels and legend title.
    """
    parts = [f"Chart: {title.rstrip('.')}."]
    for ax in sorted(fig.axes, key=lambda ax: -ax.get_position().y1):  # top panel first
        described = []
        if ax.get_xlabel():
            described.append(f"horizontal axis {ax.get_xlabel()}")
        if ax.get_ylabel():
            described.append(f"vertical axis {ax.get_ylabel()}")
        legend = ax.get_legend()
        if legend is not None and legend.get_title().get_text():
            described.append(f"colours by {legend.get_title().get_text()}")
        if described:
            sentence = "; ".join(described)
            parts.append(sentence[:1].upper() + sentence[1:] + ".")
    parts.append(f"{rows} data rows; the table is linked below the chart.")
    return " ".join(parts)


def save_figure(
    fig: Figure,
    name: str,
    data: pd.DataFrame,
    outputs: Outputs,
    *,
    schema: Table | None = None,
) -> SavedFigure:
    """Write a figure (SVG/PNG/PDF) and the data behind it (CSV), and declare it.

    The files go to the run's output folder (see :mod:`analysis.outputs`) with a declaration:
    name, kind ``figure``, the title as drawn, alt text from the drawn axes, the CSV's Table
    Schema and the cell that drew it.

    Args:
        fig: The figure.
        name: Base file name (``<name>.svg`` ...); letters, digits, ``-`` and ``_``.
        data: The data plotted, written to ``<name>.csv`` beside the images.
        outputs: The run's output context (:func:`analysis.notebook.start`); its formats
            are the run's ``figure_formats``.
        schema: A table declaration describing (some of) the data's columns, e.g. the claims
            table's; other columns are described by the context's catalogue.

    Returns:
        The :class:`SavedFigure` (shows the SVG when it is a cell's result).

    Raises:
        analysis.outputs.OutputError: A bad name, or a column no declaration describes.
    """
    check_name(name)
    described = outputs.schema(data, schema)
    contents: dict[str, str | bytes] = {f"{name}.{fmt}": render(fig, fmt)
                                        for fmt in outputs.formats}
    contents[f"{name}.csv"] = frame_to_csv_text(data)
    title = figure_title(fig) or name.replace("_", " ")
    declared = DeclaredOutput(
        name=name, kind="figure", title=title, description=alt_text(fig, title, len(data)),
        files=tuple(contents), schema=described, execution_count=execution_count(),
    )
    outputs.save(declared, contents)
    svg = contents.get(f"{name}.svg")
    return SavedFigure(
        name=name,
        files=declared.files,
        svg=svg.decode("utf-8") if isinstance(svg, bytes) else None,
    )
