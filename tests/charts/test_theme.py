"""Tests of the figure theme and of deterministic, atomic figure output."""

from __future__ import annotations

import hashlib
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from analysis import paths
from analysis.charts import plots, theme


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
    for fmt in theme.FORMATS:
        assert theme.render(first, fmt) == theme.render(second, fmt), fmt


def test_no_date_or_version_in_files() -> None:
    """No file carries a date or the matplotlib version."""
    fig, _ = _chart()
    svg = theme.render(fig, "svg").decode()
    assert "<dc:date>" not in svg and matplotlib.__version__ not in svg
    assert matplotlib.__version__.encode() not in theme.render(fig, "png")
    assert b"CreationDate" not in theme.render(fig, "pdf")


def test_save_figure_writes_images_and_csv(tmp_path: Path) -> None:
    """save_figure writes the chosen formats and the data as CSV, nothing else."""
    fig, data = _chart()
    saved = theme.save_figure(fig, "demo", data, tmp_path, "svg,png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.csv", "demo.png", "demo.svg"]
    assert pd.read_csv(tmp_path / "demo.csv").equals(data)
    assert saved.svg and saved.svg.startswith("<?xml")
    assert repr(saved) == "Figure 'demo': demo.svg, demo.png, demo.csv"


def test_save_figure_uses_staging_env(tmp_path: Path, monkeypatch) -> None:
    """Without output_dir, the pipeline's staging folder (env var) is used."""
    monkeypatch.setenv(paths.OUTPUT_DIR_ENV, str(tmp_path))
    fig, data = _chart()
    theme.save_figure(fig, "staged", data, "", ("png",))
    assert (tmp_path / "staged.png").exists()


def test_save_figure_twice_is_identical(tmp_path: Path) -> None:
    """Saving the same chart into two folders gives byte-identical files."""
    for folder in ("a", "b"):
        fig, data = _chart()
        theme.save_figure(fig, "demo", data, tmp_path / folder, "svg,png,pdf")
    digest = {f: hashlib.sha256((tmp_path / "a" / f).read_bytes()).hexdigest()
              for f in ("demo.svg", "demo.png", "demo.pdf", "demo.csv")}
    assert digest == {f: hashlib.sha256((tmp_path / "b" / f).read_bytes()).hexdigest()
                      for f in digest}


@pytest.mark.parametrize("bad", ["", "gif", "svg,jpeg", ","])
def test_bad_formats_name_the_parameter(bad: str) -> None:
    """An unknown or empty format list is refused naming figure_formats."""
    with pytest.raises(ValueError, match="figure_formats"):
        theme.parse_formats(bad)


def test_bad_name_refused(tmp_path: Path) -> None:
    """A figure name with a path separator is refused."""
    fig, data = _chart()
    with pytest.raises(ValueError, match="figure name"):
        theme.save_figure(fig, "../escape", data, tmp_path)


def test_palette_is_okabe_ito() -> None:
    """The palette is the published Okabe–Ito set (first colours typed from the paper)."""
    assert theme.PALETTE[:3] == ("#0072B2", "#D55E00", "#009E73")
