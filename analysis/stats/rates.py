"""Poisson rates: rate ratios and rates per population.

The counts the Special Rapporteur's report quotes (e.g. police-registered child
victims of child pornography, 614 in 2010 and 746 in 2014) are modelled as Poisson
counts. Two questions are answered here:

* :func:`compare_poisson_counts` -- how much did a count change between two
  periods (or differ between two groups)? A rate ratio with confidence interval
  and test, from :mod:`statsmodels.stats.rates`.
* :func:`rate_per_population` -- how many per 100,000 children? A rate with an
  exact (Garwood) Poisson interval by default.

How far two categories moved apart (a ratio of rate ratios) is in
:mod:`analysis.stats.trends`; per-group tables for the notebooks in
:mod:`analysis.stats.tables`.

All functions validate their inputs and return an :class:`~analysis.stats.estimates.Estimate`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import numpy as np
from scipy import optimize, stats
from statsmodels.stats import rates as sm_rates

from analysis.stats.directional import central_p, clopper_pearson_limits
from analysis.stats.estimates import (
    Estimate,
    PercentChange,
    check_conf_level,
    check_count,
    check_count_within,
    check_dispersion,
    check_method,
    check_positive,
)

__all__ = [
    "RATE_METHODS",
    "RATIO_METHODS",
    "compare_poisson_counts",
    "rate_per_population",
]

# name -> (statsmodels test method, interval, description of the interval)
# interval: a statsmodels ``confint_poisson_2indep`` method, or one of the
# conditional-binomial intervals computed here ("cond-exact", "cond-midp").
_RATIO_METHODS: dict[str, tuple[str, str, str]] = {
    "score": (
        "score",
        "score",
        "score test; CI: score (statsmodels confint_poisson_2indep, method='score', "
        "limits polished by root-finding on statsmodels' score test)",
    ),
    "wald": (
        "wald-log",
        "wald-log",
        "Wald test of the log rate ratio; CI: Wald on the log scale, SE = sqrt(1/count1 + "
        "1/count2) (statsmodels confint_poisson_2indep, method='wald-log')",
    ),
    "score-log": (
        "score-log",
        "score-log",
        "score test of the log rate ratio; CI: inverted log-score test (statsmodels "
        "confint_poisson_2indep, method='score-log', limits polished by root-finding on "
        "statsmodels' log-score test)",
    ),
    "exact-cond": (
        "exact-cond",
        "cond-exact",
        "exact conditional binomial test, two-sided: twice the smaller one-sided tail (the "
        "test the central interval inverts); CI: Clopper-Pearson interval of the conditional "
        "binomial proportion, transformed to the rate ratio",
    ),
    "cond-midp": (
        "cond-midp",
        "cond-midp",
        "mid-p conditional binomial test; CI: central mid-p interval of the conditional "
        "binomial proportion, transformed to the rate ratio",
    ),
}
_RATIO_ALIASES: dict[str, str] = {"wald-log": "wald", "exact": "exact-cond", "midp": "cond-midp"}
_EXACT_RATIO_METHODS = frozenset({"exact-cond", "cond-midp"})
_POLISHED_INTERVALS = frozenset({"score", "score-log"})
_DISPERSED_RATIO_METHODS = frozenset({"exact-cond", "wald"})

#: Methods accepted by :func:`compare_poisson_counts` (aliases: ``"wald-log"`` for
#: ``"wald"``, ``"exact"`` for ``"exact-cond"``, ``"midp"`` for ``"cond-midp"``).
RATIO_METHODS: tuple[str, ...] = tuple(_RATIO_METHODS)

# name -> (statsmodels confint_poisson method, description)
_RATE_METHODS: dict[str, tuple[str, str]] = {
    "exact": (
        "exact-c",
        "exact Poisson interval (Garwood, chi-square based; statsmodels confint_poisson, "
        "method='exact-c')",
    ),
    "score": (
        "score",
        "score interval (statsmodels confint_poisson, method='score')",
    ),
    "wald": (
        "wald",
        "Wald interval, lower limit truncated at 0 (statsmodels confint_poisson, method='wald')",
    ),
}
_RATE_ALIASES: dict[str, str] = {"garwood": "exact", "exact-c": "exact"}

#: Methods accepted by :func:`rate_per_population` (aliases: ``"garwood"``,
#: ``"exact-c"`` for ``"exact"``).
RATE_METHODS: tuple[str, ...] = tuple(_RATE_METHODS)


def _binomial_midp_limits(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Central mid-p confidence limits for a binomial proportion.

    Each limit solves ``P(more extreme) + P(observed) / 2 = alpha / 2``.
    """
    lower = 0.0
    upper = 1.0
    if successes > 0:

        def upper_tail(p: float) -> float:
            return (
                stats.binom.sf(successes, trials, p)
                + 0.5 * stats.binom.pmf(successes, trials, p)
                - alpha / 2
            )

        lower = optimize.brentq(upper_tail, 0.0, 1.0, xtol=1e-15, rtol=1e-13)
    if successes < trials:

        def lower_tail(p: float) -> float:
            return (
                stats.binom.cdf(successes - 1, trials, p)
                + 0.5 * stats.binom.pmf(successes, trials, p)
                - alpha / 2
            )

        upper = optimize.brentq(lower_tail, 0.0, 1.0, xtol=1e-15, rtol=1e-13)
    return float(lower), float(upper)


_MARCH_STEP = 0.05  # log-ratio step when searching for a confidence limit
_MARCH_LIMIT = 60.0  # give up this far (in log units) from the estimate


def _march_to_limit(
    excess: Callable[[float], float], centre: float, direction: float
) -> tuple[float, float] | None:
    """Bracket the confidence limit nearest the estimate on one side, or None.

    The p-value is 1 at the estimate and, for the score test, falls monotonically
    towards 0 on each side; for the log-score test it falls and then rises back
    towards 1. Walking outward in small steps finds the first crossing of alpha;
    if the p-value starts rising before it crosses, no limit exists.
    """
    previous, previous_excess = centre, excess(centre)
    position = centre + direction * _MARCH_STEP
    while abs(position - centre) <= _MARCH_LIMIT:
        current_excess = excess(position)
        if current_excess < 0:
            return previous, position
        if current_excess > previous_excess:
            return None
        previous, previous_excess = position, current_excess
        position += direction * _MARCH_STEP
    return None


def _polish_limits(
    count1: int,
    exposure1: float,
    count2: int,
    exposure2: float,
    alpha: float,
    method: str,
    hints: tuple[float, float],
) -> tuple[float | None, float | None]:
    """Solve ``p(r) = alpha`` on both sides of the estimate by bracketed root-finding.

    Counts and exposures are in statsmodels' order (ratio = rate1 / rate2); the
    p-value is statsmodels' ``test_poisson_2indep`` with ``method``. Each limit
    is the crossing nearest the estimate. ``hints`` (statsmodels' limits) are
    used when a small bracket around them shows the right sign change; else the
    limit is searched for from the estimate outward. A side without a crossing
    gives None.
    """

    def excess(log_ratio: float) -> float:
        result = sm_rates.test_poisson_2indep(
            count1,
            exposure1,
            count2,
            exposure2,
            value=math.exp(log_ratio),
            method=method,
            compare="ratio",
        )
        return float(result.pvalue) - alpha

    centre = math.log((count1 / exposure1) / (count2 / exposure2))
    limits: list[float | None] = []
    for direction, hint in zip((-1.0, 1.0), hints, strict=True):
        bracket: tuple[float, float] | None = None
        if math.isfinite(hint) and hint > 0:
            inner = math.log(hint) - direction * 1e-3
            outer = math.log(hint) + direction * 1e-3
            if direction * (inner - centre) > 0 and excess(inner) > 0 > excess(outer):
                bracket = (inner, outer)
        if bracket is None:
            bracket = _march_to_limit(excess, centre, direction)
        if bracket is None:
            limits.append(None)
            continue
        low, high = sorted(bracket)
        limits.append(math.exp(optimize.brentq(excess, low, high, xtol=1e-14, rtol=1e-14)))
    return limits[0], limits[1]


def _odds_to_ratio(p: float, exposure1: float, exposure2: float) -> float:
    """Map the conditional proportion count2/(count1+count2) to the rate ratio."""
    if p >= 1.0:
        return math.inf
    return p / (1.0 - p) * exposure1 / exposure2


def compare_poisson_counts(
    count1: int,
    count2: int,
    exposure1: float = 1.0,
    exposure2: float = 1.0,
    *,
    conf_level: float = 0.95,
    method: str = "score",
    dispersion: float = 1.0,
) -> Estimate:
    """Compare two Poisson counts as a rate ratio of group 2 versus baseline group 1.

    The rate ratio is ``(count2 / exposure2) / (count1 / exposure1)``. Test and
    interval come from :func:`statsmodels.stats.rates.test_poisson_2indep` and
    :func:`~statsmodels.stats.rates.confint_poisson_2indep` (``compare="ratio"``,
    method passed explicitly, group 2 passed as statsmodels' first sample). The
    null hypothesis is equal rates.

    The ``method`` argument chooses test and interval:

    * ``"score"`` (default): score test and score interval. statsmodels inverts
      the test with a Nelder-Mead search started from a 95% interval, which can
      be imprecise (relative errors up to ~1e-4 for small ratios) or even return
      the limits swapped (e.g. 10000 vs 10000 at 90%), so its limits are used as
      starting values and polished by bracketed root-finding on
      statsmodels' score test p-value.
    * ``"score-log"``: score test and interval of the log rate ratio (Gu et al.
      2008, W4A), polished the same way. Its p-value returns towards 1 for
      extreme ratios, so for small counts the test may reject no ratio on one
      side; then no interval exists and a ValueError suggests ``"exact-cond"``.
    * ``"wald"`` (alias ``"wald-log"``): Wald test and interval on the log scale,
      SE = sqrt(1/count1 + 1/count2). (statsmodels' ``test_poisson_2indep``
      ``method="wald"`` is a different, ratio-scale statistic for which
      ``confint_poisson_2indep`` has no interval, so it is not offered.)
    * ``"exact-cond"``: the exact conditional test, which treats count2 given
      count1 + count2 as binomial. Its two-sided p-value is the central one (twice
      the smaller one-sided tail, capped at 1), the test the central Clopper-Pearson
      interval of that binomial proportion inverts; the interval is mapped to the
      rate-ratio scale. p-value and interval therefore always agree about 1, and the
      p-value is exactly twice the one-sided p-value of
      :func:`analysis.stats.directional.rate_direction` in the observed direction.
    * ``"cond-midp"``: the mid-p conditional test (statsmodels, minimum likelihood)
      with the central mid-p interval of the binomial proportion, mapped likewise.

    The asymptotic methods need both counts positive. The exact methods accept
    one zero count (rate ratio 0 or infinity, with a one-sided-open interval).

    Args:
        count1: Events in the baseline group (e.g. the earlier year).
        count2: Events in the comparison group (e.g. the later year).
        exposure1: Exposure (persons, person-years) of group 1; 1 for plain counts.
        exposure2: Exposure of group 2.
        conf_level: Confidence level of the interval, in (0, 1).
        method: One of :data:`RATIO_METHODS` (or an alias).
        dispersion: Quasi-Poisson scale ``phi >= 1`` (variance ``phi`` times the mean).
            Supported by ``"wald"`` (standard error times ``sqrt(phi)``) and
            ``"exact-cond"`` (effective counts ``count / phi`` in the conditional binomial;
            the same central test and interval, for non-integer counts).

    Returns:
        An :class:`~analysis.stats.estimates.Estimate` with metric ``"rate_ratio"`` (a
        ratio of counts per unit of exposure; with the default exposures of 1, simply
        count2 over count1) and ``percent_change`` (100 x (ratio - 1), with the
        interval mapped, a :class:`~analysis.stats.estimates.PercentChange`);
        ``extra`` holds ``rate1``, ``rate2`` and the test ``statistic`` (NaN for the
        exact methods).

    Raises:
        ValueError: For negative or non-integer counts, both counts zero, a zero
            count with an asymptotic method, counts too small for ``"score-log"``,
            non-positive exposures, a confidence level outside (0, 1), or an
            unknown method.

    Example:
        Police-registered child victims of child prostitution, 741 (2010) and
        466 (2014):

        >>> e = compare_poisson_counts(741, 466)
        >>> round(e.estimate, 3), round(e.percent_change.estimate, 1)
        (0.629, -37.1)
        >>> e.p_value < 1e-10
        True
    """
    c1 = check_count(count1, "count1")
    c2 = check_count(count2, "count2")
    e1 = check_positive(exposure1, "exposure1")
    e2 = check_positive(exposure2, "exposure2")
    level = check_conf_level(conf_level)
    key = check_method(method, _RATIO_METHODS, _RATIO_ALIASES)
    phi = check_dispersion(dispersion)
    _check_ratio_method(c1, c2, key, phi)
    if key == "exact-cond":
        return _exact_conditional(c1, c2, e1, e2, level, phi)
    if phi != 1.0:
        return _dispersed_wald(c1, c2, e1, e2, level, phi)

    test_method, _, description = _RATIO_METHODS[key]
    # statsmodels compares rate1 / rate2 of *its* first sample against the second,
    # so group 2 goes first. A zero baseline count makes statsmodels divide by zero
    # when it stores the observed ratio (an expected infinity, not an error).
    with np.errstate(divide="ignore") if c1 == 0 else contextlib.nullcontext():
        result = sm_rates.test_poisson_2indep(c2, e2, c1, e1, method=test_method, compare="ratio")
    limits = _ratio_limits(c1, c2, e1, e2, level, key)
    return _ratio_estimate(
        (c1, c2), (e1, e2), level, limits, float(result.pvalue), description,
        statistic=float(result.statistic),
    )


def _check_ratio_method(c1: int, c2: int, key: str, phi: float) -> None:
    """Refuse counts and a dispersion that method ``key`` cannot handle (ValueError)."""
    if phi != 1.0 and key not in _DISPERSED_RATIO_METHODS:
        raise ValueError(f"dispersion must be 1 for method={key!r} (use 'exact-cond' or "
                         f"'wald'), got {phi!r}")
    if c1 == 0 and c2 == 0:
        raise ValueError("count1 and count2 must not both be 0, got count1=0, count2=0")
    if key not in _EXACT_RATIO_METHODS:
        for name, value in (("count1", c1), ("count2", c2)):
            if value == 0:
                raise ValueError(
                    f"{name} must be positive for method={key!r} (use method='exact-cond' "
                    f"for a zero count), got {value}"
                )


def _ratio_limits(
    c1: int, c2: int, e1: float, e2: float, level: float, key: str
) -> tuple[float, float]:
    """Confidence limits of the rate ratio ``rate2 / rate1`` by the interval of ``key``."""
    test_method, interval, _ = _RATIO_METHODS[key]
    alpha = 1.0 - level
    if interval == "cond-midp":
        p_low, p_high = _binomial_midp_limits(c2, c1 + c2, alpha)
        return _odds_to_ratio(p_low, e1, e2), _odds_to_ratio(p_high, e1, e2)
    # statsmodels' Nelder-Mead inversion probes ratios <= 0 (sqrt or log of a
    # non-positive number); those probes are its business, the limits are polished.
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = sm_rates.confint_poisson_2indep(
            c2, e2, c1, e1, method=interval, compare="ratio", alpha=alpha
        )
    if interval not in _POLISHED_INTERVALS:
        return float(low), float(high)
    polished = _polish_limits(c2, e2, c1, e1, alpha, test_method, (float(low), float(high)))
    if polished[0] is None or polished[1] is None:
        raise ValueError(
            f"count1 and count2 are too small for method={key!r} at conf_level="
            f"{level:g} (the test rejects no ratio on one side; use "
            f"method='exact-cond'), got count1={c1}, count2={c2}"
        )
    return polished[0], polished[1]


def _ratio_estimate(
    counts: tuple[int, int], exposures: tuple[float, float], level: float,
    limits: tuple[float, float], p_value: float, description: str,
    statistic: float = math.nan,
) -> Estimate:
    """The rate-ratio :class:`Estimate` with its percentage change.

    ``statistic`` is the test statistic (NaN for the exact and the dispersed methods).
    """
    (c1, c2), (e1, e2) = counts, exposures
    rate1, rate2 = c1 / e1, c2 / e2
    ratio = rate2 / rate1 if c1 > 0 else math.inf
    return Estimate(
        metric="rate_ratio", estimate=ratio, ci_low=limits[0], ci_high=limits[1],
        conf_level=level, p_value=p_value,
        method=f"Poisson rate ratio (group 2 vs group 1), {description}",
        inputs={"count1": c1, "count2": c2, "exposure1": e1, "exposure2": e2},
        extra={"rate1": rate1, "rate2": rate2, "statistic": statistic},
        percent_change=PercentChange.of_ratio(ratio, *limits),
    )


def _dispersed_wald(
    c1: int, c2: int, e1: float, e2: float, level: float, phi: float,
) -> Estimate:
    """Wald rate ratio under a quasi-Poisson scale ``phi``: standard error times sqrt(phi)."""
    alpha = 1.0 - level
    log_ratio = math.log((c2 / e2) / (c1 / e1))
    se = math.sqrt(phi * (1.0 / c1 + 1.0 / c2))
    z = float(stats.norm.isf(alpha / 2))
    p_value = float(2.0 * stats.norm.sf(abs(log_ratio) / se))
    limits = (math.exp(log_ratio - z * se), math.exp(log_ratio + z * se))
    text = (f"Wald test of the log rate ratio; CI: Wald on the log scale, SE = sqrt(phi "
            f"(1/count1 + 1/count2)), phi = {phi:g}")
    return _ratio_estimate((c1, c2), (e1, e2), level, limits, p_value, text)


def _exact_conditional(
    c1: int, c2: int, e1: float, e2: float, level: float, phi: float,
) -> Estimate:
    """The exact conditional test and interval, effective counts divided by ``phi``.

    Given ``c1 + c2``, ``c2`` is binomial with ``p0 = e2 / (e1 + e2)`` under equal rates.
    The p-value is the central one (twice the smaller tail), the interval the central
    Clopper-Pearson interval of the proportion mapped to the ratio; both accept the
    non-integer effective counts of a dispersed model.
    """
    x, n = c2 / phi, (c1 + c2) / phi
    p_low, p_high = clopper_pearson_limits(x, n, 1.0 - level)
    limits = (_odds_to_ratio(p_low, e1, e2) if c2 > 0 else 0.0,
              _odds_to_ratio(p_high, e1, e2) if c1 > 0 else math.inf)
    text = _RATIO_METHODS["exact-cond"][2]
    if phi != 1.0:
        text += f"; effective counts divided by the dispersion {phi:g}"
    return _ratio_estimate((c1, c2), (e1, e2), level, limits,
                           central_p(x, n, e2 / (e1 + e2)), text)


def _per_label(per: float) -> str:
    return str(int(per)) if float(per).is_integer() else f"{per:g}"


def rate_per_population(
    count: int,
    population: float,
    *,
    per: float = 100_000,
    conf_level: float = 0.95,
    method: str = "exact",
    dispersion: float = 1.0,
) -> Estimate:
    """Rate of events per ``per`` persons, with a Poisson confidence interval.

    Methods (all via :func:`statsmodels.stats.rates.confint_poisson`):

    * ``"exact"`` (default; aliases ``"garwood"``, ``"exact-c"``): the Garwood
      interval, ``chi2.ppf(alpha/2, 2k)/2`` to ``chi2.ppf(1-alpha/2, 2k+2)/2``
      events (lower limit 0 when k = 0), divided by the population.
    * ``"score"``: the score interval.
    * ``"wald"``: ``k +/- z sqrt(k)`` events, lower limit truncated at 0.

    Args:
        count: Number of events (e.g. registered child victims), at most ``population``.
        population: Persons at risk (e.g. the child population), > 0.
        per: Express the rate per this many persons (default 100,000).
        conf_level: Confidence level of the interval, in (0, 1).
        method: One of :data:`RATE_METHODS` (or an alias).
        dispersion: Quasi-Poisson scale ``phi >= 1``: the interval is computed for the
            effective count ``count / phi`` over ``population / phi`` (same rate, wider
            interval).

    Returns:
        An :class:`~analysis.stats.estimates.Estimate` with metric ``"rate_per_<per>"``
        (e.g. ``"rate_per_100000"``) and ``p_value`` None.

    Raises:
        ValueError: For a negative or non-integer count, a non-positive
            population or ``per``, a count larger than the population, a
            confidence level outside (0, 1), or an unknown method.

    Example:
        746 registered child victims of child pornography (2014) among
        20,310,400 children:

        >>> e = rate_per_population(746, 20_310_400)
        >>> e.metric, round(e.estimate, 2), round(e.ci_low, 2), round(e.ci_high, 2)
        ('rate_per_100000', 3.67, 3.41, 3.95)
    """
    k = check_count(count, "count")
    n = check_positive(population, "population")
    scale = check_positive(per, "per")
    check_count_within(k, n, "count", "population")
    level = check_conf_level(conf_level)
    key = check_method(method, _RATE_METHODS, _RATE_ALIASES)
    sm_method, description = _RATE_METHODS[key]
    phi = check_dispersion(dispersion)
    low, high = sm_rates.confint_poisson(k / phi, n / phi, method=sm_method, alpha=1.0 - level)
    if phi != 1.0:
        description += f", effective count divided by the dispersion {phi:g}"
    low, high = max(float(low), 0.0), float(high)
    if k == 0:
        low = 0.0
    return Estimate(
        metric=f"rate_per_{_per_label(scale)}",
        estimate=k / n * scale,
        ci_low=low * scale,
        ci_high=high * scale,
        conf_level=level,
        p_value=None,
        method=f"Poisson rate per {_per_label(scale)}, {description}",
        inputs={"count": k, "population": n, "per": scale},
        extra={},
    )
