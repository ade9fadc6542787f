"""Tests of the tidy views of the statistics table."""

from __future__ import annotations

import re
from pathlib import Path

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
            "victims": [614, 746, 741, 466],
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
            "unit": ["count"] * 3,
            "paragraph": [45, 45, 45],
            "footnote": pd.array([pd.NA] * 3, dtype="Int64"),
        }
    )
    got = views.sia_funnel(tiny)
    pdt.assert_series_equal(got["cases"], pd.Series([10, 4, 3], name="cases"))
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


#: Every view of one table, with the columns that identify a row (its keys).
VIEWS = {
    "victims_by_year_offence": (views.victims_by_year_offence, ["year", "offence"]),
    "victims_by_sex": (views.victims_by_sex, ["year", "sex"]),
    "referrals_by_year_offence": (views.referrals_by_year_offence, ["year", "offence"]),
    "prosecution_outcomes_2013": (views.prosecution_outcomes_2013, ["stage"]),
    "convictions_by_year": (views.convictions_by_year, ["year"]),
    "sentences_2014": (views.sentences_2014, ["sentence"]),
    "sia_funnel": (views.sia_funnel, ["stage"]),
    "sia_content_shares": (views.sia_content_shares, ["content_type"]),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_no_view_double_counts(stats: pd.DataFrame, name: str) -> None:
    """Summing a view by its keys never adds a figure to itself or to its restatement.

    Each key identifies one row, each stated fact appears once, and no fact of the view is
    the restatement (duplicate_of) of another fact of the same view.
    """
    function, keys = VIEWS[name]
    frame = function(stats)
    value = [c for c in frame.columns if c not in {*keys, "fact_id", "paragraph", "footnote",
                                                    "derived", "qualifier"}][0]
    summed = frame.groupby(keys, sort=False)[value].agg(["sum", "size"])
    assert (summed["size"] == 1).all(), summed
    stated = [f for f in frame["fact_id"] if f]
    assert len(stated) == len(set(stated))
    duplicate_of = stats.set_index("fact_id")["duplicate_of"]
    assert not {duplicate_of[f] for f in stated} & set(stated)


def test_sum_by_sex_and_year_counts_2014_girls_once(stats: pd.DataFrame) -> None:
    """Summed by sex and year over the distinct figures: 1,130 girls, not 2,260.

    The report gives 1,130 girls and 82 boys in 2014 twice (footnote 3: "in 2014 there were
    1,130 girl victims ... as compared to 82 boy victims"; para. 38: "(1,130, as against 82
    boys in 2014)").
    """
    victims = views.distinct(stats)
    victims = victims[(victims["counting_unit"] == "victims") & (victims["sex"] != "")]
    totals = victims.groupby(["sex", "year"])["value"].sum()
    assert totals[("girls", 2014)] == 1130 and totals[("boys", 2014)] == 82


def test_summaries_count_a_restated_figure_once(stats: pd.DataFrame) -> None:
    """topic_summary and figures_by_paragraph count distinct figures (69 = 71 rows - 2)."""
    assert len(stats) - (stats["duplicate_of"] != "").sum() == len(views.distinct(stats))
    summary = views.topic_summary(stats)
    assert summary["figures"].sum() == len(views.distinct(stats))
    assert summary["restated"].sum() == 2
    assert views.figures_by_paragraph(stats)["figures"].sum() == len(views.distinct(stats))


def test_topic_table_shows_counts_as_integers(stats: pd.DataFrame) -> None:
    """Counts print as 24003, percentages as 86.8 (para. 45)."""
    table = views.topic_table(stats, "safer_internet_association").set_index("fact_id")
    assert repr(table.loc["sia_cases_received", "value"]) == "24003"
    assert repr(table.loc["sia_cam_on_foreign_sites_share", "value"]) == "86.8"


def test_ambiguous_readings_lists_both(stats: pd.DataFrame) -> None:
    """The Kawanishi row gives 26 as recorded and 25 as the other reading (para. 66)."""
    table = views.ambiguous_readings(stats).set_index("fact_id")
    row = table.loc["child_rights_monitoring_organizations"]
    assert (row["value"], row["alt_value"]) == (26, 25)


# --- finding 5: breakdowns that cannot be double counted -------------------------------------


def _distinct_2014_police_victims(stats: pd.DataFrame) -> pd.DataFrame:
    rows = views.distinct(stats)
    return rows[(rows["topic"] == "police_victims") & (rows["year"] == 2014)]


def test_2014_victims_are_one_total_split_two_ways(stats: pd.DataFrame) -> None:
    """Para. 38: 746 + 466 by offence and 1,130 + 82 by sex, never 2,424 together.

    "the number of child victims of pornography increased from 614 to 746, while the number
    of child victims of prostitution registered by the police dropped from 741 to 466. The
    vast majority of child victims of sexual exploitation are girls (1,130, as against 82
    boys in 2014)".
    """
    rows = _distinct_2014_police_victims(stats)
    assert rows["value"].sum() == 2424  # the double count the breakdown column prevents
    assert dict(zip(rows["fact_id"], rows["breakdown"], strict=True)) == {
        "police_victims_pornography_2014": "offence",
        "police_victims_prostitution_2014": "offence",
        "police_victims_girls_2014": "sex",
        "police_victims_boys_2014": "sex",
    }
    with pytest.raises(ValueError, match="different breakdowns"):
        views.sum_figures(stats, rows["fact_id"].tolist())
    totals = views.totals_by_breakdown(stats, rows["fact_id"].tolist()).set_index("breakdown")
    assert totals["total"].to_dict() == {"offence": 746 + 466, "sex": 1130 + 82}


def test_distinct_rows_keep_both_splits_under_the_cited_body(stats: pd.DataFrame) -> None:
    """Filtering the distinct rows on the National Police Agency keeps the split by sex.

    Para. 38 opens "According to statistics facilitated by the National Police Agency";
    footnote 3's restatement ("statistics provided by the Government of Japan") is the row
    left out.
    """
    rows = _distinct_2014_police_victims(stats)
    agency = rows[rows["source_body"] == "National Police Agency"]
    by_sex = agency[agency["breakdown"] == "sex"].set_index("sex")["value"].to_dict()
    by_offence = agency[agency["breakdown"] == "offence"].set_index("offence")["value"].to_dict()
    assert by_sex == {"girls": 1130, "boys": 82}
    assert by_offence == {"child pornography": 746, "child prostitution": 466}
    assert "Government of Japan" not in set(rows["source_body"])


@pytest.mark.parametrize(
    ("fact_ids", "message"),
    [
        # Footnote 3 restates para. 38: the restatement is never added.
        (["victims_girls_2014_fn3", "police_victims_boys_2014"], "restate other rows"),
        # "in 106 cases, the sentence was suspended, including 13 cases on probation"
        (["sentences_suspended_2014", "sentences_probation_2014"], "part of the other"),
        # "20,310,400 are children under the age of 18 and 5,389,400 under the age of 5"
        (["population_children_under_18", "population_children_under_5"], "part of the other"),
        # Victims and cases are different things.
        (["police_victims_pornography_2014", "referrals_pornography_2014"], "counting_units"),
        # Shares whose categories may overlap ("Some 62 per cent ..., 30 per cent ...").
        (["sia_share_obscene", "sia_share_child_abuse_material"], "may overlap"),
        # Two figures that are no categories of one split.
        (["sia_cases_received", "prosecution_cases_received_2013"], "have no breakdown"),
    ],
)
def test_sums_that_count_twice_are_refused(
    stats: pd.DataFrame, fact_ids: list[str], message: str
) -> None:
    """sum_figures refuses restated, nested, overlapping and unrelated figures."""
    with pytest.raises(ValueError, match=message):
        views.sum_figures(stats, fact_ids)


def test_sums_of_one_split_are_allowed(stats: pd.DataFrame) -> None:
    """Categories of one split add: 9 + 53 per cent of Osaka's victims; 954 + 1,342 referrals.

    Para. 53: "Approximately 9 per cent of victims were under the age of 9, while 53 per cent
    were aged between 10 and 19 years"; footnote 13: "decreased from 954 in 2010", "increased
    from 1,342".
    """
    assert views.sum_figures(
        stats, ["osaka_share_victims_under_9", "osaka_share_victims_10_19"]) == 62
    assert views.sum_figures(
        stats, ["referrals_prostitution_2010", "referrals_pornography_2010"]) == 954 + 1342


def test_every_breakdown_is_typed(stats: pd.DataFrame) -> None:
    """The rows with a breakdown, by dimension, as read from the report."""
    got = {b: set(part["fact_id"]) for b, part in stats[stats["breakdown"] != ""].groupby(
        "breakdown")}
    assert got == {
        "age_group": {"population_children_under_18", "population_children_under_5",
                      "osaka_share_victims_under_9", "osaka_share_victims_10_19",
                      "osaka_rape_victims_under_18", "osaka_abuse_share_minor_victims"},
        "content_type": {"sia_share_obscene", "sia_share_child_abuse_material",
                         "sia_share_revenge_porn"},
        "offence": {"police_victims_pornography_2010", "police_victims_pornography_2014",
                    "police_victims_prostitution_2010", "police_victims_prostitution_2014",
                    "referrals_pornography_2010", "referrals_pornography_2014",
                    "referrals_prostitution_2010", "referrals_prostitution_2014",
                    "naha_sexual_abuse_share_2013", "naha_sexual_abuse_cases_2013"},
        "sentence": {"sentences_unsuspended_2014", "sentences_suspended_2014",
                     "sentences_probation_2014"},
        "sex": {"victims_girls_2014_fn3", "victims_boys_2014_fn3", "police_victims_girls_2014",
                "police_victims_boys_2014"},
    }


def test_views_name_fact_ids_literally() -> None:
    """Grepping a fact id finds every reader: views.py builds no fact id from pieces."""
    source = Path(views.__file__).read_text(encoding="utf-8")
    assert not re.search(r"f\"[^\"]*_\{[^}]+\}", source)
    for fact_id in ("police_victims_pornography_2010", "referrals_prostitution_2014",
                    "victims_boys_2014_fn3", "convictions_first_instance_2014"):
        assert f'"{fact_id}"' in source
