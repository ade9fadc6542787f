"""Tests of the chart functions: what is drawn matches the data given, mark by mark.

The expected values are the input frames' own numbers (typed from the report where they
are the report's figures), read back from the drawn artists (bar rectangles, point markers,
interval segments, tick labels), never from the chart code's intermediate results.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from analysis.charts import plots, theme

#: Registered child victims by offence and year, para. 38 (typed from the report).
VICTIMS = pd.DataFrame({
    "offence": ["pornography", "pornography", "prostitution", "prostitution"],
    "year": [2010, 2014, 2010, 2014],
    "victims": [614, 746, 741, 466],
})


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


def _bars(fig: Figure) -> list[tuple[float, float, str]]:
    """(centre x, height, colour) of every drawn bar, left to right."""
    ax = fig.axes[0]
    bars = [(p.get_x() + p.get_width() / 2, p.get_height(), to_hex(p.get_facecolor()))
            for container in ax.containers if isinstance(container, BarContainer)
            for p in container]
    return sorted(bars)


def _tick_labels(fig: Figure, axis: str) -> list[str]:
    ax = fig.axes[0]
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [tick.get_text() for tick in ticks]


def test_grouped_bars_heights_order_and_colours() -> None:
    """One bar per row, grouped by offence, years side by side in the palette's colours."""
    fig = plots.grouped_bars(VICTIMS, "offence", "year", "victims", title="t",
                             ylabel="Victims (count)", source="para. 38")
    bars = _bars(fig)
    assert [height for _, height, _ in bars] == [614, 746, 741, 466]
    assert [colour for _, _, colour in bars] == [theme.PALETTE[0].lower(),
                                                 theme.PALETTE[1].lower()] * 2
    assert _tick_labels(fig, "x") == ["pornography", "prostitution"]
    texts = sorted(t.get_text() for t in fig.axes[0].texts if t.get_text()[:1].isdigit())
    assert texts == ["466", "614", "741", "746"]
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["2010", "2014"]


def test_grouped_bars_draws_the_given_intervals() -> None:
    """Error bars span exactly the lower and upper columns, at each bar's centre."""
    data = VICTIMS.assign(low=[600, 730, 720, 450], high=[630, 760, 760, 480])
    fig = plots.grouped_bars(data, "offence", "year", "victims", title="t", ylabel="n",
                             source="para. 38", lower="low", upper="high")
    ax = fig.axes[0]
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    spans = sorted((round(seg[0][0], 6), seg[0][1], seg[1][1]) for seg in segments)
    centres = [round(x, 6) for x, _, _ in _bars(fig)]
    assert [x for x, _, _ in spans] == centres
    assert [(low, high) for _, low, high in spans] == [(600, 630), (730, 760), (720, 760),
                                                       (450, 480)]


def test_grouped_bars_with_a_missing_bar_keeps_labels_in_place() -> None:
    """A category absent in one group does not shift the other bars or their labels."""
    data = VICTIMS.drop(index=2)  # no 2010 bar for prostitution
    fig = plots.grouped_bars(data, "offence", "year", "victims", title="t", ylabel="n",
                             source="para. 38")
    heights = {(round(x), height) for x, height, _ in _bars(fig)}
    assert heights == {(0, 614), (0, 746), (1, 466)}


def test_grouped_bars_refuses_two_rows_for_one_bar() -> None:
    """Two rows for the same category and group would be averaged: refused, named."""
    data = pd.concat([VICTIMS, VICTIMS.iloc[[0]]])
    with pytest.raises(ValueError, match="grouped_bars needs one row per offence and year"):
        plots.grouped_bars(data, "offence", "year", "victims", title="t", ylabel="n",
                           source="x")


#: Rate ratios 2014 over 2010 (746/614 and 466/741) with illustrative intervals.
RATIOS = pd.DataFrame({
    "label": ["pornography", "prostitution", "ratio of ratios"],
    "estimate": [746 / 614, 466 / 741, (466 / 741) / (746 / 614)],
    "ci_low": [1.09, 0.56, 0.45],
    "ci_high": [1.35, 0.71, 0.60],
    "verdict": ["supported", "supported", "not supported"],
})


def _points(fig: Figure) -> dict[int, tuple[float, str]]:
    """Row position -> (x of the marker, colour) for every drawn point."""
    ax = fig.axes[0]
    points = {}
    for line in ax.lines:
        if line.get_marker() in (None, "None", "") or line.get_transform() != ax.transData:
            continue
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
            if math.isfinite(x):
                points[round(y)] = (float(x), to_hex(line.get_color()))
    return points


def _intervals(fig: Figure) -> dict[int, tuple[float, float]]:
    """Row position -> (left, right) end of the interval segment drawn on that row."""
    ax = fig.axes[0]
    spans: dict[int, tuple[float, float]] = {}
    for line in ax.lines:
        if line.get_marker() not in (None, "None", "") or line.get_transform() != ax.transData:
            continue
        x = np.asarray(line.get_xdata(), float)
        y = np.asarray(line.get_ydata(), float)
        on_row = np.isfinite(x) & np.isfinite(y) & np.isclose(y, np.round(y))
        for row in np.unique(y[on_row]):
            xs = x[on_row & (y == row)]
            spans[int(row)] = (float(xs.min()), float(xs.max()))
    return spans


def test_interval_plot_points_intervals_and_order() -> None:
    """Each row's point is its estimate and its segment its interval, first row on top."""
    fig = plots.interval_plot(RATIOS, "label", title="t", xlabel="ratio", source="para. 38",
                              reference=1.0, log_scale=True)
    points = _points(fig)
    assert [points[i][0] for i in range(3)] == pytest.approx(RATIOS["estimate"].tolist())
    spans = _intervals(fig)  # drawn through a log transform: equal up to rounding
    assert sorted(spans) == [0, 1, 2]
    assert [spans[i] for i in range(3)] == [pytest.approx(pair) for pair in
                                            [(1.09, 1.35), (0.56, 0.71), (0.45, 0.60)]]
    assert _tick_labels(fig, "y") == RATIOS["label"].tolist()
    ax = fig.axes[0]
    assert ax.yaxis_inverted()  # position 0 (the first row) is at the top
    assert ax.get_xscale() == "log"
    reference = [line for line in ax.lines if line.get_transform() != ax.transData]
    assert [line.get_xdata()[0] for line in reference] == [1.0]


def test_interval_plot_colours_by_category() -> None:
    """Markers take the palette's colours by category, in order of first appearance."""
    fig = plots.interval_plot(RATIOS, "label", title="t", xlabel="ratio", source="x",
                              colour_by="verdict")
    colours = {row: colour for row, (_, colour) in _points(fig).items()}
    first, second = theme.PALETTE[0].lower(), theme.PALETTE[1].lower()
    assert colours == {0: first, 1: first, 2: second}
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["supported", "not supported"]


def test_interval_plot_refuses_an_estimate_outside_its_interval() -> None:
    """An estimate outside [ci_low, ci_high] is refused, naming the row."""
    bad = RATIOS.assign(ci_high=[1.1, 0.71, 0.60])
    with pytest.raises(ValueError, match="'pornography' lies outside its interval"):
        plots.interval_plot(bad, "label", title="t", xlabel="x", source="x")


def test_interval_plot_refuses_a_repeated_label() -> None:
    """Two rows with one label would be merged into one point: refused."""
    with pytest.raises(ValueError, match="interval_plot needs one row per label"):
        plots.interval_plot(pd.concat([RATIOS, RATIOS.iloc[[0]]]), "label", title="t",
                            xlabel="x", source="x")


def test_horizontal_bars_lengths_order_and_highlight() -> None:
    """Bar lengths are the values, first row on top, highlighted rows in grey."""
    data = pd.DataFrame({"sentence": ["imprisonment", "suspended", "not stated"],
                         "convictions": [143, 100, 43]})
    fig = plots.horizontal_bars(data, "sentence", "convictions", title="t", xlabel="n",
                                source="para. 41", highlight=[False, False, True])
    patches = sorted(fig.axes[0].patches, key=lambda p: -p.get_y())
    assert [p.get_width() for p in patches] == [143, 100, 43]
    assert [to_hex(p.get_facecolor()) for p in patches] == [
        theme.PALETTE[0].lower(), theme.PALETTE[0].lower(), theme.GREY.lower()]


def test_stacked_share_segments_add_up_in_order() -> None:
    """Each segment starts where the previous ends and is as wide as its share."""
    data = pd.DataFrame({"component": ["indicted", "not indicted", "not stated"],
                         "share": [37.5, 50.0, 12.5], "is_remainder": [False, False, True]})
    fig = plots.stacked_share(data, "component", "share", title="t", source="para. 41")
    patches = sorted(fig.axes[0].patches, key=lambda p: p.get_x())
    assert [(p.get_x(), p.get_width()) for p in patches] == [(0, 37.5), (37.5, 50.0),
                                                             (87.5, 12.5)]
    assert to_hex(patches[-1].get_facecolor()) == theme.GREY.lower()


def test_interval_plot_threshold_sits_on_its_row() -> None:
    """Each row's threshold mark is drawn on the same row as that row's point."""
    data = RATIOS.assign(threshold=[1.0, 0.8, 0.5])
    fig = plots.interval_plot(data, "label", title="t", xlabel="x", source="x",
                              colour_by="verdict", threshold="threshold")
    ax = fig.axes[0]
    marks = [c for c in ax.collections if c.get_label() == "threshold"][0].get_offsets()
    rows = {round(y): x for x, y in marks.tolist()}
    assert rows == {0: 1.0, 1: 0.8, 2: 0.5}
    assert sorted(_points(fig)) == sorted(rows)
    assert "threshold" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_horizontal_bars_value_axis_limits_and_log_scale() -> None:
    """`xlim` fixes the value axis; `log_scale` makes it logarithmic; bar lengths unchanged."""
    data = pd.DataFrame({"label": ["a", "b"], "value": [3.0, 4079.0]})
    fig = plots.horizontal_bars(data, "label", "value", title="t", xlabel="x", source="s",
                                xlim=(1, 10_000), log_scale=True)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlim() == pytest.approx((1, 10_000))
    widths = [p.get_width() for c in ax.containers if isinstance(c, BarContainer) for p in c]
    assert sorted(widths) == [3.0, 4079.0]
    plain = plots.horizontal_bars(data, "label", "value", title="t", xlabel="x", source="s")
    assert plain.axes[0].get_xscale() == "linear"


def test_interval_plot_value_axis_limits() -> None:
    """`xlim=(0, 1)` shows a share on its whole range, as notebook 05 asks."""
    data = pd.DataFrame({"label": ["arrested"], "estimate": [16 / 213],
                         "ci_low": [0.047], "ci_high": [0.119]})
    fig = plots.interval_plot(data, "label", title="t", xlabel="x", source="s", xlim=(0, 1))
    assert fig.axes[0].get_xlim() == pytest.approx((0, 1))
