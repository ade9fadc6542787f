"""The dataset says exactly what the report says.

Duplicates, ambiguous readings, breakdowns, attributions, periods and labels, each case with
the report's words typed in the test.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.dataset.audit import audit_numbers, load_audit_rules
from analysis.dataset.schema import OFFENCES
from analysis.dataset.source import Report


@pytest.fixture(scope="module")
def rows(facts: pd.DataFrame) -> pd.DataFrame:
    """The extracted facts indexed by fact_id."""
    return facts.set_index("fact_id")


@pytest.fixture(scope="module")
def audit(report: Report, facts: pd.DataFrame) -> pd.DataFrame:
    """The number audit of the real report."""
    return audit_numbers(report, facts, load_audit_rules())


def _words(report: Report, row: pd.Series) -> str:
    return " ".join(report.text[row["char_start"] : row["char_end"]].split())


# --- duplicates --------------------------------------------------------------------------


def test_para38_restates_footnote3(report: Report, rows: pd.DataFrame) -> None:
    """Para. 38 restates footnote 3's girls and boys; the later rows say so.

    Footnote 3: "in 2014 there were 1,130 girl victims of sexual exploitation as compared to
    82 boy victims"; para. 38: "are girls (1,130, as against 82 boys in 2014)".
    """
    assert "1,130 girl victims" in report.footnote(3).text
    for later, first in [("police_victims_girls_2014", "victims_girls_2014_fn3"),
                         ("police_victims_boys_2014", "victims_boys_2014_fn3")]:
        assert rows.loc[later, "duplicate_of"] == first
        assert rows.loc[later, "value"] == rows.loc[first, "value"]
        assert rows.loc[first, "duplicate_of"] == ""
    assert (rows["duplicate_of"] != "").sum() == 2


# --- ambiguous readings ------------------------------------------------------------------

AMBIGUOUS = {
    # fact_id: (the report's words, recorded value, recorded qualifier, alternative)
    "osaka_visits": ("more than 23,000 telephone calls and 3,200 visits", 3200, "exact",
                     ("alt_qualifier", "more_than")),
    "sia_share_child_abuse_material": (
        "Some 62 per cent of all illegal and harmful content contained obscene expressions, 30 "
        "per cent contained child abuse material and 5 per cent revenge porn", 30, "exact",
        ("alt_qualifier", "approximately")),
    "sia_share_revenge_porn": (
        "Some 62 per cent of all illegal and harmful content contained obscene expressions, 30 "
        "per cent contained child abuse material and 5 per cent revenge porn", 5, "exact",
        ("alt_qualifier", "approximately")),
    "sia_cases_hosted_abroad": (
        "24,003 cases, 4,079 of which were found to be illegal and 3,844 were hosted on "
        "websites outside Japan", 3844, "exact",
        ("alt_scope", "part of the 4,079 cases found to be illegal")),
    "carillon_budget_share_ministry": (
        "Approximately 80 per cent of the budget for the project is funded by the Ministry of "
        "Health, Labour and Welfare", 80, "approximately",
        ("alt_scope", "Carillon House, the 'new project' of the Carillon Children Centre")),
    "child_rights_monitoring_organizations": (
        "the Ombudsperson for Children’s Rights of Kawanishi City and the other child rights "
        "monitoring and counselling organizations located at the prefecture and capital "
        "levels (totalling 26)", 26, "exact", ("alt_value", 25)),
}


@pytest.mark.parametrize("fact_id", sorted(AMBIGUOUS))
def test_ambiguous_rows_carry_both_readings(
    report: Report, rows: pd.DataFrame, fact_id: str
) -> None:
    """Each case of the issue is ambiguous, with a note and the other reading."""
    words, value, qualifier, (column, alternative) = AMBIGUOUS[fact_id]
    paragraph = report.paragraph(int(rows.loc[fact_id, "paragraph"]))
    assert words in " ".join(report.text[paragraph.start : paragraph.end].split())
    row = rows.loc[fact_id]
    assert (row["reading"], row["value"], row["qualifier"]) == ("ambiguous", value, qualifier)
    assert row[column] == alternative
    assert "may" in row["note"] and "records" in row["note"]


def test_only_these_rows_are_ambiguous(rows: pd.DataFrame) -> None:
    """No other row is marked ambiguous.

    "Some 62 per cent" itself is plain: approximate under both readings.
    """
    assert set(rows.index[rows["reading"] == "ambiguous"]) == set(AMBIGUOUS)
    assert rows.loc["sia_share_obscene", "qualifier"] == "approximately"


# --- breakdowns a filter can find ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fact_id", "words", "offence"),
    [
        ("naha_sexual_abuse_cases_2013", "cases of child sexual abuse (in 2013, 6.9 per cent",
         "child sexual abuse"),
        ("osaka_rape_victims_under_18", "239 victims of rape or indecent assault",
         "rape or indecent assault"),
        ("osaka_abuse_cases", "16 of 213 cases of sexual abuse", "sexual abuse"),
        ("osaka_abuse_share_minor_victims", "In 90 per cent of cases of sexual abuse",
         "sexual abuse"),
        ("osaka_medical_files", "medical file for victims of rape or indecent assault, sexual "
         "abuse, sexual “delinquency” or domestic violence",
         "rape, indecent assault, sexual abuse, sexual delinquency or domestic violence"),
    ],
)
def test_osaka_and_naha_offences_are_filled(
    report: Report, rows: pd.DataFrame, fact_id: str, words: str, offence: str
) -> None:
    """The offence the report names is in the offence column, from the controlled list."""
    paragraph = report.paragraph(int(rows.loc[fact_id, "paragraph"]))
    assert words in " ".join(report.text[paragraph.start : paragraph.end].split())
    assert rows.loc[fact_id, "offence"] == offence
    assert offence in OFFENCES


def test_every_offence_is_in_the_controlled_list(rows: pd.DataFrame) -> None:
    """No offence value outside the documented list."""
    assert set(rows["offence"]) - {""} <= set(OFFENCES)


def test_sia_geography_is_the_caseload_not_the_host(rows: pd.DataFrame) -> None:
    """Geography is the Japanese association's caseload; the host is hosting_location.

    Para. 45: "3,844 were hosted on websites outside Japan".
    """
    for fact_id, host in [("sia_cases_hosted_abroad", "websites outside Japan"),
                          ("sia_cam_on_foreign_sites_share", "foreign websites"),
                          ("sia_removal_success_foreign_cam", "foreign sites")]:
        assert rows.loc[fact_id, "geography"] == "Japan"
        assert rows.loc[fact_id, "hosting_location"] == host
    assert "outside Japan" not in set(rows["geography"])


# --- nothing inferred silently ------------------------------------------------------------


def test_footnote13_names_no_body(report: Report, rows: pd.DataFrame) -> None:
    """Footnote 13 names no body, so its figures' source_body is 'not stated'.

    "The number of cases referred for prosecution in relation to child prostitution
    decreased from 954 in 2010 to 661 in 2014 ..."
    """
    text = report.footnote(13).text
    assert "The number of cases referred for prosecution" in text
    assert "Police" not in text and "Agency" not in text
    for fact_id in rows.index[rows["footnote"] == 13]:
        assert rows.loc[fact_id, "source_body"] == "not stated"


def test_period_only_where_the_sentence_states_it(report: Report, rows: pd.DataFrame) -> None:
    """A period is recorded only for the figures of the sentence that states it.

    "As at July 2015" opens the sentence of 24,003 / 4,079 / 3,844 only; "Since its
    establishment" the sentence of 23,000 / 3,200 / 983 only.
    """
    as_at = set(rows.index[rows["period"] == "as at July 2015"])
    assert as_at == {"sia_cases_received", "sia_cases_illegal", "sia_cases_hosted_abroad"}
    since = set(rows.index[rows["period"] == "since its establishment"])
    assert since == {"osaka_telephone_calls", "osaka_visits", "osaka_medical_files"}
    assert "since opening (2010)" not in set(rows["period"])
    for fact_id in ("sia_share_obscene", "osaka_abuse_cases"):
        assert rows.loc[fact_id, "period"] == "" and rows.loc[fact_id, "note"]


def test_periods_are_in_their_sentences(report: Report, rows: pd.DataFrame) -> None:
    """A stated period's words are in the figure's sentence (from the last full stop)."""
    words = {"as at July 2015": "As at July 2015", "since its establishment":
             "Since its establishment", "2010-2014": "Between 2010 and 2014"}
    for fact_id, row in rows[rows["period"].isin(words)].iterrows():
        start = report.text.rfind(". ", 0, row["char_start"])
        sentence = report.text[start : row["char_end"]]
        assert words[row["period"]] in sentence, fact_id


def test_inferred_fields_are_listed(rows: pd.DataFrame) -> None:
    """A body or year taken from a neighbouring sentence is listed in inferred.

    Para. 38's "The vast majority ... are girls (1,130, ...)" names no body; para. 47's "A
    total of 1,806 reports received from the public" states no year.
    """
    assert rows.loc["police_victims_girls_2014", "inferred"] == "source_body"
    assert rows.loc["ihc_prioritized_public_2014", "inferred"] == "year source_body"
    assert rows.loc["ihc_reports_2014", "inferred"] == ""
    for fact_id, inferred in rows["inferred"].items():
        if inferred:
            assert rows.loc[fact_id, "note"], fact_id


# --- labels and number words ---------------------------------------------------------------


def _token(audit: pd.DataFrame, token: str, paragraph: int) -> pd.DataFrame:
    return audit[(audit["token"] == token) & (audit["paragraph"] == paragraph)]


@pytest.mark.parametrize(
    ("words", "token", "paragraph", "fact_ids"),
    [
        ("between 2010 and 2014", "2010", 38,
         {"police_victims_pornography_2010", "police_victims_prostitution_2010"}),
        ("As at July 2015", "2015", 45, {"sia_cases_received", "sia_cases_illegal",
                                         "sia_cases_hosted_abroad"}),
        ("(19 years of age or younger)", "19", 53, {"osaka_abuse_share_minor_victims"}),
        ("Between 2010 and 2014", "2014", 70, {"extraterritorial_referrals_2010_2014"}),
    ],
)
def test_label_tokens_link_the_facts_they_qualify(
    report: Report, audit: pd.DataFrame, words: str, token: str, paragraph: int,
    fact_ids: set[str],
) -> None:
    """A token giving a figure's year, period or age band is a label of those figures."""
    assert words in report.paragraph(paragraph).masked
    found = audit[(audit["token"] == token) & (audit["paragraph"] == paragraph)
                  & (audit["context"].str.contains(re.escape(words)))]
    assert len(found) == 1
    assert found["status"].iloc[0] == "label"
    assert fact_ids <= set(found["fact_id"].iloc[0].split())


def test_every_label_token_is_linked(audit: pd.DataFrame, facts: pd.DataFrame) -> None:
    """Every label token names at least one fact, and only known facts."""
    labels = audit[audit["status"] == "label"]
    assert len(labels) >= 25
    for linked in labels["fact_id"]:
        assert linked.split() and set(linked.split()) <= set(facts["fact_id"])


def test_a_decade_and_russian_number_words_are_audited(audit: pd.DataFrame) -> None:
    """Number words without digits are audited as non-statistics with a reason.

    "almost a decade" (para. 21) and "Тридцать первая сессия" (cover note).
    """
    decade = _token(audit, "decade", 21)
    assert decade["status"].tolist() == ["not_statistic"] and decade["reason"].iloc[0]
    cover = audit[audit["part"] == "cover"].set_index("token")
    for word in ("Тридцать", "первая"):
        assert cover.loc[word, "status"] == "not_statistic"
        assert cover.loc[word, "category"] == "name_or_ordinal"


def test_procedural_time_limits_are_treated_alike(rows: pd.DataFrame) -> None:
    """Procedural time limits are all recorded as figures.

    "Within three days, the reports were referred" (para. 47) and "one year to dispose of
    it" (para. 26).
    """
    assert (rows.loc["ihc_prioritized_referral_days_2014", ["value", "unit"]].tolist()
            == [3, "days"])
    assert rows.loc["possession_disposal_period", ["value", "unit", "paragraph"]].tolist() == [
        1, "years", 26]
