"""Directional claims: one-sided exact tests, the intervals that invert them, and sensitivity.

A claim such as "decreased" or "more than 80 per cent" says which side of a reference value
a quantity lies on. Every test here reduces the claim to a binomial proportion ``pi``:

* a share ``x`` of ``n`` directly (reference: the threshold);
* two Poisson counts ``c1`` (earlier) and ``c2`` (later) through the conditional binomial:
  given ``c1 + c2``, ``c2`` is binomial with ``pi = RR / (1 + RR)`` where ``RR`` is the rate
  ratio later/earlier (reference ``pi = 1/2``, i.e. ``RR = 1``).

**Over-dispersion.** Registered counts vary more than Poisson counts when, for example,
police activity fluctuates. With a quasi-Poisson scale ``phi >= 1`` (for shares: a design
effect) the counts carry the information of ``x / phi`` successes in ``n / phi`` trials. The
exact binomial tail ``P(X >= x) = I_p(x, n - x + 1)`` (regularized incomplete beta) extends
to these non-integer effective counts, and so does the Clopper-Pearson interval, which is
its inversion. At ``phi = 1`` both are scipy's exact binomial test and interval.

**Year-to-year noise (multiplicative).** A second model for two registered counts treats each
year's count as Poisson with a mean that carries a log-normal year effect:
``Y_t ~ Poisson(mu_t exp(e_t))``, ``e_t ~ N(0, sigma^2)`` independently for each year
(the Poisson-log-normal mixture; its variance ``mu + (exp(sigma^2) - 1) mu^2`` grows with the
square of the mean, like the negative binomial's). The claim concerns ``mu_2 / mu_1``; the
log of the observed ratio is then approximately normal with variance
``1/c1 + 1/c2 + 2 sigma^2`` (delta method for the Poisson part), which gives a one-sided
z-test, its central interval and a closed-form ``sigma`` at which the verdict changes
(:func:`lognormal_direction`, :func:`noise_flip`).

**Agreement by construction.** The central ``conf_level`` interval is the set of reference
values that neither one-sided test rejects at ``alpha / 2``, ``alpha = 1 - conf_level``. A
claim is *supported* when the one-sided p-value in the claimed direction is below
``alpha / 2`` (the interval lies wholly on the claimed side), *contradicted* when the
one-sided p-value in the other direction is (the interval lies wholly on the other side),
and *inconclusive* otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as sps

from analysis.stats.estimates import (
    check_at_least,
    check_conf_level,
    check_count,
    check_count_within,
    check_dispersion,
)

__all__ = [
    "SIDES",
    "VERDICTS",
    "DirectionalTest",
    "binomial_direction",
    "central_p",
    "check_sigma",
    "clopper_pearson_limits",
    "dispersion_flip",
    "first_change",
    "holm",
    "intersection_union",
    "log_tail",
    "lognormal_direction",
    "noise_flip",
    "rate_direction",
    "spaced_grid",
    "tail_pair",
    "year_noise_sigma",
]

#: The side of the reference a claim asserts.
SIDES: tuple[str, ...] = ("above", "below")
#: Model-based verdicts of a directional test.
VERDICTS: tuple[str, ...] = ("supported", "inconclusive", "contradicted")
#: Below this a p-value is computed from the log tail (continued fraction), not from scipy.
_TINY = 1e-250
_LN10 = math.log(10.0)


def _log_betainc_cf(a: float, b: float, z: float) -> float:
    """Natural log of the regularized incomplete beta ``I_z(a, b)`` by its continued fraction.

    Lentz's evaluation of the classical continued fraction, valid (and fast) for
    ``z < (a + 1) / (a + b + 2)``; used only in the far tail, where ``I_z`` underflows.
    """
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * z / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for aa in (
            m * (b - m) * z / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * z / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    front = a * math.log(z) + b * math.log1p(-z) - special.betaln(a, b) - math.log(a)
    return front + math.log(h)


def _log_betainc(a: float, b: float, z: float) -> float:
    """``log I_z(a, b)`` that stays finite where ``I_z`` underflows."""
    if z <= 0.0:
        return -math.inf
    if z >= 1.0:
        return 0.0
    value = float(special.betainc(a, b, z))
    if value > _TINY or z >= (a + 1.0) / (a + b + 2.0):
        return math.log(value) if value > 0 else -math.inf
    return _log_betainc_cf(a, b, z)


def log_tail(successes: float, trials: float, p0: float, side: str) -> float:
    """Natural log of the one-sided exact binomial p-value, for real-valued counts.

    ``side="above"`` is the evidence that the proportion exceeds ``p0``: ``P(X >= x)``;
    ``side="below"``: ``P(X <= x)``. Both are regularized incomplete beta functions, which
    extend the binomial tail to the effective (non-integer) counts of an over-dispersed model.

    Args:
        successes: ``x``, with ``0 <= x <= n`` (may be fractional).
        trials: ``n > 0`` (may be fractional).
        p0: The reference proportion, in (0, 1).
        side: ``"above"`` or ``"below"``.

    Returns:
        ``log p`` (``0.0`` when the tail is the whole distribution).
    """
    if side == "above":
        return 0.0 if successes <= 0 else _log_betainc(successes, trials - successes + 1, p0)
    if successes >= trials:
        return 0.0
    return _log_betainc(trials - successes, successes + 1, 1.0 - p0)


def central_p(successes: float, trials: float, p0: float) -> float:
    """Two-sided central exact binomial p-value: twice the smaller one-sided tail, capped at 1.

    The test the central Clopper-Pearson interval (:func:`clopper_pearson_limits`) inverts;
    like :func:`log_tail` it accepts the real-valued effective counts of a dispersed model.

    Args:
        successes: ``x``, with ``0 <= x <= n`` (may be fractional).
        trials: ``n > 0`` (may be fractional).
        p0: The reference proportion, in [0, 1].

    Returns:
        The p-value (1 or 0 at ``p0`` 0 or 1, by whether ``x`` equals ``p0 n``).
    """
    if p0 in (0.0, 1.0):
        return 1.0 if successes == p0 * trials else 0.0
    smaller = min(log_tail(successes, trials, p0, "above"), log_tail(successes, trials, p0,
                                                                      "below"))
    return min(1.0, 2.0 * math.exp(smaller))


def tail_pair(
    successes: float, trials: float, p0: float, side: str, dispersion: float = 1.0,
) -> tuple[float, float]:
    """Log one-sided p-values in the claimed and the opposite direction, effective counts.

    The cheap core of :func:`binomial_direction` and :func:`rate_direction` (no interval):
    the counts count as ``successes / dispersion`` of ``trials / dispersion``.

    Args:
        successes: ``x``.
        trials: ``n``.
        p0: The reference proportion, in (0, 1).
        side: The claimed side, ``"above"`` or ``"below"``.
        dispersion: Quasi-Poisson scale or design effect, at least 1.

    Returns:
        ``(log p_claimed, log p_opposite)``.
    """
    xe, ne = successes / dispersion, trials / dispersion
    other = "below" if side == "above" else "above"
    return log_tail(xe, ne, p0, side), log_tail(xe, ne, p0, other)


def clopper_pearson_limits(successes: float, trials: float, alpha: float) -> tuple[float, float]:
    """Central Clopper-Pearson limits at level ``1 - alpha`` for real-valued counts.

    Args:
        successes: ``x``, with ``0 <= x <= n`` (may be fractional).
        trials: ``n > 0`` (may be fractional).
        alpha: One minus the confidence level.

    Returns:
        The lower and upper limits of the proportion (0 at ``x = 0``, 1 at ``x = n``).
    """
    low = 0.0 if successes <= 0 else float(sps.beta.ppf(alpha / 2, successes,
                                                           trials - successes + 1))
    high = 1.0 if successes >= trials else float(sps.beta.isf(alpha / 2, successes + 1,
                                                              trials - successes))
    return low, high


def _verdict(log_p_claimed: float, log_p_other: float, alpha: float) -> str:
    cut = math.log(alpha / 2)
    if log_p_claimed < cut:
        return "supported"
    if log_p_other < cut:
        return "contradicted"
    return "inconclusive"


def _jeffreys_log_opposite(successes: float, trials: float, p0: float, side: str) -> float:
    """Log posterior probability of the side opposite ``side``, Jeffreys Beta(1/2, 1/2) prior.

    The posterior is Beta(x + 1/2, n - x + 1/2); ``P(pi <= p0)`` is the regularized
    incomplete beta ``I_p0(a, b)``, computed on the log scale so that it never rounds to 0
    (and the claimed side's probability, its complement, never to exactly 1).
    """
    a, b = successes + 0.5, trials - successes + 0.5
    if side == "above":
        return _log_betainc(a, b, p0)
    return _log_betainc(b, a, 1.0 - p0)


@dataclass(frozen=True)
class DirectionalTest:
    """A one-sided test of a claimed direction with the interval that inverts it.

    Attributes:
        estimate: Point estimate on the claim's scale (a proportion or a rate ratio).
        ci_low: Lower limit of the central interval (same scale).
        ci_high: Upper limit.
        reference: The reference value on the claim's scale (threshold, or 1 for ratios).
        side: The claimed side of the reference, ``"above"`` or ``"below"``.
        conf_level: Confidence level of the interval.
        dispersion: Quasi-Poisson scale (design effect) used.
        log_p: Natural log of the one-sided p-value in the claimed direction.
        log_p_other: Natural log of the one-sided p-value in the opposite direction.
        log_prob_opposite: Natural log of the posterior probability of the opposite side
            (Jeffreys prior for the binomial tests; a flat prior on the log ratio for the
            log-normal test, where it equals ``log_p``). Kept on the log scale: the claimed
            side's probability, its complement, is often within 1e-16 of 1.
        verdict: One of :data:`VERDICTS`.
        noise_sigma: The log-normal year-noise ``sigma`` of :func:`lognormal_direction`
            (0 for the binomial tests).
    """

    estimate: float
    ci_low: float
    ci_high: float
    reference: float
    side: str
    conf_level: float
    dispersion: float
    log_p: float
    log_p_other: float
    log_prob_opposite: float
    verdict: str
    noise_sigma: float = 0.0

    @property
    def p_value(self) -> float:
        """The one-sided p-value in the claimed direction (may underflow to 0.0; see log10_p)."""
        return math.exp(self.log_p)

    @property
    def log10_p(self) -> float:
        """Base-10 log of :attr:`p_value`, finite even where the p-value underflows."""
        return self.log_p / _LN10


def _check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return side


def _binomial_test(
    x: int, n: int, p0: float, side: str, conf_level: float, dispersion: float,
    to_scale: Callable[[float], float],
) -> DirectionalTest:
    alpha = 1.0 - check_conf_level(conf_level)
    phi = check_dispersion(dispersion)
    xe, ne = x / phi, n / phi
    log_p, log_p_other = tail_pair(x, n, p0, side, phi)
    low, high = clopper_pearson_limits(xe, ne, alpha)
    return DirectionalTest(
        estimate=to_scale(x / n), ci_low=to_scale(low), ci_high=to_scale(high),
        reference=to_scale(p0), side=side, conf_level=1.0 - alpha, dispersion=phi,
        log_p=log_p, log_p_other=log_p_other,
        log_prob_opposite=_jeffreys_log_opposite(xe, ne, p0, side),
        verdict=_verdict(log_p, log_p_other, alpha),
    )


def binomial_direction(
    successes: int, total: int, threshold: float, side: str, *,
    conf_level: float = 0.95, dispersion: float = 1.0,
) -> DirectionalTest:
    """Test "the share of ``successes`` in ``total`` lies ``side`` ``threshold``".

    Args:
        successes: Count with the property (e.g. 1,130 girls).
        total: Count of all (e.g. 1,212 victims); at least 1.
        threshold: The reference proportion, in (0, 1).
        side: ``"above"`` or ``"below"``.
        conf_level: Confidence level of the central interval.
        dispersion: Design effect (>= 1): the counts count as ``successes / dispersion`` of
            ``total / dispersion``.

    Returns:
        The :class:`DirectionalTest` on the proportion scale.

    Raises:
        ValueError: A bad count, threshold, side, level or dispersion; the message names it.
    """
    x = check_count(successes, "successes")
    n = check_count(total, "total", positive=True)
    check_count_within(x, n, "successes", "total")
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold!r}")
    return _binomial_test(x, n, float(threshold), _check_side(side), conf_level, dispersion,
                          lambda p: p)


def _odds(p: float) -> float:
    return math.inf if p >= 1.0 else p / (1.0 - p)


def rate_direction(
    earlier: int, later: int, side: str, *, conf_level: float = 0.95, dispersion: float = 1.0,
) -> DirectionalTest:
    """Test "the later count is ``side`` the earlier one" (rate ratio later/earlier vs 1).

    The exact conditional test: given ``earlier + later``, ``later`` is binomial with
    ``pi = RR / (1 + RR)``; the test of ``pi = 1/2`` and the Clopper-Pearson interval of
    ``pi`` mapped to ``RR = pi / (1 - pi)``. Equal exposures are assumed (the report's
    counts are of the same country in two years).

    Args:
        earlier: The earlier count (e.g. 741 in 2010).
        later: The later count (e.g. 466 in 2014).
        side: ``"above"`` for a claimed increase, ``"below"`` for a decrease.
        conf_level: Confidence level of the central interval.
        dispersion: Quasi-Poisson scale ``phi >= 1``.

    Returns:
        The :class:`DirectionalTest` on the rate-ratio scale (reference 1).

    Raises:
        ValueError: A bad count, side, level or dispersion, or both counts zero.
    """
    c1 = check_count(earlier, "earlier")
    c2 = check_count(later, "later")
    if c1 + c2 == 0:
        raise ValueError("earlier and later must not both be 0")
    return _binomial_test(c2, c1 + c2, 0.5, _check_side(side), conf_level, dispersion, _odds)


def intersection_union(tests: Sequence[DirectionalTest]) -> DirectionalTest:
    """Intersection-union test: every series moved in its claimed direction.

    The claim holds only if each component claim holds, so its p-value is the largest
    component p-value (Berger's intersection-union test, level alpha without adjustment).
    The returned test is the binding (largest-p) component's, whose interval is the one that
    decides; its verdict is *supported* when all components are, *contradicted* when any
    component is, *inconclusive* otherwise. The posterior probability that every component
    lies on its claimed side is the product of the components' (independent posteriors), so
    ``log_prob_opposite`` is the log of one minus that product.

    Args:
        tests: Component tests (at least two), same level and dispersion.

    Returns:
        The binding component with the joint verdict and direction probability.
    """
    if len(tests) < 2:
        raise ValueError(f"tests must hold at least 2 components, got {len(tests)}")
    binding = max(tests, key=lambda t: t.log_p)
    verdicts = {t.verdict for t in tests}
    verdict = ("contradicted" if "contradicted" in verdicts
               else "supported" if verdicts == {"supported"} else "inconclusive")
    return DirectionalTest(
        estimate=binding.estimate, ci_low=binding.ci_low, ci_high=binding.ci_high,
        reference=binding.reference, side=binding.side, conf_level=binding.conf_level,
        dispersion=binding.dispersion, log_p=binding.log_p,
        log_p_other=min(t.log_p_other for t in tests),
        log_prob_opposite=_log_any(tuple(t.log_prob_opposite for t in tests)),
        verdict=verdict, noise_sigma=binding.noise_sigma,
    )


def _log_any(log_qs: tuple[float, ...]) -> float:
    """``log(1 - prod(1 - q_i))`` from ``log q_i``: the chance that some event happens.

    When every ``q_i`` is tiny the result is ``log(sum q_i)`` to double precision, computed
    by log-sum-exp so that it never underflows.
    """
    if max(log_qs) < -30.0:
        return float(special.logsumexp(log_qs))
    log_none = sum(math.log1p(-math.exp(q)) for q in log_qs)
    return math.log(-math.expm1(log_none))


def check_sigma(value: object, name: str = "noise_sigma") -> float:
    """Validate a year-noise standard deviation on the log scale: a finite number >= 0.

    Args:
        value: The candidate value.
        name: The argument name, used in the error message.

    Returns:
        The value as a float.

    Raises:
        ValueError: If ``value`` is not a finite number of at least 0.
    """
    return check_at_least(value, 0.0, name)


def _log_ratio_and_variance(earlier: int, later: int) -> tuple[float, float]:
    c1 = check_count(earlier, "earlier", positive=True)
    c2 = check_count(later, "later", positive=True)
    return math.log(c2 / c1), 1.0 / c1 + 1.0 / c2


def lognormal_direction(
    earlier: int, later: int, side: str, *, noise_sigma: float, conf_level: float = 0.95,
) -> DirectionalTest:
    """Test a claimed change of two counts under a log-normal year effect of size ``sigma``.

    Model: ``Y_t ~ Poisson(mu_t exp(e_t))`` with ``e_t ~ N(0, sigma^2)`` for each of the two
    years, independently; the claim is about ``RR = mu_2 / mu_1`` (the level the years'
    registering process would give on average, not the two years' realized counts). Then
    ``log(c2 / c1)`` is approximately ``N(log RR, 1/c1 + 1/c2 + 2 sigma^2)``: a one-sided
    z-test in the claimed direction at ``alpha / 2`` and the central Wald interval that
    inverts it. At ``sigma = 0`` this is the Wald test of Poisson counts.

    Args:
        earlier: The earlier count (positive).
        later: The later count (positive).
        side: ``"above"`` for a claimed increase, ``"below"`` for a decrease.
        noise_sigma: Standard deviation of the year effect on the log scale (0.1 is a
            year-to-year variation of about 10 per cent beyond Poisson), at least 0.
        conf_level: Confidence level of the central interval.

    Returns:
        The :class:`DirectionalTest` on the rate-ratio scale (reference 1);
        ``log_prob_opposite`` is the posterior of the opposite side under a flat prior on
        ``log RR``, which equals ``log_p``.

    Raises:
        ValueError: A count that is not a positive integer, a bad side, level or sigma.

    Example:
        >>> t = lognormal_direction(614, 746, "above", noise_sigma=0.1)
        >>> t.verdict, round(t.p_value, 3)
        ('inconclusive', 0.099)
    """
    log_ratio, poisson = _log_ratio_and_variance(earlier, later)
    sigma = check_sigma(noise_sigma)
    alpha = 1.0 - check_conf_level(conf_level)
    side = _check_side(side)
    se = math.sqrt(poisson + 2.0 * sigma**2)
    z = log_ratio / se
    up, down = float(special.log_ndtr(-z)), float(special.log_ndtr(z))
    log_p, log_p_other = (up, down) if side == "above" else (down, up)
    half = -float(special.ndtri(alpha / 2)) * se
    return DirectionalTest(
        estimate=math.exp(log_ratio), ci_low=math.exp(log_ratio - half),
        ci_high=math.exp(log_ratio + half), reference=1.0, side=side,
        conf_level=1.0 - alpha, dispersion=1.0, log_p=log_p, log_p_other=log_p_other,
        log_prob_opposite=log_p, verdict=_verdict(log_p, log_p_other, alpha),
        noise_sigma=sigma,
    )


def noise_flip(earlier: int, later: int, *, conf_level: float = 0.95) -> float | None:
    """The year-noise ``sigma`` at which the verdict of :func:`lognormal_direction` changes.

    The z statistic ``log(c2/c1) / sqrt(v + 2 sigma^2)`` (``v = 1/c1 + 1/c2``) reaches the
    critical value ``z_{alpha/2}`` at ``sigma = sqrt(((log(c2/c1) / z)^2 - v) / 2)``: below
    it the verdict at ``sigma = 0`` (supported or contradicted, whichever side is claimed)
    holds, above it the verdict is inconclusive.

    Args:
        earlier: The earlier count (positive).
        later: The later count (positive).
        conf_level: Confidence level (the test is one-sided at half of ``1 - conf_level``).

    Returns:
        The flip point, or ``None`` when the verdict is already inconclusive at ``sigma = 0``
        (more noise never makes it conclusive).

    Example:
        >>> round(noise_flip(614, 746), 4)
        0.0587
    """
    log_ratio, poisson = _log_ratio_and_variance(earlier, later)
    z = -float(special.ndtri((1.0 - check_conf_level(conf_level)) / 2))
    excess = (log_ratio / z) ** 2 - poisson
    return math.sqrt(excess / 2.0) if excess > 0 else None


def dispersion_flip(
    verdict_at: Callable[[float], str], upper: float, *, tol: float = 1e-9,
) -> float | None:
    """Smallest dispersion ``phi >= 1`` at which a verdict differs from its value at 1.

    The verdict is evaluated on a geometric grid from 1 to ``upper`` (16 points per
    doubling); the first change is then located by bisection to relative ``tol``.

    Args:
        verdict_at: The verdict as a function of the dispersion.
        upper: Largest dispersion considered (e.g. the total count: one effective trial).
        tol: Relative tolerance of the returned value.

    Returns:
        The flip point (the verdict changes just above it), or ``None`` when no
        ``phi`` in ``[1, upper]`` changes it.
    """
    steps = max(2, int(16 * math.log2(max(upper, 2.0))))
    grid = spaced_grid(1.0, max(upper, 1.0 + 1e-6), steps, geometric=True)
    return first_change(verdict_at, grid, tol=tol)


def spaced_grid(start: float, stop: float, points: int, *, geometric: bool) -> tuple[float, ...]:
    """``points`` values from ``start`` to ``stop``, evenly spaced (on a log scale if geometric).

    Computed with :mod:`math` one point at a time rather than ``numpy.geomspace``: NumPy's
    vectorised ``log``/``exp`` choose their code by processor, which moved a grid point, and
    so a flip bisected from it, in its 16th digit between two machines.

    Example:
        >>> [round(x, 12) for x in spaced_grid(1.0, 8.0, 4, geometric=True)]
        [1.0, 2.0, 4.0, 8.0]
    """
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    steps = points - 1
    inner = (
        (start * (stop / start) ** (i / steps) for i in range(1, steps)) if geometric
        else (start + (stop - start) * i / steps for i in range(1, steps))
    )
    return (start, *inner, stop)


def year_noise_sigma(counts: Sequence[int]) -> float:
    """A moment estimate of the log-normal year noise from a series of consecutive years.

    Under the model of :func:`lognormal_direction` with a mean that moves smoothly (linearly
    on the log scale) from year to year, each second difference of the log counts,
    ``s_t = log y_{t+1} - 2 log y_t + log y_{t-1}``, has mean 0 and variance
    ``6 sigma^2 + 1/y_{t-1} + 4/y_t + 1/y_{t+1}`` (the Poisson part by the delta method). So
    ``sigma^2 = (mean(s^2) - mean(Poisson part)) / 6``, floored at 0. A trend that curves
    inflates it; with a short series the estimate is very uncertain (three years give one
    second difference: one degree of freedom).

    Args:
        counts: The counts of consecutive years (at least three, all positive).

    Returns:
        The estimate of sigma (0 when the second differences are no larger than Poisson
        variation alone).

    Raises:
        ValueError: Fewer than three counts, or a count that is not a positive integer.

    Example:
        >>> round(year_noise_sigma([618, 638, 531]), 3)
        0.078
    """
    values = [check_count(c, f"counts[{i}]", positive=True) for i, c in enumerate(counts)]
    if len(values) < 3:
        raise ValueError(f"counts must hold at least 3 consecutive years, got {len(values)}")
    # math, one value at a time: NumPy's vectorised log depends on the processor (see
    # spaced_grid).
    logs = [math.log(v) for v in values]
    triples = range(1, len(values) - 1)
    second = [logs[t + 1] - 2.0 * logs[t] + logs[t - 1] for t in triples]
    poisson = [1.0 / values[t + 1] + 4.0 / values[t] + 1.0 / values[t - 1] for t in triples]
    mean_square = math.fsum(s * s for s in second) / len(second)
    return math.sqrt(max(0.0, (mean_square - math.fsum(poisson) / len(poisson)) / 6.0))


def first_change(
    verdict_at: Callable[[float], str], grid: Sequence[float], *, tol: float = 1e-9,
) -> float | None:
    """The first point of an increasing grid where a verdict differs from its value at the start.

    The grid is scanned in order; the change between two grid points is then located by
    bisection to ``tol`` relative to the larger point (absolute ``tol`` near 0).

    Args:
        verdict_at: The verdict as a function of the parameter.
        grid: Increasing parameter values; the first is the reference point.
        tol: Tolerance of the returned value.

    Returns:
        The change point (the verdict differs just above it), or ``None`` when the verdict
        is the same at every grid point.
    """
    base = verdict_at(grid[0])
    previous = grid[0]
    for value in grid[1:]:
        if verdict_at(value) != base:
            low, high = previous, value
            while high - low > tol * max(high, 1.0):
                middle = 0.5 * (low + high)
                low, high = (middle, high) if verdict_at(middle) == base else (low, middle)
            return high
        previous = value
    return None


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: sorted ``p_(i)`` times ``m - i + 1``, running maximum, cap 1.

    The closed form, not statsmodels' ``multipletests`` (which agrees to the last digit but
    runs a full garbage collection on every call, too slow for the flip searches that adjust
    the family thousands of times).

    Args:
        p_values: The family's p-values.

    Returns:
        The adjusted p-values, in input order.
    """
    if not p_values:
        return []
    values = np.asarray(p_values, dtype=float)
    order = np.argsort(values, kind="stable")
    scaled = values[order] * np.arange(len(values), 0, -1)
    adjusted = np.empty_like(values)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return [float(p) for p in adjusted]
