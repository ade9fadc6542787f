"""Tests of the tidy views of the statistics table."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from analysis.dataset import views


@pytest.fixture(scope="module")
def stats() -> pd.DataFrame:
    """The committed statistics table."""
    return views.load()


def test_victims_by_year_offence(stats: pd.DataFrame) -> None:
    """The four police-registered victim counts of para. 38, typed by hand."""
    got = views.victims_by_year_offence(stats)[["year", "offence", "victims"]]
    expected = pd.DataFrame(
        {
            "year": [2010, 2014, 2010, 2014],
            "offence": ["child pornography"] * 2 + ["child prostitution"] * 2,
            "victims": [614.0, 746.0, 741.0, 466.0],
        }
    )
    pdt.assert_frame_equal(got, expected)


def test_sentences_2014_derived_rows(stats: pd.DataFrame) -> None:
    """Derived rows: 106 - 13 = 93 suspended without probation; 141 - 30 - 106 = 5 not stated."""
    got = views.sentences_2014(stats).set_index("sentence")
    assert got.loc["suspended, without probation", "convictions"] == 93
    assert got.loc["not stated", "convictions"] == 5
    assert got["derived"].tolist() == [False] * 4 + [True] * 2


def test_views_on_a_tiny_table() -> None:
    """A view works on a tiny inline table and keeps the provenance columns."""
    tiny = pd.DataFrame(
        {
            "fact_id": ["sia_cases_received", "sia_cases_illegal", "sia_cases_hosted_abroad"],
            "value": [10.0, 4.0, 3.0],
            "paragraph": [45, 45, 45],
            "footnote": pd.array([pd.NA] * 3, dtype="Int64"),
        }
    )
    got = views.sia_funnel(tiny)
    pdt.assert_series_equal(got["cases"], pd.Series([10.0, 4.0, 3.0], name="cases"))
    assert got["fact_id"].tolist() == tiny["fact_id"].tolist()


def test_missing_fact_is_named() -> None:
    """A view on a table lacking a fact names the missing fact."""
    tiny = pd.DataFrame({"fact_id": ["x"], "value": [1.0], "paragraph": [1],
                         "footnote": [pd.NA]})
    with pytest.raises(KeyError, match="sia_cases_received"):
        views.sia_funnel(tiny)


def test_topic_table_unknown_topic(stats: pd.DataFrame) -> None:
    """An unknown topic lists the known ones."""
    with pytest.raises(KeyError, match="known topics"):
        views.topic_table(stats, "nonsense")


def test_victims_by_sex_sources_agree(stats: pd.DataFrame) -> None:
    """Para. 38 and footnote 3 give the same 2014 counts by sex."""
    a = views.victims_by_sex(stats, "paragraph")["victims"]
    b = views.victims_by_sex(stats, "footnote")["victims"]
    pdt.assert_series_equal(a, b)
