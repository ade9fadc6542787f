"""Tests of the cross-checks between the report's figures (declared in data/cross_checks.yaml)."""

from __future__ import annotations

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
)


@pytest.fixture(scope="module")
def checks(facts: pd.DataFrame) -> pd.DataFrame:
    """The cross-checks on the real figures."""
    return run_cross_checks(facts).set_index("check_id")


def test_2014_victims_by_offence_equal_by_sex(checks: pd.DataFrame) -> None:
    """746 + 466 = 1,212 = 1,130 + 82: the 2014 totals by offence and by sex agree."""
    row = checks.loc["victims_2014_by_offence_vs_by_sex"]
    assert (row["left_value"], row["right_value"], row["outcome"]) == (746 + 466, 1130 + 82,
                                                                      "holds")


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
    """90, 77 and 42 per cent of 213 cases are whole numbers of cases (ranges by hand).

    Para. 53: "In 90 per cent of cases of sexual abuse", "In 77 per cent, of the cases",
    "in 42 per cent of cases", "in only 16 of 213 cases of sexual abuse".
    """
    assert counts in checks.loc[check_id, "detail"]
    assert checks.loc[check_id, "outcome"] == "consistent"


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

    The scope of 3,844 and the reach of "Some" are ambiguous; 3,844 <= 24,003 holds under
    both readings and stays a check that must hold.
    """
    ambiguous_scope = {"sia_cases_hosted_abroad", "sia_share_child_abuse_material",
                       "sia_share_revenge_porn"}
    for check_id, row in checks.iterrows():
        used = set(row["left_facts"].split(" + ")) | set(row["right_facts"].split(" + "))
        if used & ambiguous_scope and check_id != "sia_hosted_abroad_within_received":
            assert row["expected"] == "informational", check_id


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
