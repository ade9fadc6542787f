"""One figure theme for the compendium, and deterministic, atomic figure output.

Every chart uses the Okabe–Ito colour-blind-safe palette, DejaVu Sans (shipped with
matplotlib, so rendering does not depend on the machine's fonts), axis labels that state the
unit, and a source note naming the report's paragraph. :func:`save_figure` writes SVG, PNG
(and PDF on request) plus the data behind the chart as CSV, byte-identical on every run:
SVG ids come from a fixed hash salt, and no file carries a date or a software version.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis import paths  # noqa: E402
from analysis.io import atomic_write_many, frame_to_csv_text  # noqa: E402

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
#: Figure formats :func:`save_figure` can write.
FORMATS: tuple[str, ...] = ("svg", "png", "pdf")
#: Short citation used in source notes.
SOURCE = "UN Special Rapporteur, report on Japan (A/HRC/31/58/Add.1)"

_METADATA = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

RC_PARAMS: dict[str, object] = {
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
}


def apply_theme() -> None:
    """Set the compendium's matplotlib style (idempotent)."""
    plt.rcParams.update(RC_PARAMS)


def parse_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """Parse a ``figure_formats`` parameter such as ``"svg,png"``.

    Args:
        formats: Comma-separated string or a sequence of format names.

    Returns:
        The formats, in the order given, without duplicates.

    Raises:
        ValueError: An unknown format or none at all (the message names the parameter).
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen = tuple(dict.fromkeys(item.strip().lower() for item in items if item.strip()))
    unknown = [item for item in chosen if item not in FORMATS]
    if unknown or not chosen:
        raise ValueError(
            f"figure_formats must list some of {list(FORMATS)}, got {formats!r}"
        )
    return chosen


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
    with plt.rc_context({"svg.hashsalt": RC_PARAMS["svg.hashsalt"]}):
        fig.savefig(buffer, format=fmt, metadata=_METADATA[fmt])
    return buffer.getvalue()


def save_figure(
    fig: Figure,
    name: str,
    data: pd.DataFrame,
    output_dir: str | Path | None = None,
    formats: str | Iterable[str] = ("svg", "png"),
    close: bool = True,
) -> SavedFigure:
    """Write a figure (SVG/PNG/PDF) and the data behind it (CSV), atomically.

    Args:
        fig: The figure.
        name: Base file name (``figures/<name>.svg`` ...); letters, digits, ``-`` and ``_``.
        data: The data plotted, written to ``<name>.csv`` beside the images.
        output_dir: Folder; empty or ``None`` means :func:`analysis.paths.output_dir`.
        formats: Image formats (see :func:`parse_formats`).
        close: Close the figure afterwards (so the notebook shows only the saved SVG).

    Returns:
        The :class:`SavedFigure` (shows the SVG when it is a cell's result).

    Raises:
        ValueError: A bad name or format.
    """
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"figure name must use letters, digits, '-' or '_', got {name!r}")
    chosen = parse_formats(formats if isinstance(formats, str) else tuple(formats))
    folder = paths.output_dir(output_dir)
    contents: dict[Path, str | bytes] = {}
    for fmt in chosen:
        contents[folder / f"{name}.{fmt}"] = render(fig, fmt)
    contents[folder / f"{name}.csv"] = frame_to_csv_text(data)
    atomic_write_many(contents)
    svg = contents.get(folder / f"{name}.svg")
    if close:
        plt.close(fig)
    return SavedFigure(
        name=name,
        files=tuple(path.name for path in contents),
        svg=svg.decode("utf-8") if isinstance(svg, bytes) else None,
    )
