"""Tests of the cross-checks between the report's figures."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dataset.cross_checks import (
    CROSS_CHECKS,
    CrossCheck,
    CrossCheckError,
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


def test_conviction_sources_differ(checks: pd.DataFrame) -> None:
    """The report's two 2014 conviction figures (143 and 141) differ: reported, not fixed."""
    row = checks.loc["convictions_2014_judicial_vs_supreme_court"]
    assert (row["left_value"], row["right_value"], row["outcome"]) == (143, 141, "differs")


def test_naha_implied_total(checks: pd.DataFrame) -> None:
    """24 cases at 6.9 % (printed to 1 decimal) imply a total of 346-350 cases.

    By hand: 24 / 0.0695 = 345.3 and 24 / 0.0685 = 350.4, so whole totals 346..350.
    """
    assert "346-350" in checks.loc["naha_sexual_abuse_implied_total_2013", "detail"]


def test_removal_requests_exceed_illegal_cases(checks: pd.DataFrame) -> None:
    """4,254 removal requests exceed 4,079 illegal cases by 175 (informational)."""
    row = checks.loc["sia_removal_requests_vs_illegal"]
    assert row["outcome"] == "fails" and row["expected"] == "informational"
    assert row["difference"] == 4079 - 4254


def test_failing_must_hold_check_raises(facts: pd.DataFrame) -> None:
    """If a figure changes so that a part exceeds its whole, the pipeline raises."""
    edited = facts.copy()
    edited.loc[edited["fact_id"] == "sentences_probation_2014", "value"] = 107
    with pytest.raises(CrossCheckError, match="probation_within_suspended_2014"):
        run_cross_checks(edited)


def test_vanished_discrepancy_raises(facts: pd.DataFrame) -> None:
    """If the known 143 vs 141 discrepancy disappeared, the pipeline raises too."""
    edited = facts.copy()
    edited.loc[edited["fact_id"] == "convictions_first_instance_2014", "value"] = 141
    with pytest.raises(CrossCheckError, match="expected it to discrepancy"):
        run_cross_checks(edited)


def test_unknown_fact_in_check_is_named(facts: pd.DataFrame) -> None:
    """A check that names a missing fact raises KeyError naming it."""
    bad = (CrossCheck("x", "equal", "d", ("nope",), ("sia_cases_illegal",), "holds"),)
    with pytest.raises(KeyError, match="nope"):
        run_cross_checks(facts, bad)


def test_all_checks_use_known_kinds() -> None:
    """Every declared check has a known kind and expectation."""
    kinds = {"equal", "part_of_whole", "shares_within_100", "implied_total", "same_quantity"}
    for check in CROSS_CHECKS:
        assert check.kind in kinds and check.expected in {"holds", "discrepancy",
                                                          "informational"}
