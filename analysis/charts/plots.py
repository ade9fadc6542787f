"""Chart functions for the notebooks (the theme is in :mod:`analysis.charts.theme`).

Each function takes a tidy frame, draws one chart in the compendium's theme and returns the
figure; :func:`analysis.charts.theme.save_figure` then writes it with its data.

Charts of tidy frames with groups use seaborn on the theme's axes: :func:`grouped_bars`
(``seaborn.barplot``, one colour per group, dodged) and :func:`interval_plot`
(``seaborn.pointplot``, one colour per category). The other two stay in matplotlib, where
seaborn adds nothing: :func:`horizontal_bars` is one series with a colour per row, and
:func:`stacked_share` is a single 100 % bar (seaborn's bar plots do not stack).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from analysis.charts.theme import GREY, PALETTE, source_note, themed


@themed
def grouped_bars(
    data: pd.DataFrame,
    x: str,
    group: str,
    value: str,
    *,
    title: str,
    ylabel: str,
    source: str,
    note: str = "",
    lower: str | None = None,
    upper: str | None = None,
) -> Figure:
    """Vertical bars of ``value`` by ``x`` (categories) and ``group`` (side by side).

    Drawn with ``seaborn.barplot`` (no statistic: one row is one bar); intervals given in
    the data are added as error bars at the bars' centres.

    Args:
        data: Tidy frame with columns ``x``, ``group``, ``value`` (and optional interval
            columns ``lower``/``upper`` drawn as error bars), one row per bar.
        x: Column on the horizontal axis (e.g. offence).
        group: Column distinguishing the bars of one category (e.g. year).
        value: Column of bar heights.
        title: Chart title.
        ylabel: Axis label, with the unit.
        source: Where in the report, for the source note (e.g. ``"para. 38"``).
        note: Further remark for the source note.
        lower: Column of lower interval limits, if any.
        upper: Column of upper interval limits, if any.

    Returns:
        The figure.

    Raises:
        ValueError: Two rows for the same ``x`` and ``group`` (a bar would hide one).
    """
    frame = data.assign(**{group: data[group].astype(str)})  # years are categories here
    _require_unique(frame, [x, group], "grouped_bars")
    categories = list(dict.fromkeys(frame[x]))
    groups = list(dict.fromkeys(frame[group]))
    fig = Figure()
    ax = fig.subplots()
    sns.barplot(frame, x=x, y=value, hue=group, order=categories, hue_order=groups,
                palette=_colours(groups), saturation=1, errorbar=None, width=0.8, gap=0.08,
                ax=ax)
    rows = frame.set_index([x, group])
    bar_containers = list(ax.containers)  # one per group; error bars add more below
    for container, name in zip(bar_containers, groups, strict=True):
        _label_and_whisker(ax, container, rows, categories, name, value, (lower, upper))
    ax.set_xlabel(x.replace("_", " ").capitalize())
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    sns.move_legend(ax, "upper right", title=group.replace("_", " "), ncols=len(groups))
    ax.margins(y=0.35)
    source_note(fig, source, note)
    return fig


def _colours(names: Sequence[object]) -> dict[object, str]:
    """The theme's palette assigned to ``names`` in order (repeating if there are more)."""
    return {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(names)}


def _require_unique(data: pd.DataFrame, columns: list[str], chart: str) -> None:
    """Refuse a frame with two rows for one mark (seaborn would aggregate them silently)."""
    duplicated = data[data.duplicated(columns, keep=False)]
    if not duplicated.empty:
        first = duplicated.iloc[0][columns].to_dict()
        raise ValueError(f"{chart} needs one row per {' and '.join(columns)}; "
                         f"{len(duplicated)} rows share a key, e.g. {first}")


def _label_and_whisker(
    ax: Axes,
    container: BarContainer,
    rows: pd.DataFrame,
    categories: list[object],
    group: str,
    value: str,
    interval: tuple[str | None, str | None],
) -> None:
    """Write each bar's value above it and draw its interval from the data, if given.

    A bar's category is read from its position (seaborn puts category ``i`` at ``x = i``),
    so a category without a bar in this group shifts nothing.
    """
    centres = [patch.get_x() + patch.get_width() / 2 for patch in container]
    keys = [(categories[round(centre)], group) for centre in centres]
    heights = rows.loc[keys, value].astype(float).to_numpy()
    ax.bar_label(container, labels=[f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
                                    for v in heights], padding=2, fontsize=9)
    lower, upper = interval
    if lower and upper:
        low = rows.loc[keys, lower].astype(float).to_numpy()
        high = rows.loc[keys, upper].astype(float).to_numpy()
        ax.errorbar(centres, heights, yerr=np.vstack([heights - low, high - heights]),
                    fmt="none", ecolor="#333333", elinewidth=1, capsize=3)


@themed
def horizontal_bars(
    data: pd.DataFrame,
    label: str,
    value: str,
    *,
    title: str,
    xlabel: str,
    source: str,
    note: str = "",
    highlight: Sequence[bool] | None = None,
    value_format: str = "{:,.0f}",
    xlim: tuple[float, float] | None = None,
    log_scale: bool = False,
) -> Figure:
    """Horizontal bars, one per row, top to bottom in the frame's order.

    Args:
        data: Frame with ``label`` and ``value`` columns.
        label: Column of bar labels.
        value: Column of bar lengths.
        title: Chart title.
        xlabel: Axis label, with the unit.
        source: Where in the report.
        note: Further remark for the source note.
        highlight: Per row, whether to draw in grey (e.g. derived "not stated" rows).
        value_format: Format of the value labels.
        xlim: Fixed limits of the value axis (e.g. ``(0, 100)`` for percentages).
        log_scale: Draw the value axis on a log scale (counts of very different sizes).

    Returns:
        The figure.
    """
    height = max(2.2, 0.6 * len(data) + 1.2)
    fig = Figure(figsize=(7.0, height))
    ax = fig.subplots()
    colours = [GREY if (highlight is not None and highlight[i]) else PALETTE[0]
               for i in range(len(data))]
    positions = np.arange(len(data))[::-1]
    bars = ax.barh(positions, data[value], color=colours, height=0.65)
    ax.bar_label(bars, labels=[value_format.format(v) for v in data[value]], padding=3,
                 fontsize=9)
    ax.set_yticks(positions, [textwrap.fill(str(v), 36) for v in data[label]])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    ax.margins(x=0.18)
    source_note(fig, source, note)
    _set_value_axis(ax, xlim, log_scale)
    return fig


def _set_value_axis(ax: Axes, xlim: tuple[float, float] | None, log_scale: bool) -> None:
    """Apply a log scale and fixed limits to the value (x) axis, when asked."""
    if log_scale:
        ax.set_xscale("log")
    if xlim is not None:
        ax.set_xlim(*xlim)


@themed
def interval_plot(
    data: pd.DataFrame,
    label: str,
    *,
    title: str,
    xlabel: str,
    source: str,
    note: str = "",
    reference: float | None = None,
    log_scale: bool = False,
    colour_by: str | None = None,
    threshold: str | None = None,
    xlim: tuple[float, float] | None = None,
) -> Figure:
    """Point estimates with confidence intervals, one row per estimate (a forest plot).

    Drawn with ``seaborn.pointplot``. Seaborn computes a point and an interval from
    observations, so each row is given to it as its three values (``ci_low``, ``estimate``,
    ``ci_high``) with the median as the point and the full range (``("pi", 100)``) as the
    interval: for ``ci_low <= estimate <= ci_high`` these are exactly the row's estimate and
    interval, which the function checks first.

    Args:
        data: Frame with ``label``, ``estimate``, ``ci_low``, ``ci_high`` columns, one row
            per label; rows are drawn top to bottom in the frame's order.
        label: Column of row labels.
        title: Chart title.
        xlabel: Axis label (what the estimate is, with its unit).
        source: Where in the report.
        note: Further remark (e.g. the model and confidence level).
        reference: Draw a vertical reference line here (1 for ratios, 0.5 for majorities).
        log_scale: Use a log axis (for ratios).
        colour_by: Column whose categories choose the marker colour (e.g. verdict).
        threshold: Column of per-row reference values (e.g. a claim's threshold), drawn
            as a black bar on each row.
        xlim: Fixed limits of the value axis (e.g. ``(0, 1)`` for shares).

    Returns:
        The figure.

    Raises:
        ValueError: A label on two rows, or an estimate outside its interval.
    """
    frame = _as_three_rows(data, label, colour_by)
    categories = list(dict.fromkeys(frame[colour_by])) if colour_by else []
    height = max(2.4, 0.5 * len(data) + 1.3)
    fig = Figure(figsize=(7.5, height))
    ax = fig.subplots()
    sns.pointplot(frame, x="value", y=label, order=list(dict.fromkeys(frame[label])),
                  hue=colour_by, hue_order=categories or None,
                  palette=_colours(categories) if colour_by else None,
                  color=None if colour_by else PALETTE[0], estimator="median",
                  errorbar=("pi", 100), linestyle="none", marker="o", markersize=6,
                  capsize=0.12, err_kws={"linewidth": 1.5}, dodge=False, log_scale=log_scale,
                  legend=bool(colour_by), ax=ax)
    if reference is not None:
        ax.axvline(reference, color=GREY, linestyle="--", linewidth=1)
    if threshold:  # seaborn puts row i at y = i
        ax.scatter(data[threshold], np.arange(len(data)), marker="|", s=400, color="black",
                   zorder=3, label="threshold")
    if log_scale:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    if colour_by:  # seaborn's categories, and the threshold mark if drawn
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=colour_by)
    source_note(fig, source, note)
    _set_value_axis(ax, xlim, log_scale=False)
    return fig


def _as_three_rows(data: pd.DataFrame, label: str, colour_by: str | None) -> pd.DataFrame:
    """Each estimate as three rows (low, estimate, high) in a ``value`` column.

    Raises:
        ValueError: A label on two rows, or an estimate outside its interval.
    """
    frame = data.assign(**{label: data[label].astype(str)})
    _require_unique(frame, [label], "interval_plot")
    outside = (frame["estimate"] < frame["ci_low"]) | (frame["estimate"] > frame["ci_high"])
    if outside.any():
        row = frame[outside].iloc[0]
        raise ValueError(f"interval_plot: estimate {row['estimate']} of {row[label]!r} lies "
                         f"outside its interval [{row['ci_low']}, {row['ci_high']}]")
    keep = [label] + ([colour_by] if colour_by else [])
    return frame.melt(id_vars=keep, value_vars=["ci_low", "estimate", "ci_high"],
                      value_name="value")


@themed
def stacked_share(
    data: pd.DataFrame,
    label: str,
    share: str,
    *,
    title: str,
    source: str,
    note: str = "",
    remainder: str | None = "is_remainder",
) -> Figure:
    """One 100 % bar split into shares, with an explicit grey remainder.

    Args:
        data: Frame with ``label`` and ``share`` (a percentage) columns, and a boolean
            ``remainder`` column marking the "not stated" part.
        label: Column of part names.
        share: Column of percentages (0-100).
        title: Chart title.
        source: Where in the report.
        note: Further remark.
        remainder: Column marking remainder rows (drawn grey), or ``None``.

    Returns:
        The figure.
    """
    fig = Figure(figsize=(7.0, 2.4))
    ax = fig.subplots()
    left = 0.0
    colour_index = 0
    for row in data.itertuples(index=False):
        is_rest = bool(getattr(row, remainder)) if remainder else False
        colour = GREY if is_rest else PALETTE[colour_index % len(PALETTE)]
        colour_index += 0 if is_rest else 1
        width = float(getattr(row, share))
        ax.barh([0], [width], left=left, color=colour, height=0.6,
                label=f"{getattr(row, label)} ({width:.3g} %)")
        if width >= 4:
            ax.text(left + width / 2, 0, f"{width:.3g} %", ha="center", va="center",
                    color="white", fontsize=9, fontweight="bold")
        left += width
    ax.set_xlim(0, 100)
    ax.set_yticks([])
    ax.set_xlabel("Per cent of the whole")
    ax.set_title(title)
    ax.grid(visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    source_note(fig, source, note)
    return fig


#: Candidate ticks of a log-scale ratio axis: readable on both sides of 1.
RATIO_TICKS: tuple[float, ...] = (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0,
                                  3.0, 4.0, 5.0, 10.0)


def _ratio_axis(ax: Axes, low: float, high: float) -> None:
    """Log x axis from ``low`` to ``high`` with plain-number ticks on both sides of 1."""
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    _plain_ticks(ax, [t for t in RATIO_TICKS if low <= t <= high])
    ax.axvline(1.0, color=GREY, linestyle="--", linewidth=1)


def _plain_ticks(ax: Axes, ticks: Sequence[float]) -> None:
    """Only ``ticks`` on the x axis, written as plain numbers (no ``10^k`` on a log axis)."""
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _interval_rows(ax: Axes, data: pd.DataFrame, label: str, colour_by: str | None,
                   colours: dict[str, str]) -> None:
    positions = np.arange(len(data))[::-1]
    for position, row in zip(positions, data.itertuples(index=False), strict=True):
        category = str(getattr(row, colour_by)) if colour_by else ""
        colour = colours.get(category, PALETTE[0])
        ax.errorbar([row.estimate], [position],
                    xerr=[[row.estimate - row.ci_low], [row.ci_high - row.estimate]],
                    fmt="o", color=colour, ecolor=colour, capsize=3)
    ax.set_yticks(positions, [textwrap.fill(str(v), 34) for v in data[label]])
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)


@themed
def ratio_panels(
    ratios: pd.DataFrame,
    label: str,
    *,
    effects: pd.DataFrame | None = None,
    title: str,
    xlabel: str,
    effect_xlabel: str,
    source: str,
    note: str = "",
    colour_by: str | None = None,
) -> Figure:
    """Rate ratios and ratios of rate ratios in separate panels on readable log axes.

    Args:
        ratios: Rows with ``label``, ``estimate``, ``ci_low``, ``ci_high`` (rate ratios).
        label: Column of human-readable row labels.
        effects: Optional rows with the same columns holding ratios of rate ratios,
            drawn in a second panel below.
        title: Chart title.
        xlabel: Axis label of the rate-ratio panel.
        effect_xlabel: Axis label of the ratio-of-rate-ratios panel.
        source: Where in the report.
        note: Further remark.
        colour_by: Column whose values (e.g. verdict) choose the marker colour; a legend
            names them.

    Returns:
        The figure.
    """
    frames = [ratios] + ([effects] if effects is not None and len(effects) else [])
    heights = [max(1.0, 0.45 * len(frame) + 0.6) for frame in frames]
    fig = Figure(figsize=(7.5, sum(heights) + 0.9 * len(frames) + 0.8))
    grid = fig.add_gridspec(len(frames), 1, height_ratios=heights, hspace=0.6)
    # Bottom panel first: the source note goes under the figure's first axes.
    axes = {i: fig.add_subplot(grid[i]) for i in reversed(range(len(frames)))}
    values = pd.concat(frames)
    categories = list(dict.fromkeys(values[colour_by].astype(str))) if colour_by else []
    colours = _colours(categories)
    for index, frame, axis_label in zip(range(len(frames)), frames, (xlabel, effect_xlabel),
                                        strict=False):
        ax = axes[index]
        _interval_rows(ax, frame.reset_index(drop=True), label, colour_by, colours)
        low = min(0.5, float(frame["ci_low"].min()) / 1.15)
        high = max(2.0, float(frame["ci_high"].max()) * 1.15)
        _ratio_axis(ax, low, high)
        ax.set_xlabel(axis_label)
    axes[0].set_title(title)
    if colour_by:
        handles = [Line2D([], [], marker="o", linestyle="", color=colours[c], label=c)
                   for c in categories]
        axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                          title=colour_by)
    source_note(fig, source, note)
    return fig


@themed
def flip_points(
    data: pd.DataFrame,
    label: str,
    flips: Mapping[str, str],
    *,
    origin: float,
    log_scale: bool,
    title: str,
    xlabel: str,
    source: str,
    reference: float | None = None,
    reference_label: str = "",
    note: str = "",
) -> Figure:
    """Where each verdict flips as a noise parameter grows: one marker per kind of flip.

    Each row is a claim; each flip column (e.g. unadjusted and Holm-adjusted) gets its own
    colour and marker, a line from ``origin`` to the point, and its value written beside
    it. Rows are ordered by the last flip column, the smallest (most fragile) on top and rows
    without it at the bottom; a row without a value in a column has no marker for it.

    Args:
        data: Rows with ``label`` and the flip columns.
        label: Column of human-readable row labels.
        flips: Flip column -> legend text, in drawing order.
        origin: Where the parameter starts (1 for a dispersion, 0 for a noise sigma).
        log_scale: Draw the axis on a log scale (with plain tick labels).
        title: Chart title.
        xlabel: Axis label.
        source: Where in the report.
        reference: A reference value drawn as a dashed line (e.g. the reference sigma).
        reference_label: Legend text of the reference line.
        note: Further remark.

    Returns:
        The figure.
    """
    columns = list(flips)
    ordered = data.sort_values(columns[-1], ascending=False, na_position="first")
    ordered = ordered.reset_index(drop=True)
    fig = Figure(figsize=(7.5, max(2.6, 0.55 * len(ordered) + 1.5)))
    ax = fig.subplots()
    positions = np.arange(len(ordered), dtype=float)
    offsets = np.linspace(0.15, -0.15, len(columns)) if len(columns) > 1 else [0.0]
    markers = ("o", "D", "s", "^")
    for index, (column, offset) in enumerate(zip(columns, offsets, strict=True)):
        values = pd.to_numeric(ordered[column], errors="coerce")
        shown = values.notna().to_numpy()
        rows = positions[shown] + offset
        colour = PALETTE[index]
        ax.hlines(rows, origin, values[shown], color=colour, linewidth=2)
        ax.scatter(values[shown], rows, color=colour, marker=markers[index], zorder=3,
                   label=flips[column])
        for row, value in zip(rows, values[shown], strict=True):
            ax.annotate(f"{value:.3g}", (value, row), xytext=(5, 0),
                        textcoords="offset points", va="center", fontsize=8)
    largest = float(pd.concat([pd.to_numeric(ordered[c], errors="coerce")
                               for c in columns]).max())
    if reference is not None:
        ax.axvline(reference, color=GREY, linestyle="--", linewidth=1, label=reference_label)
        largest = max(largest, reference)
    if log_scale:
        ax.set_xscale("log")
        ax.set_xlim(origin, largest * 1.6)
        _plain_ticks(ax, [t for t in (1, 1.5, 2, 3, 5, 10, 20, 50, 100)
                          if t <= ax.get_xlim()[1]])
    else:
        ax.set_xlim(origin, largest * 1.25)
    ax.set_yticks(positions, [textwrap.fill(str(v), 34) for v in ordered[label]])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    source_note(fig, source, note)
    return fig
