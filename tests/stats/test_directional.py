"""Tests of the one-sided exact tests, their intervals and sensitivity (analysis.stats.directional).

Reference values come from scipy's exact binomial test and interval, log-sum-exp of scipy's
binomial pmf, numerical integration of the Beta posterior, Holm's procedure by hand and the
report's own counts.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special
from scipy import stats as sps

from analysis.stats.directional import (
    binomial_direction,
    dispersion_flip,
    holm,
    intersection_union,
    log_tail,
    rate_direction,
)
from analysis.stats.estimates import estimates_summary
from analysis.stats.proportions import proportion_ci
from analysis.stats.pvalues import format_p
from analysis.stats.rates import compare_poisson_counts, rate_per_population
from analysis.stats.tables import rate_ratios_by_group
from analysis.stats.trends import compare_trends

_ALTERNATIVE = {"above": "greater", "below": "less"}


@pytest.mark.parametrize(("x", "n", "p0", "side"), [
    (466, 1207, 0.5, "below"), (746, 1360, 0.5, "above"), (1130, 1212, 0.8, "above"),
    (16, 213, 0.25, "below"), (0, 10, 0.3, "above"), (10, 10, 0.3, "below"),
])
def test_one_sided_p_matches_scipy(x: int, n: int, p0: float, side: str) -> None:
    """At dispersion 1 the p-value is scipy's one-sided exact binomial test."""
    expected = sps.binomtest(x, n, p0, alternative=_ALTERNATIVE[side]).pvalue
    assert math.exp(log_tail(x, n, p0, side)) == pytest.approx(expected, rel=1e-9)


def test_far_tail_log_p_against_log_sum_exp() -> None:
    """3,844 of 4,079 against 1/2: p ~ 1e-839 underflows; its log matches log-sum-exp."""
    expected = special.logsumexp(sps.binom.logpmf(np.arange(3844, 4080), 4079, 0.5))
    assert log_tail(3844, 4079, 0.5, "above") == pytest.approx(expected, rel=1e-10)
    expected_low = special.logsumexp(sps.binom.logpmf(np.arange(0, 11), 4079, 0.5))
    assert log_tail(10, 4079, 0.5, "below") == pytest.approx(expected_low, rel=1e-10)


def test_interval_is_scipy_clopper_pearson() -> None:
    """16 of 213: the interval is scipy's exact (Clopper-Pearson) interval."""
    test = binomial_direction(16, 213, 0.25, "below")
    low, high = sps.binomtest(16, 213).proportion_ci(0.95, method="exact")
    assert (test.ci_low, test.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert test.verdict == "supported"


def test_rate_ratio_interval_maps_the_conditional_interval() -> None:
    """741 -> 466: RR 0.629; limits are p/(1-p) of the Clopper-Pearson limits of 466/1207."""
    test = rate_direction(741, 466, "below")
    low, high = sps.binomtest(466, 1207).proportion_ci(0.95, method="exact")
    assert test.estimate == pytest.approx(466 / 741)
    assert (test.ci_low, test.ci_high) == pytest.approx((low / (1 - low), high / (1 - high)))


def test_dispersion_divides_counts() -> None:
    """At phi = 2, 16 of 212 behaves as 8 of 106 (integer effective counts: scipy applies)."""
    test = binomial_direction(16, 212, 0.25, "below", dispersion=2.0)
    expected = sps.binomtest(8, 106, 0.25, alternative="less").pvalue
    low, high = sps.binomtest(8, 106).proportion_ci(0.95, method="exact")
    assert test.p_value == pytest.approx(expected, rel=1e-9)
    assert (test.ci_low, test.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert test.estimate == pytest.approx(16 / 212)


def test_intersection_union_p_is_the_larger_one_sided_p() -> None:
    """Victims 741 -> 466 (down) and 614 -> 746 (up): p = max of scipy's one-sided tests."""
    down = sps.binomtest(466, 1207, 0.5, alternative="less").pvalue
    up = sps.binomtest(746, 1360, 0.5, alternative="greater").pvalue
    joint = intersection_union([rate_direction(741, 466, "below"),
                                rate_direction(614, 746, "above")])
    assert joint.p_value == pytest.approx(max(down, up), rel=1e-9)
    assert joint.estimate == pytest.approx(746 / 614)
    assert joint.verdict == "supported"


def test_intersection_union_not_supported_when_both_fall() -> None:
    """Both series falling at different speeds is not "opposite directions"."""
    joint = intersection_union([rate_direction(741, 466, "below"),
                                rate_direction(746, 700, "above")])
    assert joint.verdict in {"inconclusive", "contradicted"}
    assert joint.p_value > 0.5


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 3000),
    frac=st.floats(0, 1),
    threshold=st.floats(0.01, 0.99),
    side=st.sampled_from(["above", "below"]),
    phi=st.floats(1, 20),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_verdict_agrees_with_p_value_and_interval(
    n: int, frac: float, threshold: float, side: str, phi: float, level: float
) -> None:
    """Supported <=> p < alpha/2 <=> interval wholly on the claimed side (and symmetric)."""
    x = round(frac * n)
    test = binomial_direction(x, n, threshold, side, conf_level=level, dispersion=phi)
    cut = (1 - level) / 2
    on_side = test.ci_low > threshold if side == "above" else test.ci_high < threshold
    other_side = test.ci_high < threshold if side == "above" else test.ci_low > threshold
    margin = 1e-9
    if abs(test.ci_low - threshold) > margin and abs(test.ci_high - threshold) > margin:
        assert (test.verdict == "supported") == on_side
        assert (test.verdict == "contradicted") == other_side
        assert (test.p_value < cut) == on_side
    assert test.ci_low <= x / n <= test.ci_high


@settings(max_examples=100, deadline=None)
@given(c1=st.integers(0, 2000), c2=st.integers(0, 2000), side=st.sampled_from(["above", "below"]))
def test_rate_p_matches_scipy_sweep(c1: int, c2: int, side: str) -> None:
    """The conditional test at dispersion 1 is scipy's one-sided exact binomial test."""
    if c1 + c2 == 0:
        return
    expected = sps.binomtest(c2, c1 + c2, 0.5, alternative=_ALTERNATIVE[side]).pvalue
    test = rate_direction(c1, c2, side)
    assert test.p_value == pytest.approx(expected, rel=1e-7, abs=1e-300)


@pytest.mark.parametrize(("earlier", "later", "side"), [
    (614, 746, "above"), (741, 466, "below"), (324, 143, "below"), (100, 60, "above"),
])
def test_dispersion_flip_changes_the_verdict_there(earlier: int, later: int, side: str) -> None:
    """The verdict just below the flip point is the Poisson one; just above it differs."""
    def verdict(phi: float) -> str:
        return rate_direction(earlier, later, side, dispersion=phi).verdict

    flip = dispersion_flip(verdict, earlier + later)
    assert flip is not None
    assert verdict(flip * (1 - 1e-6)) == verdict(1.0)
    assert verdict(flip * (1 + 1e-6)) != verdict(1.0)


def test_dispersion_flip_none_when_inconclusive() -> None:
    """10 -> 12 is inconclusive at phi = 1 and stays so: no flip."""
    assert dispersion_flip(lambda p: rate_direction(10, 12, "above", dispersion=p).verdict,
                           22) is None


def test_dispersion_flip_of_increase_near_normal_approximation() -> None:
    """614 -> 746: z ~ 3.55 one-sided; the flip is close to (z / 1.96)^2 (normal theory)."""
    z = sps.norm.isf(sps.binomtest(746, 1360, 0.5, alternative="greater").pvalue)
    flip = dispersion_flip(lambda p: rate_direction(614, 746, "above", dispersion=p).verdict,
                           1360)
    assert flip == pytest.approx((z / sps.norm.isf(0.025)) ** 2, rel=0.05)


def test_threshold_flip_is_the_interval_limit() -> None:
    """For 'above t' the verdict changes where t crosses the lower limit."""
    test = binomial_direction(1130, 1212, 0.8, "above")
    assert binomial_direction(1130, 1212, test.ci_low - 1e-6, "above").verdict == "supported"
    assert binomial_direction(1130, 1212, test.ci_low + 1e-6, "above").verdict == "inconclusive"


def test_prob_direction_is_jeffreys_posterior_mass() -> None:
    """16 of 213 below 0.25: integrate the Beta(16.5, 197.5) density up to 0.25."""
    mass, _ = integrate.quad(lambda p: sps.beta.pdf(p, 16.5, 197.5), 0, 0.25)
    assert binomial_direction(16, 213, 0.25, "below").prob_direction == pytest.approx(mass)
    wide, _ = integrate.quad(lambda p: sps.beta.pdf(p, 8.5, 98.5), 0, 0.25)
    assert binomial_direction(16, 212, 0.25, "below", dispersion=2).prob_direction == (
        pytest.approx(wide))


def test_holm_by_hand() -> None:
    """Holm: sorted p_(i) * (m - i + 1), cumulative maximum, capped at 1."""
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([]) == []


@pytest.mark.parametrize(("p", "shown"), [
    (0.38, "0.38"), (2.6e-16, "2.6e-16"), (1e-320, "< 1e-300"), (0.0012, "0.0012"),
    (9.96e-5, "1.0e-4"),
])
def test_format_p(p: float, shown: str) -> None:
    """Small p-values keep their exponent; none is shown as 0."""
    assert format_p(math.log10(p)) == shown
    assert format_p(-math.inf) == "< 1e-300"


def test_compare_trends_dispersion_scales_the_wald_se() -> None:
    """SE of the log ratio of rate ratios = sqrt(phi * sum(1/count)) (closed form)."""
    est = compare_trends(741, 466, 614, 746, dispersion=4.0)
    se = math.sqrt(4.0 * (1 / 741 + 1 / 466 + 1 / 614 + 1 / 746))
    log_rrr = math.log((746 / 614) / (466 / 741))
    z = sps.norm.isf(0.025)
    assert (est.ci_low, est.ci_high) == pytest.approx(
        (math.exp(log_rrr - z * se), math.exp(log_rrr + z * se)), rel=1e-6)
    assert est.p_value == pytest.approx(2 * sps.norm.sf(log_rrr / se), rel=1e-6)


def test_exact_cond_rate_ratio_with_dispersion() -> None:
    """At phi = 2, 740 -> 466 behaves as 370 -> 233: scipy's central exact test and interval."""
    est = compare_poisson_counts(740, 466, method="exact-cond", dispersion=2.0)
    one_sided = sps.binomtest(233, 603, 0.5, alternative="less").pvalue
    low, high = sps.binomtest(233, 603).proportion_ci(0.95, method="exact")
    assert est.p_value == pytest.approx(min(1.0, 2 * one_sided), rel=1e-9)
    assert (est.ci_low, est.ci_high) == pytest.approx((low / (1 - low), high / (1 - high)))


def test_wald_rate_ratio_with_dispersion() -> None:
    """Wald: SE of the log ratio = sqrt(phi (1/c1 + 1/c2))."""
    est = compare_poisson_counts(741, 466, method="wald", dispersion=3.0)
    se = math.sqrt(3.0 * (1 / 741 + 1 / 466))
    z = sps.norm.isf(0.025)
    assert est.ci_low == pytest.approx(466 / 741 * math.exp(-z * se))
    assert est.p_value == pytest.approx(2 * sps.norm.sf(abs(math.log(466 / 741)) / se))


def test_dispersion_refused_for_score() -> None:
    """Methods without a dispersed version say so."""
    with pytest.raises(ValueError, match="dispersion must be 1 for method='score'"):
        compare_poisson_counts(741, 466, method="score", dispersion=2.0)


def test_rate_per_population_with_dispersion() -> None:
    """Garwood limits of the effective count 373 = 746 / 2, rescaled (chi-square closed form)."""
    est = rate_per_population(746, 20_310_400, dispersion=2.0)
    low = sps.chi2.ppf(0.025, 2 * 373) / 2 / (20_310_400 / 2) * 100_000
    high = sps.chi2.ppf(0.975, 2 * 373 + 2) / 2 / (20_310_400 / 2) * 100_000
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=1e-9)


def test_proportion_ci_with_design_effect() -> None:
    """Clopper-Pearson with design effect 2: 16 of 212 as 8 of 106."""
    est = proportion_ci(16, 212, method="beta", null=0.25, dispersion=2.0)
    low, high = sps.binomtest(8, 106).proportion_ci(0.95, method="exact")
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=1e-9)
    expected = min(1.0, 2 * sps.binomtest(8, 106, 0.25, alternative="less").pvalue)
    assert est.p_value == pytest.approx(expected, rel=1e-9)


def test_rate_ratios_by_group_and_summary() -> None:
    """One row per offence with integer counts; p shown from its log, never 0."""
    frame = pd.DataFrame({"offence": ["a", "a", "b", "b"], "year": [2010, 2014] * 2,
                          "n": [741, 466, 614, 746]})
    table = rate_ratios_by_group(frame, "offence", "year", "n", (2010, 2014))
    assert table["offence"].tolist() == ["a", "b"]
    assert table["count1"].tolist() == [741, 614]
    assert table.loc[1, "estimate"] == pytest.approx(746 / 614)
    assert table.loc[0, "p_display"] == "2.4e-15"
    summary = estimates_summary([proportion_ci(16, 213, null=0.25)], inputs=("successes",),
                                labels={"what": ["arrests"]})
    assert summary["successes"].tolist() == [16]
    assert summary.columns.tolist()[:2] == ["what", "successes"]
    with pytest.raises(ValueError, match="no n for year"):
        rate_ratios_by_group(frame.iloc[:3], "offence", "year", "n", (2010, 2014))


@settings(max_examples=150, deadline=None)
@given(c1=st.integers(0, 3000), c2=st.integers(0, 3000), side=st.sampled_from(["above", "below"]),
       phi=st.floats(1, 10))
def test_rate_verdict_agrees_with_interval(c1: int, c2: int, side: str, phi: float) -> None:
    """For rate ratios: supported <=> the interval lies wholly on the claimed side of 1."""
    if c1 + c2 == 0:
        return
    test = rate_direction(c1, c2, side, dispersion=phi)
    if min(abs(test.ci_low - 1), abs(test.ci_high - 1)) > 1e-9:
        on_side = test.ci_low > 1 if side == "above" else test.ci_high < 1
        assert (test.verdict == "supported") == on_side
        assert (test.p_value < 0.025) == on_side
