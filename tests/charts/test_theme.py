"""Tests of the figure theme and of deterministic, atomic figure output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from analysis import notebook, parameter_rules
from analysis.charts import plots, theme
from analysis.outputs import OutputError, Outputs


def _outputs(folder: Path, formats: str = "svg,png") -> Outputs:
    """An output context writing into ``folder`` (as the pipeline's staging would)."""
    return Outputs(folder, parameter_rules.parse_formats(formats), True, {},
                   notebook.column_catalogue())


def _chart() -> tuple[matplotlib.figure.Figure, pd.DataFrame]:
    data = pd.DataFrame({"offence": ["a", "a", "b", "b"], "year": [2010, 2014, 2010, 2014],
                         "victims": [614, 746, 741, 466]})
    fig = plots.grouped_bars(data, "offence", "year", "victims", title="t",
                                ylabel="Victims (count)", source="para. 38")
    return fig, data


def test_svg_png_pdf_are_byte_identical_across_renders() -> None:
    """Rendering the same chart twice gives identical SVG, PNG and PDF bytes."""
    first, _ = _chart()
    second, _ = _chart()
    for fmt in parameter_rules.FIGURE_FORMATS:
        assert theme.render(first, fmt) == theme.render(second, fmt), fmt


def test_no_date_or_version_in_files() -> None:
    """No file carries a date or the matplotlib version."""
    fig, _ = _chart()
    svg = theme.render(fig, "svg").decode()
    assert "<dc:date>" not in svg and matplotlib.__version__ not in svg
    assert matplotlib.__version__.encode() not in theme.render(fig, "png")
    assert b"CreationDate" not in theme.render(fig, "pdf")


def test_save_figure_writes_images_csv_and_declaration(tmp_path: Path) -> None:
    """save_figure writes the chosen formats, the data as CSV and its declaration."""
    fig, data = _chart()
    saved = theme.save_figure(fig, "demo", data, _outputs(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".declared", "demo.csv", "demo.png", "demo.svg"]
    assert [p.name for p in (tmp_path / ".declared").iterdir()] == ["demo.json"]
    assert pd.read_csv(tmp_path / "demo.csv").equals(data)
    assert saved.svg and saved.svg.startswith("<?xml")
    assert repr(saved) == "Figure 'demo': demo.svg, demo.png, demo.csv"


def test_save_figure_twice_is_identical(tmp_path: Path) -> None:
    """Saving the same chart into two folders gives byte-identical files."""
    for folder in ("a", "b"):
        fig, data = _chart()
        theme.save_figure(fig, "demo", data, _outputs(tmp_path / folder, "svg,png,pdf"))
    digest = {f: hashlib.sha256((tmp_path / "a" / f).read_bytes()).hexdigest()
              for f in ("demo.svg", "demo.png", "demo.pdf", "demo.csv")}
    assert digest == {f: hashlib.sha256((tmp_path / "b" / f).read_bytes()).hexdigest()
                      for f in digest}


@pytest.mark.parametrize("bad", ["", "gif", "svg,jpeg", ","])
def test_bad_formats_name_the_parameter(bad: str) -> None:
    """An unknown or empty format list is refused naming figure_formats."""
    with pytest.raises(ValueError, match="figure_formats"):
        parameter_rules.parse_formats(bad)


def test_bad_name_refused(tmp_path: Path) -> None:
    """A figure name with a path separator is refused, and nothing is written."""
    fig, data = _chart()
    with pytest.raises(OutputError, match="output name"):
        theme.save_figure(fig, "../escape", data, _outputs(tmp_path))
    assert not any(tmp_path.iterdir())


def test_a_column_nobody_describes_is_refused(tmp_path: Path) -> None:
    """Every CSV column must be declared where it is made; an unknown one names itself."""
    fig, data = _chart()
    with pytest.raises(OutputError, match="no description for column 'mystery'"):
        theme.save_figure(fig, "demo", data.assign(mystery=1), _outputs(tmp_path))
    assert not any(tmp_path.iterdir())


def test_title_and_alt_text_come_from_the_drawn_figure() -> None:
    """The title is the chart's as drawn; the alt text names both axes and the legend."""
    fig, data = _chart()
    assert theme.figure_title(fig) == "t"
    assert theme.alt_text(fig, "t", len(data)) == (
        "Chart: t. Horizontal axis Offence; vertical axis Victims (count); colours by year. "
        "4 data rows; the table is linked below the chart."
    )


def test_charts_leave_matplotlib_global_state_alone() -> None:
    """Drawing and saving change neither the global rcParams nor pyplot's figures."""
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    figures = plt.get_fignums()
    fig, _ = _chart()
    theme.render(fig, "svg")
    assert dict(matplotlib.rcParams) == before
    assert plt.get_fignums() == figures


def test_palette_is_okabe_ito() -> None:
    """The palette is the published Okabe–Ito set (first colours typed from the paper)."""
    assert theme.PALETTE[:3] == ("#0072B2", "#D55E00", "#009E73")
