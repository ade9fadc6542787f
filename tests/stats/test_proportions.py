"""Tests for :mod:`analysis.stats.proportions`, each number checked independently.

References: the Wilson, Agresti-Coull and Wald formulas typed by hand, SciPy's
Clopper-Pearson interval (``binomtest(...).proportion_ci(method="exact")``) and
beta quantiles (Jeffreys), the binomial pmf summed by hand for the exact test,
Newcombe's published worked example, and brute-force enumeration with
:mod:`decimal` rounding for the rounding checks.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.stats.proportions import (
    PROPORTION_METHODS,
    ShareBounds,
    composition,
    implied_total,
    percentage_consistency,
    proportion_ci,
    share_bounds,
)

pytestmark = pytest.mark.filterwarnings("error")

PROPERTY = settings(derandomize=True, max_examples=60, deadline=None, database=None)


def _z(conf_level: float) -> float:
    return stats.norm.ppf(1 - (1 - conf_level) / 2)


def _wilson(k: int, n: int, conf_level: float) -> tuple[float, float]:
    z = _z(conf_level)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


# --- proportion_ci --------------------------------------------------------------------


def test_wilson_newcombe_1998_worked_example() -> None:
    """Published example: 81 of 263 has the 95% Wilson interval 0.2553 to 0.3662.

    Source: Newcombe RG (1998), "Two-sided confidence intervals for the single
    proportion: comparison of seven methods", Statistics in Medicine 17:857-872.
    """
    result = proportion_ci(81, 263)
    assert result.estimate == pytest.approx(81 / 263)
    assert result.ci_low == pytest.approx(0.2553, abs=5e-5)
    assert result.ci_high == pytest.approx(0.3662, abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(16, 213), (106, 141), (0, 20), (82, 1212), (5, 5)])
def test_wilson_against_hand_formula(k: int, n: int) -> None:
    """The default method is the Wilson interval, computed here by hand."""
    result = proportion_ci(k, n, conf_level=0.9)
    low, high = _wilson(k, n, 0.9)
    assert result.ci_low == pytest.approx(max(low, 0.0), rel=1e-10, abs=1e-12)
    assert result.ci_high == pytest.approx(min(high, 1.0), rel=1e-10)
    assert result.p_value is None
    assert result.extra["percent"] == pytest.approx(100 * k / n)
    assert "Wilson" in result.method


@pytest.mark.parametrize("method", ["beta", "clopper-pearson", "Clopper-Pearson"])
@pytest.mark.parametrize(("k", "n"), [(16, 213), (0, 10), (10, 10), (1130, 1212)])
def test_clopper_pearson_against_scipy(method: str, k: int, n: int) -> None:
    """'beta' (alias 'clopper-pearson') equals SciPy's exact binomtest interval."""
    result = proportion_ci(k, n, method=method, conf_level=0.99)
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.99, method="exact")
    assert result.ci_low == pytest.approx(expected.low, rel=1e-9, abs=1e-14)
    assert result.ci_high == pytest.approx(expected.high, rel=1e-9)


@pytest.mark.parametrize(("k", "n"), [(16, 213), (0, 10), (10, 10)])
def test_jeffreys_against_beta_quantiles(k: int, n: int) -> None:
    """Jeffreys: Beta(k + 1/2, n - k + 1/2) quantiles, with limits 0/1 at the boundaries."""
    result = proportion_ci(k, n, method="jeffreys")
    low = 0.0 if k == 0 else stats.beta.ppf(0.025, k + 0.5, n - k + 0.5)
    high = 1.0 if k == n else stats.beta.ppf(0.975, k + 0.5, n - k + 0.5)
    assert result.ci_low == pytest.approx(low, rel=1e-9, abs=1e-14)
    assert result.ci_high == pytest.approx(high, rel=1e-9)


def test_agresti_coull_and_normal_against_hand_formulas() -> None:
    """Agresti-Coull: p~ +/- z sqrt(p~(1-p~)/n~); normal: p +/- z sqrt(p(1-p)/n), clipped."""
    k, n, z = 16, 213, _z(0.95)
    n_tilde = n + z**2
    p_tilde = (k + z**2 / 2) / n_tilde
    half = z * math.sqrt(p_tilde * (1 - p_tilde) / n_tilde)
    ac = proportion_ci(k, n, method="agresti_coull")
    assert (ac.ci_low, ac.ci_high) == pytest.approx((p_tilde - half, p_tilde + half), rel=1e-10)
    p = k / n
    half = z * math.sqrt(p * (1 - p) / n)
    wald = proportion_ci(k, n, method="normal")
    assert (wald.ci_low, wald.ci_high) == pytest.approx((p - half, p + half), rel=1e-10)
    assert proportion_ci(1, 3, method="normal").ci_low == 0.0


def test_null_gives_exact_binomial_p_value() -> None:
    """With null=p0 the p-value is the two-sided exact test, summed by hand.

    Two-sided (minimum likelihood): sum of pmf(j) over all j with pmf(j) <= pmf(k).
    """
    k, n, p0 = 16, 213, 0.15
    result = proportion_ci(k, n, null=p0)
    pmf = stats.binom.pmf(np.arange(n + 1), n, p0)
    expected = pmf[pmf <= pmf[k] * (1 + 1e-7)].sum()
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert result.inputs["null"] == p0
    assert "binomtest" in result.method


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((-1, 10), {}, "successes"),
        ((2.5, 10), {}, "successes"),
        ((True, 10), {}, "successes"),
        ((5, 0), {}, "total"),
        ((5, math.nan), {}, "total"),
        ((11, 10), {}, "successes must not exceed total"),
        ((5, 10), {"conf_level": 1.2}, "conf_level"),
        ((5, 10), {"method": "bayes"}, "method"),
        ((5, 10), {"null": 1.5}, "null"),
        ((5, 10), {"null": math.nan}, "null"),
    ],
)
def test_proportion_ci_rejects_bad_input(args: tuple, kwargs: dict, argument: str) -> None:
    """Invalid inputs raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        proportion_ci(*args, **kwargs)


@st.composite
def binomial_data(draw: st.DrawFn) -> tuple[int, int]:
    """A (successes, total) pair with 0 <= successes <= total."""
    total = draw(st.integers(min_value=1, max_value=2000))
    return draw(st.integers(min_value=0, max_value=total)), total


@PROPERTY
@given(binomial_data(), st.sampled_from(PROPORTION_METHODS))
def test_property_proportion_interval_in_unit_range_contains_estimate_and_nests(
    data: tuple[int, int], method: str
) -> None:
    """Limits lie in [0, 1], contain the estimate, and the 99% interval contains the 90% one."""
    k, n = data
    narrow = proportion_ci(k, n, conf_level=0.90, method=method)
    wide = proportion_ci(k, n, conf_level=0.99, method=method)
    assert 0.0 <= wide.ci_low <= narrow.ci_low <= narrow.estimate
    assert narrow.estimate <= narrow.ci_high <= wide.ci_high <= 1.0


# --- composition -----------------------------------------------------------------------


def test_composition_adds_explicit_remainder_for_percentages() -> None:
    """62 + 30 + 5 per cent of illegal content leaves 3 per cent 'not stated'."""
    frame = composition(
        {"obscene expressions": 62, "child abuse material": 30, "revenge porn": 5}, 100
    )
    assert list(frame.columns) == ["component", "value", "share", "is_remainder"]
    assert frame["component"].tolist() == [
        "obscene expressions",
        "child abuse material",
        "revenge porn",
        "not stated",
    ]
    assert frame["value"].tolist() == pytest.approx([62, 30, 5, 3])
    assert frame["share"].tolist() == pytest.approx([0.62, 0.30, 0.05, 0.03])
    assert frame["is_remainder"].tolist() == [False, False, False, True]
    assert frame["share"].sum() == pytest.approx(1.0)
    assert frame.attrs["unit"] == "percent"


def test_composition_counts_complete_without_remainder() -> None:
    """1,130 girls and 82 boys of 1,212 victims: no remainder row."""
    frame = composition({"girls": 1130, "boys": 82}, 1212, unit="count")
    assert frame["is_remainder"].tolist() == [False, False]
    assert frame["share"].tolist() == pytest.approx([1130 / 1212, 82 / 1212])
    assert frame["is_remainder"].dtype == bool


def test_composition_custom_remainder_label_and_tolerance() -> None:
    """A remainder within tolerance is rounding noise; beyond it, a labelled row appears."""
    rounded = composition({"a": 33.3, "b": 33.3, "c": 33.3}, 100, tolerance=0.15)
    assert len(rounded) == 3
    over = composition({"a": 50.05, "b": 50.0}, 100, tolerance=0.1)
    assert len(over) == 2
    short = composition({"a": 40.0}, 100, remainder_label="other", tolerance=0.1)
    assert short["component"].tolist() == ["a", "other"]
    assert short.loc[1, "value"] == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        (({"a": 70, "b": 40}, 100), {}, "parts must not exceed total"),
        (({"a": 70, "b": 30.5}, 100), {"tolerance": 0.1}, "parts must not exceed total"),
        (({}, 100), {}, "parts"),
        (({"a": -1}, 100), {}, "parts\\['a'\\]"),
        (({"a": 1.5}, 10), {"unit": "count"}, "parts\\['a'\\]"),
        (({"a": 1}, 10.5), {"unit": "count"}, "total"),
        (({"a": 1}, 0), {}, "total"),
        (({"a": 1}, 10), {"unit": "ratio"}, "unit"),
        (({"a": 1}, 10), {"tolerance": -1}, "tolerance"),
        (({"not stated": 1}, 10), {}, "remainder_label"),
    ],
)
def test_composition_rejects_bad_input(args: tuple, kwargs: dict, argument: str) -> None:
    """Invalid parts, totals, units, tolerances and labels raise ValueError naming them."""
    with pytest.raises(ValueError, match=argument):
        composition(*args, **kwargs)


# --- percentage_consistency ------------------------------------------------------------------


def _round_half_up(value: Fraction, decimals: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def test_consistency_suspended_sentences() -> None:
    """106 of 141 convictions = 75.177 %: consistent with '75.2' (1 decimal) and '75'."""
    result = percentage_consistency(106, 141, 75.2)
    assert result["decimals"] == 1
    assert result["exact_percent"] == pytest.approx(100 * 106 / 141)
    assert (result["interval_low"], result["interval_high"]) == pytest.approx((75.15, 75.25))
    assert result["consistent"] is True
    assert percentage_consistency(106, 141, 75)["consistent"] is True
    assert percentage_consistency(106, 141, 75.1)["consistent"] is False


def test_consistency_infers_decimals() -> None:
    """62 -> 0 decimals, 86.8 -> 1, '62.0' (string keeps the zero) -> 1, explicit wins."""
    assert percentage_consistency(62, 100, 62)["decimals"] == 0
    assert percentage_consistency(868, 1000, 86.8)["decimals"] == 1
    assert percentage_consistency(62, 100, "62.0")["decimals"] == 1
    assert percentage_consistency(62, 100, 62, decimals=2)["decimals"] == 2


def test_consistency_boundaries_are_exact_and_half_open() -> None:
    """1/16 = 6.25 % exactly: it rounds (half up) to 6.3, not 6.2; 1/8 = 12.5 % -> 13."""
    assert percentage_consistency(1, 16, 6.3)["consistent"] is True
    assert percentage_consistency(1, 16, 6.2)["consistent"] is False
    assert percentage_consistency(1, 8, 13)["consistent"] is True
    assert percentage_consistency(1, 8, 12)["consistent"] is False


@PROPERTY
@given(binomial_data(), st.integers(min_value=0, max_value=3), st.integers(-3, 3))
def test_property_consistency_matches_decimal_rounding(
    data: tuple[int, int], decimals: int, offset: int
) -> None:
    """The result is consistent exactly when count/total rounds (half up) to the reported value."""
    k, n = data
    rounded = _round_half_up(Fraction(100 * k, n), decimals)
    reported = rounded + offset * Decimal(1).scaleb(-decimals)
    assume(0 <= reported <= 100)
    result = percentage_consistency(k, n, str(reported), decimals=decimals)
    assert result["consistent"] is (offset == 0)


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((-1, 10, 5), {}, "count"),
        ((11, 10, 5), {}, "count must not exceed total"),
        ((1, 0, 5), {}, "total"),
        ((1, 10, 101), {}, "reported_percent"),
        ((1, 10, -1), {}, "reported_percent"),
        ((1, 10, math.nan), {}, "reported_percent"),
        ((1, 10, "ten"), {}, "reported_percent"),
        ((1, 10, 10), {"decimals": -1}, "decimals"),
        ((1, 10, 10), {"decimals": 1.5}, "decimals"),
    ],
)
def test_percentage_consistency_rejects_bad_input(args: tuple, kwargs: dict, argument: str) -> None:
    """Invalid inputs raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        percentage_consistency(*args, **kwargs)


# --- implied_total ---------------------------------------------------------------------------


def _brute_force_totals(count: int, reported: str, decimals: int, limit: int) -> list[int]:
    target = Decimal(reported)
    return [
        total
        for total in range(max(count, 1), limit)
        if _round_half_up(Fraction(100 * count, total), decimals) == target
    ]


def test_implied_total_child_sexual_abuse_cases_okinawa() -> None:
    """'6.9 per cent of all cases, or 24 cases' (para. 50): totals by brute force."""
    result = implied_total(24, 6.9)
    totals = _brute_force_totals(24, "6.9", 1, 2000)
    assert (result["min_total"], result["max_total"]) == (min(totals), max(totals))
    assert result["n_totals"] == len(totals) == max(totals) - min(totals) + 1
    assert result["point_total"] == pytest.approx(24 / 0.069)
    assert result["decimals"] == 1


def test_implied_total_without_any_whole_total() -> None:
    """No whole total makes 1 case 40 per cent (rounded to a whole per cent)."""
    empty = implied_total(1, 40)
    assert _brute_force_totals(1, "40", 0, 100) == []
    assert (empty["min_total"], empty["max_total"], empty["n_totals"]) == (None, None, 0)


def test_decimals_fewer_than_printed_are_rejected() -> None:
    """A report cannot print 86.8 with 0 decimals; '62.0' with 0 decimals is fine."""
    with pytest.raises(ValueError, match="decimals must be at least 1"):
        implied_total(1, 86.8, decimals=0)
    with pytest.raises(ValueError, match="decimals must be at least 1"):
        percentage_consistency(868, 1000, "86.8", decimals=0)
    assert percentage_consistency(62, 100, "62.0", decimals=0)["consistent"] is True


@PROPERTY
@given(
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=3000),
    st.integers(min_value=0, max_value=2),
)
def test_property_implied_total_matches_brute_force(count: int, extra: int, decimals: int) -> None:
    """For a total rounded the report's way, implied_total brackets exactly the brute-force set."""
    total = count + extra
    reported = _round_half_up(Fraction(100 * count, total), decimals)
    assume(reported > Decimal(1).scaleb(-decimals))  # keep the set of totals bounded
    result = implied_total(count, str(reported), decimals=decimals)
    assert result["min_total"] <= total <= result["max_total"]
    limit = result["max_total"] + 50
    totals = _brute_force_totals(count, str(reported), decimals, limit)
    assert totals == list(range(result["min_total"], result["max_total"] + 1))


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((0, 6.9), {}, "count"),
        ((2.5, 6.9), {}, "count"),
        ((24, 0), {}, "reported_percent"),
        ((24, 100.5), {}, "reported_percent"),
        ((24, "6,9"), {}, "reported_percent"),
        ((24, 6.9), {"decimals": -2}, "decimals"),
    ],
)
def test_implied_total_rejects_bad_input(args: tuple, kwargs: dict, argument: str) -> None:
    """Invalid inputs raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        implied_total(*args, **kwargs)


def test_composition_returns_a_dataframe() -> None:
    """The composition is a pandas DataFrame with a default RangeIndex."""
    frame = composition({"a": 1}, 4, unit="count")
    assert isinstance(frame, pd.DataFrame)
    assert frame.index.tolist() == [0, 1]


def test_share_bounds_of_the_2013_prosecution_outcomes() -> None:
    """The bounds of the share opened for prosecution in 2013 (para. 41).

    1,391 opened and 567 dropped of 2,331 (para. 41): bounds 1,391/2,331 and (2,331 -
    567)/2,331, the share among stated outcomes 1,391/1,958 in between; each with scipy's
    Clopper-Pearson interval.
    """
    bounds = share_bounds(1391, 567, 2331, method="beta")
    assert isinstance(bounds, ShareBounds) and bounds.unstated == 373
    for estimate, (k, n) in zip(bounds.estimates(), ((1391, 2331), (1764, 2331), (1391, 1958)),
                                strict=True):
        low, high = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        assert estimate.estimate == pytest.approx(k / n)
        assert (estimate.ci_low, estimate.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert bounds.lower.estimate < bounds.among_stated.estimate < bounds.upper.estimate
    assert len(ShareBounds.LABELS) == 3 and "not a bound" in ShareBounds.LABELS[2]
    with pytest.raises(ValueError, match="part \\+ other must not exceed total"):
        share_bounds(2000, 567, 2331)
