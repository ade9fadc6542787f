"""Tests of the cross-checks between the report's figures (declared in data/cross_checks.yaml)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.dataset.cross_checks import (
    CrossCheck,
    CrossCheckError,
    CrossCheckSpecError,
    load_cross_checks,
    run_cross_checks,
    verify_report_words,
)


@pytest.fixture(scope="module")
def checks(facts: pd.DataFrame) -> pd.DataFrame:
    """The cross-checks on the real figures."""
    return run_cross_checks(facts).set_index("check_id")


def test_2014_victims_by_offence_and_by_sex_agree_without_being_enforced(
    checks: pd.DataFrame,
) -> None:
    """746 + 466 = 1,212 = 1,130 + 82: the totals agree, but nothing makes them equal.

    Para. 38 gives "increased from 614 to 746", "dropped from 741 to 466" and "girls
    (1,130, as against 82 boys in 2014)", never that the two offences cover all child victims
    of sexual exploitation or that no child is counted under both: informational.
    """
    row = checks.loc["victims_2014_by_offence_vs_by_sex"]
    assert (row["left_value"], row["right_value"]) == (746 + 466, 1130 + 82)
    assert (row["expected"], row["outcome"], row["report_words"]) == ("informational",
                                                                      "agrees", "")


def test_prosecution_remainder(checks: pd.DataFrame) -> None:
    """2013: 2,331 received - 1,391 opened - 567 dropped leaves 373 not stated."""
    row = checks.loc["prosecution_2013_disposed_within_received"]
    assert row["difference"] == 2331 - 1391 - 567


def test_sentences_remainder(checks: pd.DataFrame) -> None:
    """2014: 141 convictions - 30 unsuspended - 106 suspended leaves 5 not stated."""
    assert checks.loc["sentences_2014_within_convictions", "difference"] == 5


def test_conviction_series_are_compared_not_equated(checks: pd.DataFrame) -> None:
    """143 offenders vs 141 convictions: different quantities, compared, not equated.

    Judicial statistics count offenders convicted at first instance, Supreme Court data
    count convictions for violations of the Act (para. 41).
    """
    row = checks.loc["convictions_2014_judicial_vs_supreme_court"]
    assert (row["kind"], row["expected"]) == ("comparison", "informational")
    assert (row["left_value"], row["right_value"], row["outcome"]) == (143, 141, "differs")


def test_okinawa_vs_national_is_a_comparison(checks: pd.DataFrame) -> None:
    """37.5 per cent (Okinawa, 2012) vs 16 per cent (national, current): two places."""
    row = checks.loc["okinawa_child_poverty_vs_national"]
    assert (row["kind"], row["outcome"], row["difference"]) == ("comparison", "differs", -21.5)


def test_naha_implied_total(checks: pd.DataFrame) -> None:
    """24 cases at 6.9 % (printed to 1 decimal) imply a total of 346-350 cases.

    By hand: 24 / 0.0695 = 345.3 and 24 / 0.0685 = 350.4, so whole totals 346..350.
    """
    row = checks.loc["naha_sexual_abuse_implied_total_2013"]
    assert "346-350" in row["detail"] and row["outcome"] == "consistent"


@pytest.mark.parametrize(
    ("check_id", "counts"),
    [
        # 213 x 0.895 = 190.6 and 213 x 0.905 = 192.8 -> 191..192
        ("osaka_abuse_share_minor_victims_count", "191-192"),
        # 213 x 0.765 = 162.9 and 213 x 0.775 = 165.1 -> 163..165
        ("osaka_abuse_share_family_perpetrator_count", "163-165"),
        # 213 x 0.415 = 88.4 and 213 x 0.425 = 90.5 -> 89..90
        ("osaka_abuse_share_lasting_1_4_years_count", "89-90"),
    ],
)
def test_osaka_shares_are_whole_counts_of_213(
    checks: pd.DataFrame, check_id: str, counts: str
) -> None:
    """90, 77 and 42 per cent of 213 cases: the whole counts that fit (ranges by hand).

    Para. 53: "In 90 per cent of cases of sexual abuse", "In 77 per cent, of the cases",
    "in 42 per cent of cases", "in only 16 of 213 cases of sexual abuse". Nothing says the
    213 are the shares' base, so the counts are reported, not enforced.
    """
    assert counts in checks.loc[check_id, "detail"]
    assert (checks.loc[check_id, "expected"], checks.loc[check_id, "outcome"]) == (
        "informational", "note")


def test_hosted_abroad_must_be_within_received(checks: pd.DataFrame) -> None:
    """3,844 <= 24,003 holds under both readings, so it must hold.

    Para. 45: "24,003 cases, 4,079 of which were found to be illegal and 3,844 were hosted
    on websites outside Japan".
    """
    row = checks.loc["sia_hosted_abroad_within_received"]
    assert (row["expected"], row["outcome"], row["difference"]) == ("holds", "holds",
                                                                    24003 - 3844)


def test_hosted_abroad_within_illegal_is_informational(checks: pd.DataFrame) -> None:
    """3,844 within 4,079 depends on the ambiguous reading: reported as a note."""
    row = checks.loc["sia_hosted_abroad_within_illegal"]
    assert (row["expected"], row["outcome"]) == ("informational", "note")


def test_content_shares_are_summed_not_bounded(checks: pd.DataFrame) -> None:
    """'Some 62 per cent ..., 30 per cent ... and 5 per cent': categories may overlap."""
    row = checks.loc["sia_content_shares_sum"]
    assert (row["kind"], row["outcome"], row["left_value"]) == ("shares_sum", "note", 97)


def test_removal_requests_exceed_illegal_cases(checks: pd.DataFrame) -> None:
    """4,254 removal requests exceed 4,079 illegal cases by 175: reported as 'differs'."""
    row = checks.loc["sia_removal_requests_vs_illegal"]
    assert row["outcome"] == "differs" and row["expected"] == "informational"
    assert row["difference"] == 4079 - 4254


def test_informational_checks_never_fail(checks: pd.DataFrame) -> None:
    """An informational check reports agrees, differs or note, never fails."""
    informational = checks[checks["expected"] == "informational"]
    assert len(informational) >= 5
    assert set(informational["outcome"]) <= {"agrees", "differs", "note"}


def test_checks_on_ambiguous_rows_are_informational(
    checks: pd.DataFrame, facts: pd.DataFrame
) -> None:
    """A check that depends on an ambiguous reading is informational.

    Unless it holds under both readings and its why says so: 3,844 <= 24,003 (para. 45) and
    9 + 53 <= 100 (para. 53, "Approximately" governing 53 or not).
    """
    ambiguous = set(facts.loc[facts["reading"] == "ambiguous", "fact_id"])
    assert len(ambiguous) == 7
    both = set()
    for check_id, row in checks.iterrows():
        used = set(re.findall(r"[a-z][a-z0-9_]*", f"{row['left_facts']} {row['right_facts']}"))
        if used & ambiguous and row["expected"] != "informational":
            assert "both readings" in row["why"], check_id
            both.add(check_id)
    assert both == {"sia_hosted_abroad_within_received", "osaka_medical_files_within_visits",
                    "osaka_age_shares_within_100"}


# --- finding 6: cross-checks grounded in the text -----------------------------------------


def test_every_check_that_must_hold_quotes_the_report(checks: pd.DataFrame) -> None:
    """Each expected-to-hold check names the report's words; informational ones none.

    The quotes are found in the raw text here, independently of the build.
    """
    folded = " ".join(paths.RAW_REPORT.read_text(encoding="utf-8").split())
    for check_id, row in checks.iterrows():
        quotes = [q for q in row["report_words"].split(" | ") if q]
        assert bool(quotes) == (row["expected"] != "informational"), check_id
        for quote in quotes:
            assert quote in folded, (check_id, quote)


@pytest.mark.parametrize(
    ("check_id", "words"),
    [
        ("sia_illegal_within_received", "24,003 cases, 4,079 of which were found to be illegal"),
        ("probation_within_suspended_2014", "including 13 cases on probation"),
        ("osaka_arrests_within_abuse_cases", "arrested in only 16 of 213 cases of sexual abuse"),
        ("population_children_within_total", "127 million, of which 20,310,400 are children"),
    ],
)
def test_must_hold_checks_name_their_words(checks: pd.DataFrame, check_id: str,
                                           words: str) -> None:
    """The words that make each relation necessary, typed from the report."""
    assert checks.loc[check_id, "expected"] == "holds"
    assert words in checks.loc[check_id, "report_words"]


def _rounding_can_fail(kind: str, count: float, decimals: int) -> bool:
    """Whether any printed percentage (0-100 at these decimals) leaves no whole number fitting.

    Computed from the closed form of the rounding interval, not with the module's code.
    """
    step = 10 ** -decimals
    for index in range(1, round(100 / step) + 1):
        percent = index * step
        low, high = percent - step / 2, percent + step / 2
        if kind == "rounding_consistent_count":  # counts consistent with percent of `count`
            lo, hi = count * low / 100, count * high / 100
        else:  # implied_total: totals consistent with `count` being percent of them
            lo, hi = count / (high / 100), count / (low / 100)
        if math.floor(hi) < math.ceil(lo):
            return True
    return False


def test_checks_that_cannot_fail_say_so(checks: pd.DataFrame) -> None:
    """Finding 6: 90, 77, 42 per cent of 213 always fit a whole count; Naha's check can fail.

    Any whole percentage of 213 spans 2.13 cases of rounding, so some whole count always
    fits: those checks cannot fail and their why says so. With 24 cases, a share printed to
    one decimal can fit no whole total (16.5 per cent is the first), so the Naha check can.
    """
    rounding = checks[checks["kind"].isin({"rounding_consistent_count", "implied_total"})]
    assert len(rounding) == 4
    for check_id, row in rounding.iterrows():
        count = row["right_value"] if row["kind"] == "rounding_consistent_count" else (
            row["left_value"])
        percent = row["left_value"] if row["kind"] == "rounding_consistent_count" else (
            row["right_value"])
        decimals = len(f"{percent:g}".split(".")[1]) if "." in f"{percent:g}" else 0
        can_fail = _rounding_can_fail(row["kind"], count, decimals)
        assert ("cannot fail" in row["why"]) is (not can_fail), check_id
    assert not _rounding_can_fail("rounding_consistent_count", 213, 0)
    assert _rounding_can_fail("implied_total", 24, 1)


def test_shares_of_para45_cannot_be_shares_of_the_cases(checks: pd.DataFrame) -> None:
    """The missing relation of para. 45: 30 % child abuse material, 86.8 % of it abroad.

    By hand: 24,003 x 0.30 = 7,200.9 cases of child abuse material (more than the 4,079
    illegal cases), and 7,200.9 x 0.868 = 6,250.4 on foreign websites (more than the 3,844
    hosted abroad). So the shares' base is not the cases received; the report never says
    what it is.
    """
    abroad = checks.loc["sia_child_abuse_abroad_vs_hosted_abroad"]
    assert (abroad["kind"], abroad["expected"], abroad["outcome"]) == (
        "implied_count", "informational", "differs")
    assert abroad["left_value"] == pytest.approx(24003 * 0.30 * 0.868)
    assert abroad["right_value"] == 3844
    illegal = checks.loc["sia_child_abuse_share_of_received_vs_illegal"]
    assert illegal["left_value"] == pytest.approx(7200.9)
    assert illegal["difference"] == pytest.approx(4079 - 7200.9)


def test_a_must_hold_check_without_words_is_refused(tmp_path: Path) -> None:
    """A check expected to hold must quote the report; an informational one must not."""
    with pytest.raises(CrossCheckSpecError, match="report_words"):
        load_cross_checks(_yaml_with(tmp_path, {"report_words": []}))
    document = yaml.safe_load(paths.CROSS_CHECKS_SPEC.read_text(encoding="utf-8"))
    document["checks"][1]["report_words"] = ["1,212"]
    path = tmp_path / "informational.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(CrossCheckSpecError, match="victims_2014_by_offence_vs_by_sex"):
        load_cross_checks(path)


def test_quoted_words_must_be_the_reports() -> None:
    """A quote the report does not contain stops the build, naming the check."""
    good = load_cross_checks()
    verify_report_words(good, paths.RAW_REPORT.read_text(encoding="utf-8"))
    changed = paths.RAW_REPORT.read_text(encoding="utf-8").replace("including 13 cases",
                                                                   "including 14 cases")
    with pytest.raises(CrossCheckSpecError, match="probation_within_suspended_2014"):
        verify_report_words(good, changed)


def test_failing_must_hold_check_raises(facts: pd.DataFrame) -> None:
    """If a figure changes so that a part exceeds its whole, the build raises."""
    edited = facts.copy()
    edited.loc[edited["fact_id"] == "sentences_probation_2014", "value"] = 107
    with pytest.raises(CrossCheckError, match="probation_within_suspended_2014"):
        run_cross_checks(edited)


def test_informational_check_does_not_raise_on_change(facts: pd.DataFrame) -> None:
    """Changing a figure of an informational comparison changes its outcome, not the build."""
    edited = facts.copy()
    edited.loc[edited["fact_id"] == "convictions_first_instance_2014", "value"] = 141
    row = run_cross_checks(edited).set_index("check_id").loc[
        "convictions_2014_judicial_vs_supreme_court"]
    assert row["outcome"] == "agrees"


def test_unknown_fact_in_evaluation_is_named(facts: pd.DataFrame) -> None:
    """A check that names a missing fact raises KeyError naming it."""
    bad = (CrossCheck("x", "equal", "d", ("nope",), ("sia_cases_illegal",), "holds"),)
    with pytest.raises(KeyError, match="nope"):
        run_cross_checks(facts, bad)


def _yaml_with(tmp_path: Path, change: dict) -> Path:
    document = yaml.safe_load(paths.CROSS_CHECKS_SPEC.read_text(encoding="utf-8"))
    document["checks"][0].update(change)
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_unknown_fact_in_yaml_names_check_and_field(tmp_path: Path, facts: pd.DataFrame) -> None:
    """A declared check naming an unknown fact: error naming the check and the field."""
    path = _yaml_with(tmp_path, {"right": ["police_victims_girls_2014", "ghost_fact"]})
    expected = (r"victims_2014_girls_boys_fn3_vs_para38'?, field 'right': "
                r"unknown fact\(s\) \['ghost_fact'\]")
    with pytest.raises(CrossCheckSpecError, match=expected):
        load_cross_checks(path, fact_ids=list(facts["fact_id"]))


def test_unknown_kind_in_yaml_is_named(tmp_path: Path) -> None:
    """A misspelt kind is refused, naming the field."""
    with pytest.raises(CrossCheckSpecError, match="field 'kind'"):
        load_cross_checks(_yaml_with(tmp_path, {"kind": "same_quantity"}))


def test_every_check_says_why() -> None:
    """Every declared check carries its reason."""
    for check in load_cross_checks():
        assert len(check.why) > 20, check.check_id
