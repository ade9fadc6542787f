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


def test_flip_points_marks_fragile_claims() -> None:
    """Points below the fragile line get the fragile colour and legend entry."""
    data = pd.DataFrame({"label": ["a", "b"], "flip": [3.18, 14.7]})
    fig = plots.flip_points(data, "label", "flip", fragile_below=4, title="t", xlabel="x",
                            source="para. 38")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["flips below 4", "holds to 4 or more"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["b", "a"]
    plt.close(fig)


def test_interval_plot_threshold_marks() -> None:
    """The optional threshold column is drawn as one mark per row."""
    data = _rows(["girls", "arrests"], [0.93, 0.075]).assign(threshold=[0.8, 0.25])
    fig = plots.interval_plot(data, "label", title="t", xlabel="x", source="para. 38",
                              threshold="threshold")
    marks = [c for c in fig.axes[0].collections if c.get_label() == "threshold"]
    assert len(marks) == 1 and marks[0].get_offsets()[:, 0].tolist() == [0.8, 0.25]
    plt.close(fig)
