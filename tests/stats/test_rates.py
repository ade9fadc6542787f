"""Tests for :mod:`analysis.stats.rates`, each number checked against an independent computation.

Independent references used here: closed-form formulas typed in the tests (Wald
interval of a log rate ratio, the quadratic that inverts the Poisson score test,
Garwood's chi-square limits, the 2x2 log ratio of rate ratios and its SE, the
Pearson chi-square of a 2x2 table), and SciPy (binomtest for the conditional
exact test and Clopper-Pearson, chi2_contingency for the G-test).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.stats.estimates import Estimate
from analysis.stats.rates import (
    RATE_METHODS,
    RATIO_METHODS,
    compare_poisson_counts,
    rate_per_population,
)

pytestmark = pytest.mark.filterwarnings("error")

PROPERTY = settings(derandomize=True, max_examples=25, deadline=None, database=None)
# Each compare_trends call fits two formula GLMs (tens of ms), so fewer examples.
SLOW_PROPERTY = settings(derandomize=True, max_examples=10, deadline=None, database=None)

CHILD_POPULATION = 20_310_400


def _z(conf_level: float) -> float:
    return stats.norm.ppf(1 - (1 - conf_level) / 2)


def _score_interval(c1: int, c2: int, e1: float, e2: float, conf_level: float) -> tuple:
    """Closed-form score interval of (c2/e2)/(c1/e1).

    Conditioning aside, the score statistic for H0: ratio = r is
    z(x) = (c2 - c1 x) / sqrt((c1 + c2) x) with x = r e2 / e1. Setting z(x)^2 = z^2
    gives c1^2 x^2 - (2 c1 c2 + z^2 (c1 + c2)) x + c2^2 = 0.
    """
    z = _z(conf_level)
    a, b, c = c1**2, -(2 * c1 * c2 + z**2 * (c1 + c2)), c2**2
    root = math.sqrt(b * b - 4 * a * c)
    return ((-b - root) / (2 * a) * e1 / e2, (-b + root) / (2 * a) * e1 / e2)


# --- compare_poisson_counts -------------------------------------------------------


def test_prostitution_victims_2010_2014_score() -> None:
    """741 -> 466 registered victims: ratio, score interval and score test by hand."""
    result = compare_poisson_counts(741, 466)
    assert result.metric == "rate_ratio"
    assert result.estimate == pytest.approx(466 / 741, rel=1e-12)
    low, high = _score_interval(741, 466, 1, 1, 0.95)
    assert result.ci_low == pytest.approx(low, rel=1e-9)
    assert result.ci_high == pytest.approx(high, rel=1e-9)
    z = (466 - 741) / math.sqrt(741 + 466)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert result.percent_change is not None
    assert result.percent_change.estimate == pytest.approx(100 * (466 / 741 - 1), rel=1e-12)
    assert result.percent_change.ci_low == pytest.approx(100 * (low - 1), rel=1e-9)
    assert result.percent_change.ci_high == pytest.approx(100 * (high - 1), rel=1e-9)
    record = result.to_record()
    assert record["percent_change_ci_high"] == pytest.approx(100 * (high - 1), rel=1e-9)
    assert "score" in result.method


def test_score_with_unequal_exposures() -> None:
    """Exposures enter the ratio and the score test: z = (c2 - c1 x0)/sqrt((c1+c2) x0)."""
    c1, c2, e1, e2 = 614, 746, 2.0, 3.0
    result = compare_poisson_counts(c1, c2, e1, e2, conf_level=0.9)
    assert result.estimate == pytest.approx((c2 / e2) / (c1 / e1), rel=1e-12)
    low, high = _score_interval(c1, c2, e1, e2, 0.9)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)
    x0 = e2 / e1
    z = (c2 - c1 * x0) / math.sqrt((c1 + c2) * x0)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert result.extra["rate1"] == pytest.approx(c1 / e1)
    assert result.extra["rate2"] == pytest.approx(c2 / e2)


def test_pornography_victims_with_child_population_exposure() -> None:
    """614 -> 746 with the child population as (equal) exposure: exposure cancels."""
    with_exposure = compare_poisson_counts(614, 746, CHILD_POPULATION, CHILD_POPULATION)
    plain = compare_poisson_counts(614, 746)
    assert with_exposure.estimate == pytest.approx(746 / 614, rel=1e-12)
    assert with_exposure.ci_low == pytest.approx(plain.ci_low, rel=1e-9)
    assert with_exposure.ci_high == pytest.approx(plain.ci_high, rel=1e-9)
    assert with_exposure.p_value == pytest.approx(plain.p_value, rel=1e-9)
    assert with_exposure.inputs["exposure1"] == CHILD_POPULATION


def test_score_interval_regression_swapped_limits_in_statsmodels() -> None:
    """Regression: statsmodels' score inversion swaps the limits for 10000 vs 10000 at 90%.

    Our polished interval must be ordered and equal to the closed form.
    """
    result = compare_poisson_counts(10_000, 10_000, conf_level=0.90)
    low, high = _score_interval(10_000, 10_000, 1, 1, 0.90)
    assert result.ci_low < 1 < result.ci_high
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)


@pytest.mark.parametrize("method", ["wald", "wald-log"])
def test_wald_log_interval_and_test(method: str) -> None:
    """Wald on the log scale: log RR +/- z sqrt(1/a + 1/b), p from |log RR| / SE."""
    a, b = 741, 466
    result = compare_poisson_counts(a, b, method=method, conf_level=0.99)
    se = math.sqrt(1 / a + 1 / b)
    log_rr = math.log(b / a)
    z = _z(0.99)
    assert result.ci_low == pytest.approx(math.exp(log_rr - z * se), rel=1e-12)
    assert result.ci_high == pytest.approx(math.exp(log_rr + z * se), rel=1e-12)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(log_rr) / se), rel=1e-9)
    assert result.extra["statistic"] == pytest.approx(log_rr / se, rel=1e-12)


def _log_score_z(c1: int, c2: int, e1: float, e2: float, ratio: float) -> float:
    """Log-score statistic (Gu et al. 2008, W4A) for H0: (rate2 / rate1) = ratio.

    With x = ratio e2 / e1 (the expected c2 / c1 under H0):
    z = (log(c2 / c1) - log x) / sqrt((2 + x + 1/x) / (c1 + c2)).
    """
    x = ratio * e2 / e1
    return (math.log(c2 / c1) - math.log(x)) / math.sqrt((2 + x + 1 / x) / (c1 + c2))


def test_score_log_limits_solve_the_log_score_equation() -> None:
    """At each score-log limit the hand-coded log-score test has p = alpha; at 1 it gives p."""
    c1, c2, e1, e2 = 614, 746, 1.0, 1.2
    result = compare_poisson_counts(c1, c2, e1, e2, method="score-log", conf_level=0.9)
    assert result.ci_low < result.estimate < result.ci_high
    for limit in (result.ci_low, result.ci_high):
        z = _log_score_z(c1, c2, e1, e2, limit)
        assert 2 * stats.norm.sf(abs(z)) == pytest.approx(0.10, abs=1e-9)
    z0 = _log_score_z(c1, c2, e1, e2, 1.0)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z0)), rel=1e-9)


def test_score_log_refuses_when_no_limit_exists() -> None:
    """For 1 vs 14 the log-score p-value never drops below 0.05 above the estimate.

    (Its p-value returns towards 1 for extreme ratios.) statsmodels still returns an
    "upper limit" there; we raise instead.
    """
    ratios = [14 * math.exp(t / 10) for t in range(1, 200)]
    p_values = [2 * stats.norm.sf(abs(_log_score_z(1, 14, 1, 1, r))) for r in ratios]
    assert min(p_values) > 0.05
    with pytest.raises(ValueError, match="count1 and count2 are too small"):
        compare_poisson_counts(1, 14, method="score-log")


@pytest.mark.parametrize(
    ("c1", "c2", "e1", "e2"), [(741, 466, 1.0, 1.0), (7, 19, 2.0, 3.0), (3, 0, 1.0, 1.0)]
)
def test_exact_conditional_against_scipy_binomtest(c1: int, c2: int, e1: float, e2: float) -> None:
    """Given c1 + c2, c2 is binomial with p = e2/(e1+e2) under H0 (scipy).

    The p-value is the central two-sided one, twice the smaller one-sided tail (scipy's
    binomial cdf and sf), capped at 1: the test the central interval inverts, and the same at
    any dispersion. The interval is SciPy's Clopper-Pearson interval for that p mapped by
    ratio = p / (1 - p) * e1 / e2.
    """
    result = compare_poisson_counts(c1, c2, e1, e2, method="exact-cond")
    n, p0 = c1 + c2, e2 / (e1 + e2)
    central = min(1.0, 2 * min(stats.binom.cdf(c2, n, p0), stats.binom.sf(c2 - 1, n, p0)))
    assert result.p_value == pytest.approx(central, rel=1e-9)
    assert "twice the smaller one-sided tail" in result.method
    test = stats.binomtest(c2, c1 + c2, p=p0)
    p_ci = test.proportion_ci(confidence_level=0.95, method="exact")
    assert result.ci_low == pytest.approx(p_ci.low / (1 - p_ci.low) * e1 / e2, rel=1e-8, abs=0)
    assert result.ci_high == pytest.approx(p_ci.high / (1 - p_ci.high) * e1 / e2, rel=1e-8)
    assert math.isnan(result.extra["statistic"])


def test_exact_conditional_zero_baseline_gives_infinite_ratio() -> None:
    """With count1 = 0 the ratio and upper limit are infinite; the lower limit is finite."""
    result = compare_poisson_counts(0, 5, method="exact-cond")
    assert result.estimate == math.inf
    assert result.ci_high == math.inf
    p_low = stats.binomtest(5, 5).proportion_ci(method="exact").low
    assert result.ci_low == pytest.approx(p_low / (1 - p_low), rel=1e-8)
    assert result.p_value == pytest.approx(2 * 0.5**5, rel=1e-12)


def test_conditional_midp_p_value_and_limits() -> None:
    """Mid-p: p = exact (min-likelihood) p minus half the point probability.

    Each limit satisfies the defining mid-p tail equation at the binomial scale,
    and the mid-p interval lies inside the exact one.
    """
    c1, c2, e1, e2 = 12, 25, 1.0, 1.5
    result = compare_poisson_counts(c1, c2, e1, e2, method="cond-midp")
    n = c1 + c2
    p0 = e2 / (e1 + e2)
    expected_p = stats.binomtest(c2, n, p=p0).pvalue - 0.5 * stats.binom.pmf(c2, n, p0)
    assert result.p_value == pytest.approx(expected_p, rel=1e-9)

    def to_p(ratio: float) -> float:
        odds = ratio * e2 / e1
        return odds / (1 + odds)

    p_low, p_high = to_p(result.ci_low), to_p(result.ci_high)
    upper_tail = stats.binom.sf(c2, n, p_low) + 0.5 * stats.binom.pmf(c2, n, p_low)
    lower_tail = stats.binom.cdf(c2 - 1, n, p_high) + 0.5 * stats.binom.pmf(c2, n, p_high)
    assert upper_tail == pytest.approx(0.025, abs=1e-9)
    assert lower_tail == pytest.approx(0.025, abs=1e-9)
    exact = compare_poisson_counts(c1, c2, e1, e2, method="exact-cond")
    assert exact.ci_low < result.ci_low < result.estimate < result.ci_high < exact.ci_high


@pytest.mark.parametrize(("count1", "count2", "argument"), [(0, 5, "count1"), (5, 0, "count2")])
@pytest.mark.parametrize("method", ["score", "wald", "score-log"])
def test_asymptotic_methods_reject_zero_counts(
    count1: int, count2: int, argument: str, method: str
) -> None:
    """A zero count has no finite log rate ratio: asymptotic methods refuse it."""
    with pytest.raises(ValueError, match=f"{argument} must be positive"):
        compare_poisson_counts(count1, count2, method=method)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"count1": -3, "count2": 5}, "count1"),
        ({"count1": 3, "count2": 2.5}, "count2"),
        ({"count1": True, "count2": 5}, "count1"),
        ({"count1": math.nan, "count2": 5}, "count1"),
        ({"count1": 0, "count2": 0, "method": "exact-cond"}, "count1 and count2"),
        ({"count1": 3, "count2": 5, "exposure1": 0}, "exposure1"),
        ({"count1": 3, "count2": 5, "exposure2": -1.0}, "exposure2"),
        ({"count1": 3, "count2": 5, "conf_level": 1.0}, "conf_level"),
        ({"count1": 3, "count2": 5, "conf_level": 95}, "conf_level"),
        ({"count1": 3, "count2": 5, "method": "etest"}, "method"),
    ],
)
def test_compare_poisson_counts_rejects_bad_input(kwargs: dict, argument: str) -> None:
    """Invalid counts, exposures, levels and methods raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        compare_poisson_counts(**kwargs)


def test_integral_floats_and_numpy_ints_are_accepted() -> None:
    """741.0 and numpy integers count as whole numbers."""
    import numpy as np

    result = compare_poisson_counts(741.0, np.int64(466))
    assert result.inputs["count1"] == 741
    assert result.estimate == pytest.approx(466 / 741)


def _compare_or_skip(*args: float, **kwargs: object) -> Estimate:
    """compare_poisson_counts, discarding the example when score-log has no interval."""
    try:
        return compare_poisson_counts(*args, **kwargs)  # type: ignore[arg-type]
    except ValueError as error:
        if "too small" not in str(error):
            raise
        assume(False)
        raise  # pragma: no cover - assume(False) does not return


counts = st.integers(min_value=1, max_value=3000)
exposures = st.floats(min_value=0.1, max_value=1e4, allow_nan=False, allow_infinity=False)


@PROPERTY
@given(counts, counts, exposures, exposures, st.sampled_from(RATIO_METHODS))
def test_property_interval_contains_estimate_and_nests(
    c1: int, c2: int, e1: float, e2: float, method: str
) -> None:
    """The 90% interval contains the estimate and lies inside the 99% interval."""
    narrow = _compare_or_skip(c1, c2, e1, e2, conf_level=0.90, method=method)
    wide = _compare_or_skip(c1, c2, e1, e2, conf_level=0.99, method=method)
    assert narrow.ci_low <= narrow.estimate <= narrow.ci_high
    assert wide.ci_low <= narrow.ci_low
    assert narrow.ci_high <= wide.ci_high
    assert 0.0 <= narrow.p_value <= 1.0


@PROPERTY
@given(counts, counts, exposures, exposures, st.sampled_from(RATIO_METHODS))
def test_property_swapping_groups_inverts_ratio_and_interval(
    c1: int, c2: int, e1: float, e2: float, method: str
) -> None:
    """Comparing 1 vs 2 instead of 2 vs 1 inverts the ratio and the interval; same p."""
    forward = _compare_or_skip(c1, c2, e1, e2, method=method)
    backward = _compare_or_skip(c2, c1, e2, e1, method=method)
    assert backward.estimate == pytest.approx(1 / forward.estimate, rel=1e-9)
    assert backward.ci_low == pytest.approx(1 / forward.ci_high, rel=1e-7)
    assert backward.ci_high == pytest.approx(1 / forward.ci_low, rel=1e-7)
    assert backward.p_value == pytest.approx(forward.p_value, rel=1e-6, abs=1e-300)


# --- rate_per_population ------------------------------------------------------------


def _garwood(k: int, conf_level: float) -> tuple[float, float]:
    alpha = 1 - conf_level
    low = 0.0 if k == 0 else stats.chi2.ppf(alpha / 2, 2 * k) / 2
    return low, stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2


@pytest.mark.parametrize("k", [0, 1, 10, 746])
def test_rate_exact_garwood_limits(k: int) -> None:
    """Exact limits are Garwood's chi-square limits divided by the population."""
    result = rate_per_population(k, CHILD_POPULATION)
    low, high = _garwood(k, 0.95)
    assert result.estimate == pytest.approx(k / CHILD_POPULATION * 1e5, rel=1e-12)
    assert result.ci_low == pytest.approx(low / CHILD_POPULATION * 1e5, rel=1e-9, abs=0)
    assert result.ci_high == pytest.approx(high / CHILD_POPULATION * 1e5, rel=1e-9)
    assert result.metric == "rate_per_100000"
    assert result.p_value is None


def test_rate_exact_zero_events_upper_limit_is_minus_log_alpha_half() -> None:
    """For 0 events the exact upper limit of the count solves exp(-mu) = 0.025: mu = -ln 0.025."""
    result = rate_per_population(0, 1000, per=1000)
    assert result.ci_low == 0.0
    assert result.ci_high == pytest.approx(-math.log(0.025), rel=1e-9)


def test_rate_score_and_wald_formulas() -> None:
    """Score: (k + z^2/2 +/- z sqrt(k + z^2/4)) / n; Wald: (k +/- z sqrt(k)) / n, floor 0."""
    k, n, z = 746, CHILD_POPULATION, _z(0.9)
    score = rate_per_population(k, n, per=1, conf_level=0.9, method="score")
    centre, half = k + z**2 / 2, z * math.sqrt(k + z**2 / 4)
    assert (score.ci_low, score.ci_high) == pytest.approx(
        ((centre - half) / n, (centre + half) / n), rel=1e-12
    )
    wald = rate_per_population(k, n, per=1, conf_level=0.9, method="wald")
    assert (wald.ci_low, wald.ci_high) == pytest.approx(
        ((k - z * math.sqrt(k)) / n, (k + z * math.sqrt(k)) / n), rel=1e-12
    )
    small = rate_per_population(1, 100, method="wald")
    assert small.ci_low == 0.0  # 1 - 1.96 < 0, truncated


def test_rate_per_other_denominator_and_aliases() -> None:
    """The per argument rescales estimate and limits; 'garwood' is an alias of 'exact'."""
    per_thousand = rate_per_population(82, 1212, per=1000, method="garwood")
    per_one = rate_per_population(82, 1212, per=1)
    assert per_thousand.metric == "rate_per_1000"
    assert per_thousand.estimate == pytest.approx(1000 * per_one.estimate)
    assert per_thousand.ci_high == pytest.approx(1000 * per_one.ci_high)
    assert set(RATE_METHODS) == {"exact", "score", "wald"}


@PROPERTY
@given(
    st.integers(min_value=0, max_value=5000),
    st.floats(min_value=5000, max_value=1e8),
    st.sampled_from(RATE_METHODS),
)
def test_property_rate_interval_contains_estimate_and_nests(
    k: int, population: float, method: str
) -> None:
    """Rate intervals contain the estimate, are non-negative, and 99% contains 90%."""
    narrow = rate_per_population(k, population, conf_level=0.90, method=method)
    wide = rate_per_population(k, population, conf_level=0.99, method=method)
    assert 0.0 <= narrow.ci_low <= narrow.estimate <= narrow.ci_high
    assert wide.ci_low <= narrow.ci_low and narrow.ci_high <= wide.ci_high


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((-1, 100), {}, "count"),
        ((2.5, 100), {}, "count"),
        ((5, 0), {}, "population"),
        ((5, -10), {}, "population"),
        ((101, 100), {}, "count must not exceed population"),
        ((5, 100), {"per": 0}, "per"),
        ((5, 100), {"conf_level": -0.5}, "conf_level"),
        ((5, 100), {"method": "jeffreys"}, "method"),
    ],
)
def test_rate_per_population_rejects_bad_input(args: tuple, kwargs: dict, argument: str) -> None:
    """Invalid inputs raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        rate_per_population(*args, **kwargs)
