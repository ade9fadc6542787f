"""Tests of the claim charts: ratio panels, flip points and threshold marks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from analysis.charts import plots


def _rows(labels: list[str], estimates: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"label": labels, "estimate": estimates,
                         "ci_low": [e * 0.9 for e in estimates],
                         "ci_high": [e * 1.1 for e in estimates],
                         "verdict": ["supported"] * len(labels)})


def test_ratio_panels_separate_effects_and_label_both_sides_of_one() -> None:
    """Two panels; tick labels are plain numbers below and above 1; source under the bottom."""
    fig = plots.ratio_panels(_rows(["fell", "rose"], [0.63, 1.21]), "label",
                             effects=_rows(["apart"], [0.52]), title="t", xlabel="x",
                             effect_xlabel="e", source="para. 38", colour_by="verdict")
    top = next(ax for ax in fig.axes if "t" in {ax.get_title(loc) for loc in ("left", "center")})
    ticks = [t.get_text() for t in top.get_xticklabels()]
    assert "0.5" in ticks and "1" in ticks and "2" in ticks
    assert len(fig.axes) == 2
    assert [t.get_text() for t in top.get_yticklabels()] == ["fell", "rose"]
    assert top.get_yticks()[0] > top.get_yticks()[1]  # first row on top
    plt.close(fig)


def test_ratio_panels_without_effects_has_one_panel() -> None:
    """No effect rows: a single panel."""
    fig = plots.ratio_panels(_rows(["fell"], [0.63]), "label", title="t", xlabel="x",
                             effect_xlabel="e", source="para. 38")
    assert len(fig.axes) == 1
    plt.close(fig)


def test_flip_points_draw_each_kind_of_flip_with_its_legend() -> None:
    """One marker series per flip column, ordered rows, a labelled reference line.

    One marker series per flip column, at the data's values; rows ordered by the last column
    (smallest, the most fragile, on top; a row without it at the bottom); the reference drawn
    as a labelled dashed line.
    """
    data = pd.DataFrame({"label": ["a", "b", "c"], "flip": [3.18, 14.7, 8.27],
                         "holm": [3.18, 9.43, None]})
    fig = plots.flip_points(data, "label", {"flip": "unadjusted", "holm": "Holm-adjusted"},
                            origin=1.0, log_scale=True, title="t", xlabel="x",
                            source="para. 38", reference=4.0, reference_label="four")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["unadjusted", "Holm-adjusted", "four"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b", "a"]  # bottom to top
    points = {c.get_label(): sorted(c.get_offsets()[:, 0].tolist()) for c in ax.collections
              if c.get_label() in {"unadjusted", "Holm-adjusted"}}
    assert points == {"unadjusted": [3.18, 8.27, 14.7], "Holm-adjusted": [3.18, 9.43]}
    assert ax.get_xscale() == "log" and ax.get_xlim()[0] == 1.0
    plt.close(fig)


def test_flip_points_linear_from_zero() -> None:
    """A sigma axis starts at 0 on a linear scale."""
    data = pd.DataFrame({"label": ["a"], "flip": [0.0587], "holm": [0.0478]})
    fig = plots.flip_points(data, "label", {"flip": "u", "holm": "h"}, origin=0.0,
                            log_scale=False, title="t", xlabel="x", source="para. 38")
    assert fig.axes[0].get_xscale() == "linear" and fig.axes[0].get_xlim()[0] == 0.0
    plt.close(fig)


def test_interval_plot_threshold_marks() -> None:
    """The optional threshold column is drawn as one mark per row."""
    data = _rows(["girls", "arrests"], [0.93, 0.075]).assign(threshold=[0.8, 0.25])
    fig = plots.interval_plot(data, "label", title="t", xlabel="x", source="para. 38",
                              threshold="threshold")
    marks = [c for c in fig.axes[0].collections if c.get_label() == "threshold"]
    assert len(marks) == 1 and marks[0].get_offsets()[:, 0].tolist() == [0.8, 0.25]
    plt.close(fig)
