"""Tests of the claims table: spec validation and verdicts on tiny inline tables."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as sps

from analysis.claims import Claim, ClaimSpecError, evaluate_claim, evaluate_claims, load_claims


def _table(values: dict[str, float], unit: str = "count") -> pd.DataFrame:
    return pd.DataFrame({"fact_id": list(values), "value": list(values.values()),
                         "unit": [unit] * len(values)})


def test_change_claim_matches_exact_conditional_by_hand() -> None:
    """A decrease 200 -> 120: ratio 0.6, CI = Clopper-Pearson of 120/320 mapped to p/(1-p)."""
    claim = Claim("c", 1, "fell", "change", ("a", "b"), direction="decrease")
    row = evaluate_claim(claim, _table({"a": 200, "b": 120}))
    low, high = sps.binomtest(120, 320).proportion_ci(0.95, method="exact")
    assert row["estimate"] == pytest.approx(0.6)
    assert row["ci_low"] == pytest.approx(low / (1 - low), rel=1e-6)
    assert row["ci_high"] == pytest.approx(high / (1 - high), rel=1e-6)
    assert row["verdict"] == "supported"


def test_change_in_wrong_direction_is_not_supported() -> None:
    """A claimed increase when the counts fell clearly is not supported."""
    claim = Claim("c", 1, "rose", "change", ("a", "b"), direction="increase")
    row = evaluate_claim(claim, _table({"a": 200, "b": 120}))
    assert row["verdict"] == "not supported" and "other side" in row["verdict_reason"]


def test_small_change_is_not_shown() -> None:
    """10 -> 12 is within Poisson noise: not supported, the interval includes 1."""
    claim = Claim("c", 1, "rose", "change", ("a", "b"), direction="increase")
    row = evaluate_claim(claim, _table({"a": 10, "b": 12}))
    assert row["verdict"] == "not supported" and "includes 1" in row["verdict_reason"]


def test_proportion_claim_wilson_by_hand() -> None:
    """16 of 213 against 'fewer than a quarter': Wilson interval computed by hand."""
    claim = Claim("p", 53, "rare", "proportion", ("x", "n"), direction="below",
                  threshold=0.25, total="second")
    row = evaluate_claim(claim, _table({"x": 16, "n": 213}))
    z = sps.norm.ppf(0.975)
    n, p = 213, 16 / 213
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((centre - half, centre + half))
    assert row["p_value"] == pytest.approx(sps.binomtest(16, 213, 0.25).pvalue)
    assert row["verdict"] == "supported"


def test_proportion_sum_total() -> None:
    """total: sum divides the first count by the sum of both (girls / (girls + boys))."""
    claim = Claim("g", 38, "girls", "proportion", ("g", "b"), direction="above",
                  threshold=0.5, total="sum")
    row = evaluate_claim(claim, _table({"g": 1130, "b": 82}))
    assert row["estimate"] == pytest.approx(1130 / 1212)


def test_not_testable_reports_the_figure_as_a_fraction() -> None:
    """A not-testable percentage is shown as a fraction, with no interval."""
    claim = Claim("n", 45, "96 %", "not_testable", ("s",), reason="no denominator")
    row = evaluate_claim(claim, _table({"s": 96}, unit="percent"))
    assert row["estimate"] == pytest.approx(0.96) and row["metric"] == "reported share"
    assert math.isnan(row["ci_low"]) and row["verdict"] == "not testable"


def test_real_claims_table(facts: pd.DataFrame) -> None:
    """On the real figures every claim gets a verdict; 'new high' is not testable."""
    table = evaluate_claims(facts.assign(value=facts["value"].astype(float)))
    assert set(table["verdict"]) <= {"supported", "not supported", "not testable"}
    verdicts = table.set_index("claim_id")["verdict"]
    assert verdicts["new_high_2014"] == "not testable"
    assert verdicts["prostitution_victims_decreased"] == "supported"


def test_conf_level_changes_intervals(facts: pd.DataFrame) -> None:
    """A 90 % level gives narrower intervals than 95 %."""
    stats = facts.assign(value=facts["value"].astype(float))
    wide = evaluate_claims(stats, conf_level=0.95).set_index("claim_id")
    narrow = evaluate_claims(stats, conf_level=0.90).set_index("claim_id")
    row = "convictions_decreased"
    assert narrow.loc[row, "ci_low"] > wide.loc[row, "ci_low"]
    assert narrow.loc[row, "ci_high"] < wide.loc[row, "ci_high"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("kind: change\n    direction: sideways\n    facts: [a, b]", "direction"),
        ("kind: change\n    direction: increase\n    facts: [a]", "needs 2 facts"),
        ("kind: not_testable\n    facts: [a]", "needs a reason"),
        ("kind: guess\n    facts: [a]", "kind must be one of"),
        ("kind: proportion\n    direction: above\n    facts: [a, b]\n    total: sum\n"
         "    threshold: 2", "threshold"),
    ],
)
def test_bad_claims_file(tmp_path: Path, entry: str, message: str) -> None:
    """Malformed claims are refused, naming the claim."""
    path = tmp_path / "claims.yaml"
    header = "claims:\n  - claim_id: broken\n    paragraph: 1\n    claim: words\n    "
    path.write_text(header + entry + "\n", encoding="utf-8")
    with pytest.raises(ClaimSpecError, match=rf"'broken'.*{message}"):
        load_claims(path)
