"""The dataset says exactly what the report says.

Duplicates, ambiguous readings, breakdowns, attributions, periods and labels, each case with
the report's words typed in the test. The findings of the data editor's review (issue 22)
each have a test here or beside the module they concern: 1 ambiguity, 2 inferred fields, 3
periods, 4 source and subject bodies, 7 durations and reasons, 8 topics and counting units
here; 5 breakdowns in ``test_views.py``; 6 cross-checks in ``test_cross_checks.py``; the two
rules in ``test_wording.py`` and ``test_audit.py``.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.dataset.audit import audit_numbers, load_audit_rules
from analysis.dataset.extract import Extraction
from analysis.dataset.schema import OFFENCES
from analysis.dataset.source import Report


@pytest.fixture(scope="module")
def rows(facts: pd.DataFrame) -> pd.DataFrame:
    """The extracted facts indexed by fact_id."""
    return facts.set_index("fact_id")


@pytest.fixture(scope="module")
def audit(report: Report, extraction: Extraction) -> pd.DataFrame:
    """The number audit of the real report."""
    return audit_numbers(report, extraction, load_audit_rules())


def _words(report: Report, row: pd.Series) -> str:
    return " ".join(report.text[row["char_start"] : row["char_end"]].split())


# --- duplicates --------------------------------------------------------------------------


def test_footnote3_restates_para38_under_the_body_para38_cites(
    report: Report, rows: pd.DataFrame
) -> None:
    """Footnote 3 and para. 38 give the same girls and boys; footnote 3's rows are restatements.

    Footnote 3: "According to statistics provided by the Government of Japan, in 2014 there
    were 1,130 girl victims of sexual exploitation as compared to 82 boy victims"; para. 38:
    "According to statistics facilitated by the National Police Agency, ... are girls (1,130,
    as against 82 boys in 2014)". The counted rows are para. 38's, so that the distinct rows
    keep the 2014 split by sex under the same body as the split by offence (finding 5).
    """
    assert "Government of Japan, in 2014 there were 1,130 girl victims" in report.footnote(3).text
    for restating, kept in [("victims_girls_2014_fn3", "police_victims_girls_2014"),
                            ("victims_boys_2014_fn3", "police_victims_boys_2014")]:
        assert rows.loc[restating, "duplicate_of"] == kept
        assert rows.loc[restating, "value"] == rows.loc[kept, "value"]
        assert rows.loc[restating, "source_body"] == "Government of Japan"
        assert rows.loc[kept, "duplicate_of"] == ""
        assert rows.loc[kept, "source_body"] == "National Police Agency"
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
    # Finding 1: "Approximately" may govern 53 as well as 9 (para. 53).
    "osaka_share_victims_10_19": (
        "Approximately 9 per cent of victims were under the age of 9, while 53 per cent were "
        "aged between 10 and 19 years", 53, "exact", ("alt_qualifier", "approximately")),
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

    "Some 62 per cent" and "Approximately 9 per cent" themselves are plain: approximate
    under both readings.
    """
    assert set(rows.index[rows["reading"] == "ambiguous"]) == set(AMBIGUOUS)
    for fact_id in ("sia_share_obscene", "osaka_share_victims_under_9"):
        assert rows.loc[fact_id, ["qualifier", "reading"]].tolist() == ["approximately", "plain"]


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


def test_period_policy_para45(report: Report, rows: pd.DataFrame) -> None:
    """Finding 3: "As at July 2015" dates all nine figures of para. 45, six from context.

    Para. 45 opens "As at July 2015, the Safer Internet Association had received and
    monitored 24,003 cases, 4,079 of which were found to be illegal and 3,844 were hosted on
    websites outside Japan." Its later sentences ("Some 62 per cent ...", "A total of 86.8
    per cent ...", "The Association sent a total of 4,254 requests ...", "Unexpectedly, 96
    per cent ...") state no date: their period comes from context and is listed.
    """
    assert report.paragraph(45).body_text().startswith("45. As at July 2015, the Safer")
    para45 = rows[rows["paragraph"] == 45]
    assert len(para45) == 9
    assert set(para45["period"]) == {"as at July 2015"}
    first = {"sia_cases_received", "sia_cases_illegal", "sia_cases_hosted_abroad"}
    for fact_id, inferred in para45["inferred"].items():
        assert ("period" in inferred.split()) == (fact_id not in first), fact_id


def test_period_policy_para53(rows: pd.DataFrame) -> None:
    """Finding 3: "Since its establishment" dates all eleven Osaka figures of para. 53.

    Only the first sentence ("Since its establishment, the Sexual Assault Crisis Healing
    Intervention Centre of Osaka has received more than 23,000 telephone calls and 3,200
    visits, 983 of which ...") states it.
    """
    para53 = rows[rows["paragraph"] == 53]
    assert len(para53) == 11 and set(para53["period"]) == {"since its establishment"}
    first = {"osaka_telephone_calls", "osaka_visits", "osaka_medical_files"}
    for fact_id, inferred in para53["inferred"].items():
        assert ("period" in inferred.split()) == (fact_id not in first), fact_id


def test_period_policy_time_limits(rows: pd.DataFrame) -> None:
    """Finding 3: a time limit is dated like any figure, from its sentence or its paragraph.

    Para. 47: "In 2014, the Internet Hotline Centre received ... A total of 1,806 reports
    ... were processed through prioritized procedures. Within three days, the reports were
    referred" -- 2014 comes from context and is listed. Para. 26: "This provision entered
    into force in July 2015, giving those in possession of child abuse material one year to
    dispose of it" -- the sentence dates it itself.
    """
    days = rows.loc["ihc_prioritized_referral_days_2014"]
    assert (days["year"], "year" in days["inferred"].split()) == (2014, True)
    disposal = rows.loc["possession_disposal_period"]
    assert (disposal["period"], "period" in disposal["inferred"].split()) == (
        "from July 2015", False)


def test_periods_are_in_their_sentences_unless_inferred(report: Report, rows: pd.DataFrame,
                                                        extraction: Extraction) -> None:
    """A period not listed in inferred has its words in the figure's sentence."""
    words = {"as at July 2015": "As at July 2015", "since its establishment":
             "Since its establishment", "2010-2014": "Between 2010 and 2014",
             "current (at the time of the report)": "current",
             "from July 2015": "into force in July 2015"}
    sentences = {loc.fact_id: loc.sentence.text for loc in extraction.locations}
    for fact_id, row in rows[rows["period"] != ""].iterrows():
        if "period" not in row["inferred"].split():
            assert words[row["period"]].lower() in sentences[fact_id].lower(), fact_id


# --- finding 2: nothing inferred silently ---------------------------------------------------


@pytest.mark.parametrize(
    ("fact_id", "sentence", "field", "value"),
    [
        ("child_poverty_rate_national", "The current rate of child poverty is 16 per cent.",
         "geography", "Japan"),
        ("okinawa_poverty_rate_2012", "In 2012, it was 34.8 per cent, while the child "
         "poverty rate was 37.5 per cent.", "counting_unit", "persons"),
        ("osaka_abuse_share_family_perpetrator", "In 77 per cent, of the cases, the "
         "perpetrator was a family member; in 42 per cent of cases, the abuse had lasted from "
         "one to four years.", "offence", "sexual abuse"),
        ("osaka_share_victims_under_9", "Approximately 9 per cent of victims were under the "
         "age of 9, while 53 per cent were aged between 10 and 19 years; 239 victims of rape "
         "or indecent assault were under the age of 18.", "geography", "Osaka"),
        ("icsa_members", "The Association has 93 members, including Internet service "
         "providers, mobile network operators, search engine operators and filtering service "
         "providers.", "subject_body", "Internet Content Safety Association"),
        ("police_victims_girls_2014", "The vast majority of child victims of sexual "
         "exploitation are girls (1,130, as against 82 boys in 2014).[footnoteRef:13]",
         "source_body", "National Police Agency"),
    ],
)
def test_context_filled_fields_are_listed(
    extraction: Extraction, rows: pd.DataFrame, fact_id: str, sentence: str, field: str,
    value: str,
) -> None:
    """Finding 2: a field the sentence (typed here) does not state is listed in inferred."""
    location = next(loc for loc in extraction.locations if loc.fact_id == fact_id)
    assert location.sentence.text == sentence
    assert rows.loc[fact_id, field] == value
    assert field in rows.loc[fact_id, "inferred"].split()
    assert rows.loc[fact_id, "note"]


def test_every_inferred_row_has_a_note(rows: pd.DataFrame) -> None:
    """A row that lists inferred fields gives their context in its note."""
    assert rows.loc["ihc_reports_2014", "inferred"] == "geography"
    assert rows.loc["ihc_prioritized_public_2014", "inferred"] == "geography year subject_body"
    for fact_id, inferred in rows["inferred"].items():
        if inferred:
            assert rows.loc[fact_id, "note"], fact_id


# --- finding 4: the source cited and the body counted ----------------------------------------

#: Every sentence of the report that cites a source for figures ("According to ...").
CITED_SOURCES = {
    "According to data provided by the Government": ("Government of Japan", {
        "population_total", "population_children_under_18", "population_children_under_5"}),
    "According to statistics provided by the Government of Japan": ("Government of Japan", {
        "victims_girls_2014_fn3", "victims_boys_2014_fn3"}),
    "According to statistics facilitated by the National Police Agency": (
        "National Police Agency", {
            "police_victims_pornography_2010", "police_victims_pornography_2014",
            "police_victims_prostitution_2010", "police_victims_prostitution_2014"}),
    "According to the annual report of statistics on prosecution": (
        "Annual report of statistics on prosecution", {
            "prosecution_cases_received_2013", "prosecution_cases_opened_2013",
            "prosecution_cases_dropped_2013"}),
    "According to the annual report of judicial statistics": (
        "Annual report of judicial statistics", {
            "convictions_first_instance_2010", "convictions_first_instance_2014"}),
    "According to data facilitated by the Supreme Court": ("Supreme Court", {
        "sentences_convictions_2014", "sentences_unsuspended_2014", "sentences_suspended_2014",
        "sentences_probation_2014"}),
}


def test_source_body_is_the_source_the_report_cites(
    extraction: Extraction, rows: pd.DataFrame
) -> None:
    """Finding 4: source_body is the body an "According to ..." sentence cites, else not stated.

    The only other rows with a source are para. 38's girls and boys, whose sentence cites
    none: the paragraph's opening does, and the rows list source_body in inferred.
    """
    sentences = {loc.fact_id: loc.sentence.text for loc in extraction.locations}
    cited = {"police_victims_girls_2014", "police_victims_boys_2014"}
    for words, (body, fact_ids) in CITED_SOURCES.items():
        for fact_id in fact_ids:
            assert sentences[fact_id].startswith(words), fact_id
            assert rows.loc[fact_id, "source_body"] == body
        cited |= fact_ids
    assert set(rows.index[rows["source_body"] != "not stated"]) == cited
    for fact_id in ("police_victims_girls_2014", "police_victims_boys_2014"):
        assert "source_body" in rows.loc[fact_id, "inferred"].split()


@pytest.mark.parametrize(
    ("fact_id", "words", "source_body", "subject_body"),
    [
        ("sia_cases_received", "As at July 2015, the Safer Internet Association had received "
         "and monitored 24,003 cases", "not stated", "Safer Internet Association"),
        ("icsa_members", "The Association has 93 members", "not stated",
         "Internet Content Safety Association"),
        ("ihc_reports_2014", "In 2014, the Internet Hotline Centre received a total of 150,352 "
         "reports", "not stated", "Internet Hotline Centre"),
        ("extraterritorial_referrals_2010_2014", "law enforcement agencies, on the basis of the "
         "principle of extraterritorial jurisdiction, referred four cases", "not stated",
         "Law enforcement agencies"),
        ("police_victims_prostitution_2014", "the number of child victims of prostitution "
         "registered by the police dropped from 741 to 466", "National Police Agency",
         "Police"),
        ("convictions_first_instance_2014", "the number of offenders convicted by a court of "
         "first instance", "Annual report of judicial statistics", "Courts of first instance"),
        ("population_total", "Japan has a population of 127 million", "Government of Japan", ""),
    ],
)
def test_subject_body_is_the_body_counted(
    report: Report, rows: pd.DataFrame, fact_id: str, words: str, source_body: str,
    subject_body: str,
) -> None:
    """Finding 4: subject_body is whose caseload, membership or activity is counted."""
    paragraph = report.paragraph(int(rows.loc[fact_id, "paragraph"])).body_text()
    assert words in paragraph
    assert rows.loc[fact_id, ["source_body", "subject_body"]].tolist() == [source_body,
                                                                          subject_body]


# --- finding 8: one topic per body, one name per counting unit -------------------------------


def test_topics_indicators_and_counting_units(report: Report, rows: pd.DataFrame) -> None:
    """Finding 8, typed from the report.

    Para. 43: "The Association has 93 members" and "75 per cent for service providers and
    100 per cent for network operators" (not "mobile"); para. 56: "the Centre runs ... two
    homes"; para. 45: "4,254 requests for removal", "96 per cent of requests for removal";
    para. 53: "16 of 213 cases of sexual abuse", para. 50: "6.9 per cent of all cases, or 24
    cases".
    """
    assert "100 per cent for network operators" in report.paragraph(43).body_text()
    para43 = rows[rows["paragraph"] == 43]
    assert set(para43["topic"]) == {"internet_content_safety_association"} and len(para43) == 5
    assert "blocking_list" not in set(rows["topic"])
    assert rows.loc["icsa_coverage_network_operators", "indicator"] == (
        "Site-blocking coverage ratio for network operators")
    carillon = rows[rows["subject_body"] == "Carillon Children Centre"]
    assert set(carillon["topic"]) == {"carillon_centre"} and len(carillon) == 4
    assert "carillon_adolescent_homes" in carillon.index
    for fact_id in ("sia_removal_requests", "sia_removal_success_foreign_cam"):
        assert rows.loc[fact_id, "counting_unit"] == "removal requests"
    osaka = rows[rows["offence"] == "sexual abuse"]
    assert set(osaka["counting_unit"]) == {"cases"} and len(osaka) == 5
    assert rows.loc["naha_sexual_abuse_cases_2013", "counting_unit"] == "cases"
    assert "sexual abuse cases" not in set(rows["counting_unit"])
    assert "requests" not in set(rows["counting_unit"])


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


def test_russian_number_words_are_audited(audit: pd.DataFrame) -> None:
    """Number words without digits are audited with a reason: "Тридцать первая сессия"."""
    cover = audit[audit["part"] == "cover"].set_index("token")
    for word in ("Тридцать", "первая"):
        assert cover.loc[word, "status"] == "not_statistic"
        assert cover.loc[word, "category"] == "name_or_ordinal"


def test_almost_a_decade_is_a_figure(
    report: Report, audit: pd.DataFrame, rows: pd.DataFrame
) -> None:
    """Finding 7, one rule for durations: "negotiations that lasted almost a decade" (para. 21).

    Like "nearly double" (para. 7), "one year to dispose of it" (para. 26) and "Within three
    days" (para. 47), a length of time the report gives is a figure.
    """
    row = rows.loc["amendment_negotiations_duration"]
    assert (row["value"], row["unit"], row["qualifier"], row["value_text"], row["paragraph"]) == (
        10, "years", "nearly", "almost a decade", 21)
    decade = _token(audit, "decade", 21)
    assert decade[["status", "fact_id"]].values.tolist() == [
        ["value", "amendment_negotiations_duration"]]
    schedules = audit[audit["category"] == "duration_or_schedule"]
    assert len(schedules) == 5
    for row in schedules.itertuples():  # only opening hours: "24-hour", "24 hours a day"
        after = report.text[int(row.char_end) : int(row.char_end) + 12]
        assert row.token == "24" and (after.startswith("-hour") or after.startswith(" hours a day"))


@pytest.mark.parametrize(
    ("words", "token", "paragraph", "category", "reason"),
    [
        # Finding 7: a year inside a date is a year, not a day of the month.
        ("from 19 to 26 October 2015", "2015", 1, "year", "calendar year"),
        ("from 19 to 26 October 2015", "19", 1, "date", "day of month in a date"),
        ("held in Bali on 2 April 2013", "2013", 69, "year", "calendar year"),
        # Finding 7: the "one" of "first one-stop centre" is part of a name, not an ordinal.
        ("the country’s first one-stop centre", "one", 52, "name_or_ordinal",
         'part of the name of a type of centre ("one-stop")'),
    ],
)
def test_reasons_typed_from_the_report(
    report: Report, audit: pd.DataFrame, words: str, token: str, paragraph: int,
    category: str, reason: str,
) -> None:
    """The reason given for a non-statistic is the right one."""
    assert words in report.paragraph(paragraph).body_text()
    found = audit[(audit["token"] == token) & (audit["paragraph"] == paragraph)
                  & audit["context"].str.contains(re.escape(words))]
    assert found[["category", "reason"]].values.tolist() == [[category, reason]]


def test_procedural_time_limits_are_treated_alike(rows: pd.DataFrame) -> None:
    """Procedural time limits are all recorded as figures.

    "Within three days, the reports were referred" (para. 47) and "one year to dispose of
    it" (para. 26).
    """
    assert (rows.loc["ihc_prioritized_referral_days_2014", ["value", "unit"]].tolist()
            == [3, "days"])
    assert rows.loc["possession_disposal_period", ["value", "unit", "paragraph"]].tolist() == [
        1, "years", 26]
