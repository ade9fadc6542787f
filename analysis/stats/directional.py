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
from statsmodels.stats.multitest import multipletests

from analysis.stats.estimates import (
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
    "clopper_pearson_limits",
    "dispersion_flip",
    "holm",
    "intersection_union",
    "log_tail",
    "rate_direction",
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


def _jeffreys_direction(successes: float, trials: float, p0: float, side: str) -> float:
    """Posterior probability of ``pi > p0`` (or ``< p0``) under the Jeffreys Beta(1/2, 1/2)."""
    posterior = sps.beta(successes + 0.5, trials - successes + 0.5)
    return float(posterior.sf(p0) if side == "above" else posterior.cdf(p0))


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
        prob_direction: Posterior probability of the claimed side (Jeffreys prior).
        verdict: One of :data:`VERDICTS`.
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
    prob_direction: float
    verdict: str

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
    other = "below" if side == "above" else "above"
    xe, ne = x / phi, n / phi
    log_p, log_p_other = log_tail(xe, ne, p0, side), log_tail(xe, ne, p0, other)
    low, high = clopper_pearson_limits(xe, ne, alpha)
    return DirectionalTest(
        estimate=to_scale(x / n), ci_low=to_scale(low), ci_high=to_scale(high),
        reference=to_scale(p0), side=side, conf_level=1.0 - alpha, dispersion=phi,
        log_p=log_p, log_p_other=log_p_other,
        prob_direction=_jeffreys_direction(xe, ne, p0, side),
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
    component is, *inconclusive* otherwise. ``prob_direction`` is the product of the
    components' (independent posteriors).

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
        prob_direction=math.prod(t.prob_direction for t in tests), verdict=verdict,
    )


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
    base = verdict_at(1.0)
    steps = max(2, int(16 * math.log2(max(upper, 2.0))))
    grid = np.geomspace(1.0, max(upper, 1.0 + 1e-6), steps)
    previous = 1.0
    for phi in grid[1:]:
        if verdict_at(float(phi)) != base:
            low, high = previous, float(phi)
            while high - low > tol * low:
                middle = 0.5 * (low + high)
                low, high = (middle, high) if verdict_at(middle) == base else (low, middle)
            return high
        previous = float(phi)
    return None


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (statsmodels ``multipletests``, ``method='holm'``).

    Args:
        p_values: The family's p-values.

    Returns:
        The adjusted p-values, in input order.
    """
    if not p_values:
        return []
    return [float(p) for p in multipletests(list(p_values), method="holm")[1]]
