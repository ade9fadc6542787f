"""Tests of the one-sided exact tests, their intervals and sensitivity (analysis.stats.directional).

Reference values come from scipy's exact binomial test and interval, log-sum-exp of scipy's
binomial pmf, numerical integration of the Beta posterior, Holm's procedure by hand and the
report's own counts.
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from analysis.stats.directional import (
    binomial_direction,
    dispersion_flip,
    first_change,
    holm,
    intersection_union,
    log_tail,
    lognormal_direction,
    noise_flip,
    rate_direction,
    tail_pair,
    year_noise_sigma,
)
from analysis.stats.estimates import estimates_summary
from analysis.stats.proportions import proportion_ci
from analysis.stats.pvalues import format_p, format_probability
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
    """The conditional test at dispersion 1 is scipy's one-sided exact binomial test.

    Compared on the log scale too, against the log of the tail summed from scipy's log
    probability masses: below about 1e-300 ``binomtest`` underflows to 0 (and so do
    ``logsf``/``logcdf`` at the extremes), while the test keeps its log p-value.
    """
    if c1 + c2 == 0:
        return
    n = c1 + c2
    expected = sps.binomtest(c2, n, 0.5, alternative=_ALTERNATIVE[side]).pvalue
    tail = np.arange(c2, n + 1) if side == "above" else np.arange(0, c2 + 1)
    log_expected = special.logsumexp(sps.binom.logpmf(tail, n, 0.5))
    test = rate_direction(c1, c2, side)
    assert test.log_p == pytest.approx(log_expected, rel=1e-7, abs=1e-9)
    if expected > 1e-290:  # where binomtest does not underflow, the p-values agree too
        assert test.p_value == pytest.approx(expected, rel=1e-7)


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


def test_prob_opposite_is_jeffreys_posterior_mass_on_a_log_scale() -> None:
    """The opposite side's Jeffreys posterior mass, on a log scale.

    16 of 213 below 0.25: the opposite side's mass, the Beta(16.5, 197.5) density integrated
    from 0.25 to 1; 1,130 of 1,212 above 0.8: mass below 0.8 (~1e-38, where the claimed
    side's mass would print as 1).
    """
    mass, _ = integrate.quad(lambda p: sps.beta.pdf(p, 16.5, 197.5), 0.25, 1)
    test = binomial_direction(16, 213, 0.25, "below")
    assert math.exp(test.log_prob_opposite) == pytest.approx(mass, rel=1e-6)
    wide, _ = integrate.quad(lambda p: sps.beta.pdf(p, 8.5, 98.5), 0.25, 1)
    dispersed = binomial_direction(16, 212, 0.25, "below", dispersion=2)
    assert math.exp(dispersed.log_prob_opposite) == pytest.approx(wide, rel=1e-6)
    girls = binomial_direction(1130, 1212, 0.8, "above")
    expected = sps.beta.logcdf(0.8, 1130.5, 82.5)
    assert girls.log_prob_opposite == pytest.approx(expected, rel=1e-9)
    assert 1 - math.exp(girls.log_prob_opposite) == 1.0  # why the complement is kept instead


def test_intersection_union_prob_opposite_is_one_minus_the_product() -> None:
    """P(some series on its wrong side) = 1 - prod(1 - q_i), even when every q_i is tiny."""
    tests = [rate_direction(741, 466, "below"), rate_direction(614, 746, "above")]
    joint = intersection_union(tests)
    qs = [math.exp(t.log_prob_opposite) for t in tests]
    assert math.exp(joint.log_prob_opposite) == pytest.approx(1 - (1 - qs[0]) * (1 - qs[1]))
    tiny = intersection_union([rate_direction(741, 466, "below"),
                               rate_direction(324, 143, "below")])
    parts = [rate_direction(741, 466, "below"), rate_direction(324, 143, "below")]
    assert tiny.log_prob_opposite == pytest.approx(
        float(special.logsumexp([t.log_prob_opposite for t in parts])), rel=1e-12)


def test_tail_pair_is_scipy_at_dispersion_one() -> None:
    """Claimed and opposite tails: scipy's one-sided binomial tests."""
    log_up, log_down = tail_pair(746, 1360, 0.5, "above")
    assert math.exp(log_up) == pytest.approx(
        sps.binomtest(746, 1360, 0.5, alternative="greater").pvalue, rel=1e-9)
    assert math.exp(log_down) == pytest.approx(
        sps.binomtest(746, 1360, 0.5, alternative="less").pvalue, rel=1e-9)


def test_lognormal_direction_against_the_normal_distribution() -> None:
    """The log-normal test is a normal test of the log ratio.

    log(746/614) ~ N(log RR, 1/614 + 1/746 + 2 sigma^2): scipy's normal tail and the Wald
    interval on the log scale.
    """
    sigma = 0.1
    se = math.sqrt(1 / 614 + 1 / 746 + 2 * sigma**2)
    z = math.log(746 / 614) / se
    test = lognormal_direction(614, 746, "above", noise_sigma=sigma)
    assert test.p_value == pytest.approx(sps.norm.sf(z), rel=1e-12)
    assert math.exp(test.log_p_other) == pytest.approx(sps.norm.cdf(z), rel=1e-12)
    half = sps.norm.isf(0.025) * se
    assert (test.ci_low, test.ci_high) == pytest.approx(
        (746 / 614 * math.exp(-half), 746 / 614 * math.exp(half)), rel=1e-12)
    assert test.verdict == "inconclusive"
    assert lognormal_direction(741, 466, "below", noise_sigma=sigma).verdict == "supported"
    with pytest.raises(ValueError, match="noise_sigma must be a finite number >= 0"):
        lognormal_direction(614, 746, "above", noise_sigma=-0.1)


def test_lognormal_variance_by_simulation() -> None:
    """The model's variance of the log ratio, checked by simulation.

    The model's variance of log(Y2/Y1), 1/mu1 + 1/mu2 + 2 sigma^2 (delta method), checked by
    simulating Poisson counts with a log-normal year effect (numpy, seeded).
    """
    rng = np.random.default_rng(20151026)
    sigma, mu1, mu2, draws = 0.1, 614.0, 746.0, 200_000
    y1 = rng.poisson(mu1 * np.exp(rng.normal(0, sigma, draws)))
    y2 = rng.poisson(mu2 * np.exp(rng.normal(0, sigma, draws)))
    simulated = float(np.var(np.log(y2 / y1)))
    assert simulated == pytest.approx(1 / mu1 + 1 / mu2 + 2 * sigma**2, rel=0.02)


@pytest.mark.parametrize(("earlier", "later"), [(614, 746), (741, 466), (1342, 1828),
                                                (324, 143)])
def test_noise_flip_is_where_the_normal_test_crosses(earlier: int, later: int) -> None:
    """noise_flip: the root (scipy brentq) of the one-sided normal p = 0.025."""
    def excess(sigma: float) -> float:
        z = abs(math.log(later / earlier)) / math.sqrt(1 / earlier + 1 / later + 2 * sigma**2)
        return float(sps.norm.sf(z)) - 0.025

    flip = noise_flip(earlier, later)
    assert flip == pytest.approx(optimize.brentq(excess, 0.0, 5.0, xtol=1e-14), rel=1e-10)
    side = "above" if later > earlier else "below"
    for factor, verdict in ((1 - 1e-6, "supported"), (1 + 1e-6, "inconclusive")):
        assert lognormal_direction(earlier, later, side,
                                   noise_sigma=flip * factor).verdict == verdict
    assert noise_flip(10, 12) is None


def test_year_noise_sigma_closed_form() -> None:
    """year_noise_sigma is the moment estimate from second differences.

    Three years: one second difference s; sigma^2 = (s^2 - (1/y1 + 4/y2 + 1/y3)) / 6,
    floored at 0; four years average the two second differences' moments.
    """
    s = math.log(531) - 2 * math.log(638) + math.log(618)
    expected = math.sqrt((s**2 - (1 / 618 + 4 / 638 + 1 / 531)) / 6)
    assert year_noise_sigma([618, 638, 531]) == pytest.approx(expected, rel=1e-12)
    assert year_noise_sigma([1342, 1455, 1596]) == 0.0
    y = [400, 500, 450, 700]
    moments = [(math.log(c) - 2 * math.log(b) + math.log(a)) ** 2 - (1 / a + 4 / b + 1 / c)
               for a, b, c in zip(y, y[1:], y[2:], strict=False)]
    assert year_noise_sigma(y) == pytest.approx(math.sqrt(sum(moments) / 2 / 6), rel=1e-12)
    with pytest.raises(ValueError, match="at least 3"):
        year_noise_sigma([618, 638])


def test_first_change_bisects_between_grid_points() -> None:
    """A verdict that changes at 0.3 is found to within the tolerance; none when constant."""
    grid = tuple(i / 10 for i in range(11))
    found = first_change(lambda x: "a" if x <= 0.3 else "b", grid)
    assert found == pytest.approx(0.3, abs=1e-9)
    assert first_change(lambda x: "a", grid) is None


def test_holm_by_hand() -> None:
    """Holm: sorted p_(i) * (m - i + 1), cumulative maximum, capped at 1."""
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.3, 0.3, 0.9]) == pytest.approx([0.9, 0.9, 0.9])
    assert holm([]) == []


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(st.lists(st.floats(1e-30, 1.0), min_size=1, max_size=12))
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    """The closed form agrees with statsmodels' multipletests(method="holm").

    multipletests runs a full garbage collection on every call; with the objects the test
    process already holds frozen (``gc.freeze``) that collection has nothing old to scan.
    """
    gc.freeze()
    try:
        expected = multipletests(p_values, method="holm")[1]
    finally:
        gc.unfreeze()
    assert holm(p_values) == pytest.approx(list(expected), rel=1e-12)


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
    assert table.loc[0, "p_two_sided_display"] == "2.4e-15"
    assert table.loc[0, "p_two_sided"] == pytest.approx(
        2 * sps.binomtest(466, 1207, 0.5, alternative="less").pvalue, rel=1e-9)
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


@pytest.mark.parametrize(("p", "shown"), [
    (0.999, "> 0.99"), (1.0, "> 0.99"), (0.994, "0.99"), (0.0, "< 1e-300"), (3e-5, "3e-05"),
])
def test_a_probability_is_shown_never_as_zero_or_one(p: float, shown: str) -> None:
    """format_probability: what rounds to 1 is shown as above 0.99, 0 as below 1e-300."""
    assert format_probability(p) == shown


def test_format_p_never_shows_one() -> None:
    """A one-sided p that rounds to 1 at two digits is shown as above 0.99."""
    assert format_p(math.log10(0.9996)) == "> 0.99" and format_p(0.0) == "> 0.99"
