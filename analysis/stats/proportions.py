"""Proportions and percentages: intervals, compositions and rounding checks.

* :func:`proportion_ci` -- a proportion with a binomial confidence interval
  (Wilson by default) and optionally an exact binomial test.
* :func:`share_bounds` -- the bounds of a share when some outcomes are not stated, and
  the share among the stated outcomes (which is not a bound).
* :func:`composition` -- shares of a total, with an explicit remainder row when
  the reported parts do not add up to the total.
* :func:`percentage_consistency` -- is a printed percentage consistent with
  count / total under the report's rounding?
* :func:`implied_total` -- which whole-number totals make "count is p per cent
  of the total" true under rounding?

The rounding checks use exact rational arithmetic (:class:`fractions.Fraction`),
so a percentage that lies exactly on a rounding boundary is classified
correctly. A reported percentage ``p`` printed with ``d`` decimals is taken to
stand for the half-open interval ``[p - 0.5 * 10**-d, p + 0.5 * 10**-d)``
(rounding half up).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analysis.stats.directional import central_p
from analysis.stats.estimates import (
    Estimate,
    check_conf_level,
    check_count,
    check_count_within,
    check_dispersion,
    check_method,
    check_positive,
)

__all__ = [
    "PROPORTION_METHODS",
    "composition",
    "implied_total",
    "percentage_consistency",
    "proportion_ci",
    "ShareBounds",
    "share_bounds",
]

# name -> (statsmodels proportion_confint method, description)
_PROPORTION_METHODS: dict[str, tuple[str, str]] = {
    "wilson": ("wilson", "Wilson score interval"),
    "beta": ("beta", "Clopper-Pearson exact interval"),
    "agresti_coull": ("agresti_coull", "Agresti-Coull interval"),
    "jeffreys": ("jeffreys", "Jeffreys interval (limits 0/1 at x = 0/n)"),
    "normal": ("normal", "Wald (normal approximation) interval, clipped to [0, 1]"),
}
_PROPORTION_ALIASES: dict[str, str] = {
    "clopper-pearson": "beta",
    "clopper_pearson": "beta",
    "exact": "beta",
    "agresti-coull": "agresti_coull",
    "wald": "normal",
}

#: Methods accepted by :func:`proportion_ci` (aliases: ``"clopper-pearson"``,
#: ``"clopper_pearson"`` and ``"exact"`` for ``"beta"``; ``"agresti-coull"``;
#: ``"wald"`` for ``"normal"``).
PROPORTION_METHODS: tuple[str, ...] = tuple(_PROPORTION_METHODS)


def _check_probability(value: object, name: str) -> float:
    message = f"{name} must be a number between 0 and 1, got {value!r}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    result = float(value)
    if not 0.0 <= result <= 1.0:  # also rejects NaN
        raise ValueError(message)
    return result


def proportion_ci(
    successes: int,
    total: int,
    *,
    conf_level: float = 0.95,
    method: str = "wilson",
    null: float | None = None,
    dispersion: float = 1.0,
) -> Estimate:
    """A proportion with a binomial confidence interval.

    The interval comes from :func:`statsmodels.stats.proportion.proportion_confint`.
    For ``"jeffreys"`` the lower limit is set to 0 when ``successes == 0`` and the
    upper to 1 when ``successes == total`` (Brown, Cai & DasGupta 2001);
    statsmodels does not do this, so its Jeffreys interval would exclude the
    estimate at the boundaries.

    Args:
        successes: Number of "successes" (e.g. cases with an arrest).
        total: Number of trials (e.g. all cases), > 0.
        conf_level: Confidence level of the interval, in (0, 1).
        method: ``"wilson"`` (default), ``"beta"`` (Clopper-Pearson; alias
            ``"clopper-pearson"``), ``"agresti_coull"``, ``"jeffreys"`` or
            ``"normal"``.
        null: Optional null-hypothesis proportion in [0, 1]; when given,
            ``p_value`` is the two-sided exact binomial test
            (:func:`scipy.stats.binomtest`), otherwise ``None``.
        dispersion: Design effect ``>= 1``: interval and test use the effective counts
            ``successes / dispersion`` of ``total / dispersion``; the test is then the
            central exact test (twice the smaller one-sided tail, by the regularized
            incomplete beta function, :func:`analysis.stats.directional.central_p`).

    Returns:
        An :class:`~analysis.stats.estimates.Estimate` with metric ``"proportion"``
        (a fraction in [0, 1]); ``extra`` holds the same numbers in per cent
        (``percent``, ``percent_ci_low``, ``percent_ci_high``).

    Raises:
        ValueError: For negative or non-integer counts, a zero total,
            ``successes > total``, a confidence level outside (0, 1), a ``null``
            outside [0, 1] or an unknown method.

    Example:
        Perpetrators were arrested in only 16 of 213 cases of sexual abuse:

        >>> e = proportion_ci(16, 213)
        >>> round(e.estimate, 4), round(e.ci_low, 4), round(e.ci_high, 4)
        (0.0751, 0.0468, 0.1185)
    """
    k = check_count(successes, "successes")
    n = check_count(total, "total", positive=True)
    check_count_within(k, n, "successes", "total")
    level = check_conf_level(conf_level)
    key = check_method(method, _PROPORTION_METHODS, _PROPORTION_ALIASES)
    sm_method, description = _PROPORTION_METHODS[key]
    null_p = None if null is None else _check_probability(null, "null")
    phi = check_dispersion(dispersion)

    low, high = proportion_confint(k / phi, n / phi, alpha=1.0 - level, method=sm_method)
    low, high = min(max(float(low), 0.0), 1.0), min(max(float(high), 0.0), 1.0)
    if key == "jeffreys":
        low = 0.0 if k == 0 else low
        high = 1.0 if k == n else high
    estimate = k / n
    # Guard against floating-point noise at the boundaries (e.g. 1 - 1e-17).
    low, high = min(low, estimate), max(high, estimate)

    p_value = None
    method_text = f"{description} (statsmodels proportion_confint, method={sm_method!r})"
    inputs: dict[str, Any] = {"successes": k, "total": n}
    if null_p is not None and phi == 1.0:
        p_value = float(stats.binomtest(k, n, p=null_p).pvalue)
        method_text += f"; exact binomial test of p = {null_p:g} (scipy binomtest)"
        inputs["null"] = null_p
    elif null_p is not None:
        p_value = central_p(k / phi, n / phi, null_p)
        method_text += f"; central exact binomial test of p = {null_p:g}"
        inputs["null"] = null_p
    if phi != 1.0:
        method_text += f"; effective counts divided by the design effect {phi:g}"
        inputs["dispersion"] = phi
    return Estimate(
        metric="proportion",
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        conf_level=level,
        p_value=p_value,
        method=method_text,
        inputs=inputs,
        extra={
            "percent": 100.0 * estimate,
            "percent_ci_low": 100.0 * low,
            "percent_ci_high": 100.0 * high,
        },
    )


@dataclass(frozen=True)
class ShareBounds:
    """A share of a total when some outcomes are not stated: two bounds and a third number.

    Attributes:
        lower: No unstated case has the property: ``part / total`` (the lower bound).
        upper: Every unstated case has it: ``(total - other) / total`` (the upper bound).
        among_stated: ``part / (part + other)``, the share among the stated outcomes. Not a
            bound: it assumes the unstated cases split as the stated ones do.
        unstated: How many outcomes are not stated (``total - part - other``).
    """

    lower: Estimate
    upper: Estimate
    among_stated: Estimate
    unstated: int

    #: Labels of :meth:`estimates`, in the same order.
    LABELS = ("lower bound: no unstated outcome counted", "upper bound: every unstated "
              "outcome counted", "among the stated outcomes (not a bound)")

    def estimates(self) -> tuple[Estimate, Estimate, Estimate]:
        """Lower bound, upper bound and the share among stated outcomes, in that order."""
        return self.lower, self.upper, self.among_stated


def share_bounds(
    part: int, other: int, total: int, *, conf_level: float = 0.95, method: str = "wilson",
    dispersion: float = 1.0,
) -> ShareBounds:
    """Bounds of the share of ``total`` with a property when some outcomes are unstated.

    Of ``total`` cases, ``part`` are stated to have the property (e.g. 1,391 of 2,331 cases
    opened for prosecution, para. 41) and ``other`` not to have it (567 dropped); the rest
    (373) are not accounted for. The share with the property lies between the two
    bounds whatever the unstated cases were; each bound comes with its binomial interval
    (:func:`proportion_ci`), so ``[lower.ci_low, upper.ci_high]`` covers both the missing
    outcomes and the binomial variation.

    Args:
        part: Cases stated to have the property.
        other: Cases stated not to have it.
        total: All cases.
        conf_level: Confidence level of every interval.
        method: Interval method, see :func:`proportion_ci`.
        dispersion: Design effect, see :func:`proportion_ci`.

    Returns:
        The :class:`ShareBounds`.

    Raises:
        ValueError: A bad count, or ``part + other`` above ``total``.

    Example:
        >>> b = share_bounds(1391, 567, 2331)
        >>> round(b.lower.estimate, 3), round(b.upper.estimate, 3), b.unstated
        (0.597, 0.757, 373)
    """
    n = check_count(total, "total", positive=True)
    k = check_count(part, "part")
    m = check_count(other, "other")
    check_count_within(k + m, n, "part + other", "total")

    def share(successes: int, trials: int) -> Estimate:
        return proportion_ci(successes, trials, conf_level=conf_level, method=method,
                             dispersion=dispersion)

    return ShareBounds(lower=share(k, n), upper=share(n - m, n),
                       among_stated=share(k, k + m), unstated=n - k - m)


def _check_amount(value: object, name: str, unit: str, *, positive: bool) -> float:
    if unit == "count":
        return float(check_count(value, name, positive=positive))
    if positive:
        return check_positive(value, name)
    message = f"{name} must be a non-negative finite number, got {value!r}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    result = float(value)
    if not math.isfinite(result) or result < 0:
        raise ValueError(message)
    return result


def composition(
    parts: Mapping[str, float],
    total: float,
    *,
    remainder_label: str = "not stated",
    unit: Literal["percent", "count"] = "percent",
    tolerance: float = 1e-9,
) -> pd.DataFrame:
    """Shares of a total, with an explicit remainder when the parts fall short.

    Reports often list some components of a total ("62 per cent ..., 30 per cent
    ..., 5 per cent ...") without the rest. This makes the unreported remainder
    explicit instead of letting the shares silently not add up.

    ``remainder = total - sum(parts)``. If it is larger than ``tolerance`` a
    remainder row is appended; if it is below ``-tolerance`` (the parts exceed
    the total) a :class:`ValueError` is raised; in between (rounding noise) no
    remainder row is added.

    Args:
        parts: Component name -> amount, in the order to report them.
        total: The total the parts belong to, > 0 (100 for percentages of a whole).
        remainder_label: Name of the remainder row; must differ from the part names.
        unit: The unit of ``parts`` and ``total``: ``"percent"`` (any
            non-negative numbers) or ``"count"`` (whole numbers, validated as counts).
        tolerance: Absolute slack, in the unit of the values, for rounding
            (e.g. 0.1 when percentages are printed to one decimal).

    Returns:
        A :class:`pandas.DataFrame` with columns ``component`` (str), ``value``
        (float; integer for ``unit="count"``), ``share`` (float, value / total, a fraction) and
        ``is_remainder`` (bool); ``attrs`` records ``total``, ``unit`` and
        ``remainder``.

    Raises:
        ValueError: If ``parts`` is empty, a part or the total is invalid for the
            unit, ``remainder_label`` collides with a part, the unit or
            tolerance is invalid, or the parts exceed the total beyond ``tolerance``.

    Example:
        The Safer Internet Association's illegal and harmful content (para. 45):

        >>> df = composition({"obscene expressions": 62, "child abuse material": 30,
        ...                   "revenge porn": 5}, 100)
        >>> df["component"].tolist()[-1], float(df["value"].iloc[-1])
        ('not stated', 3.0)
    """
    if unit not in ("percent", "count"):
        raise ValueError(f"unit must be 'percent' or 'count', got {unit!r}")
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, numbers.Real)
        or not (math.isfinite(float(tolerance)) and float(tolerance) >= 0)
    ):
        raise ValueError(f"tolerance must be a non-negative finite number, got {tolerance!r}")
    if not isinstance(parts, Mapping) or len(parts) == 0:
        raise ValueError(f"parts must be a non-empty mapping of name -> amount, got {parts!r}")
    if not isinstance(remainder_label, str) or not remainder_label:
        raise ValueError(f"remainder_label must be a non-empty string, got {remainder_label!r}")
    total_value = _check_amount(total, "total", unit, positive=True)
    names: list[str] = []
    values: list[float] = []
    for name, amount in parts.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"parts keys must be non-empty strings, got {name!r}")
        if name == remainder_label:
            raise ValueError(
                f"remainder_label must differ from the part names, got {remainder_label!r}"
            )
        names.append(name)
        values.append(_check_amount(amount, f"parts[{name!r}]", unit, positive=False))
    remainder = total_value - math.fsum(values)
    if remainder < -float(tolerance):
        raise ValueError(
            f"parts must not exceed total ({total_value:g}) beyond tolerance "
            f"({float(tolerance):g}), got parts summing to {math.fsum(values):g}"
        )
    flags = [False] * len(values)
    if remainder > float(tolerance):
        names.append(remainder_label)
        values.append(remainder)
        flags.append(True)
    frame = pd.DataFrame(
        {
            "component": pd.Series(names, dtype="str"),
            "value": pd.Series(values, dtype="int64" if unit == "count" else "float64"),
            "share": pd.Series([value / total_value for value in values], dtype="float64"),
            "is_remainder": pd.Series(flags, dtype="bool"),
        }
    )
    frame.attrs.update({"total": total_value, "unit": unit, "remainder": remainder})
    return frame


def _decimals_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an int exponent
    return max(0, -exponent)


def _reported_decimal(value: object, name: str) -> Decimal:
    """The reported percentage as an exact decimal, keeping its printed decimals.

    Floats are read through their shortest repr, so ``86.8`` means exactly 86.8
    with 1 decimal. Trailing zeros of a float are lost (``62.0`` reads as 62);
    pass a string (``"62.0"``) or ``decimals`` to keep them.
    """
    message = f"{name} must be a finite number or numeric string, got {value!r}"
    if isinstance(value, bool | np.bool_):
        raise ValueError(message)
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, numbers.Real):
        as_float = float(value)
        if not math.isfinite(as_float):
            raise ValueError(message)
        text = str(int(as_float)) if as_float.is_integer() else repr(as_float)
    else:
        raise ValueError(message)
    try:
        decimal = Decimal(text)
    except InvalidOperation:
        raise ValueError(message) from None
    if not decimal.is_finite():
        raise ValueError(message)
    return decimal


def _percent_and_decimals(
    reported_percent: object, decimals: int | None, *, allow_zero: bool
) -> tuple[Fraction, int]:
    """Validate a reported percentage and its number of printed decimals."""
    value = _reported_decimal(reported_percent, "reported_percent")
    lower_ok = value >= 0 if allow_zero else value > 0
    if not (lower_ok and value <= 100):
        bound = "[0, 100]" if allow_zero else "(0, 100]"
        raise ValueError(f"reported_percent must be in {bound}, got {reported_percent!r}")
    if decimals is None:
        return Fraction(value), _decimals_of(value)
    d = check_count(decimals, "decimals")
    needed = _decimals_of(value.normalize())
    if d < needed:
        raise ValueError(
            f"decimals must be at least {needed} (the decimals of reported_percent "
            f"{reported_percent!r}), got {d}"
        )
    return Fraction(value), d


def percentage_consistency(
    count: int,
    total: int,
    reported_percent: float | str,
    *,
    decimals: int | None = None,
) -> dict[str, Any]:
    """Check a printed percentage against count / total under the report's rounding.

    Args:
        count: The part (a whole number, at most ``total``).
        total: The whole (a positive whole number).
        reported_percent: The percentage as printed, e.g. ``86.8`` or ``"62"``.
        decimals: Decimals the report printed; inferred from ``reported_percent``
            when None (``62`` -> 0, ``86.8`` -> 1; a float loses trailing zeros,
            so pass ``"62.0"`` or ``decimals=1`` for a printed "62.0").

    Returns:
        A dict with ``count``, ``total``, ``reported_percent``, ``decimals``,
        ``exact_percent`` (100 x count / total), ``interval_low`` and
        ``interval_high`` (the half-open rounding interval
        ``[p - 0.5 x 10**-d, p + 0.5 x 10**-d)``), ``difference``
        (exact - reported, percentage points) and ``consistent`` (bool: the
        exact percentage lies in the interval).

    Raises:
        ValueError: For invalid counts, ``count > total``, a reported
            percentage outside [0, 100], or ``decimals`` negative or fewer than
            the decimals printed in ``reported_percent``.

    Example:
        106 of 141 convictions (2014) were suspended sentences; 75.2 %?

        >>> result = percentage_consistency(106, 141, 75.2)
        >>> round(result["exact_percent"], 3), result["consistent"]
        (75.177, True)
    """
    k = check_count(count, "count")
    n = check_count(total, "total", positive=True)
    check_count_within(k, n, "count", "total")
    percent, d = _percent_and_decimals(reported_percent, decimals, allow_zero=True)
    half = Fraction(1, 2 * 10**d)
    exact = Fraction(100 * k, n)
    low, high = percent - half, percent + half
    return {
        "count": k,
        "total": n,
        "reported_percent": float(percent),
        "decimals": d,
        "exact_percent": float(exact),
        "interval_low": float(low),
        "interval_high": float(high),
        "difference": float(exact - percent),
        "consistent": bool(low <= exact < high),
    }


def implied_total(
    count: int,
    reported_percent: float | str,
    *,
    decimals: int | None = None,
) -> dict[str, Any]:
    """Whole-number totals consistent with "count is p per cent of the total".

    A total N qualifies when ``100 * count / N`` lies in the rounding interval
    ``[p - 0.5 x 10**-d, p + 0.5 x 10**-d)`` and ``N >= count``.

    Args:
        count: The part (a positive whole number).
        reported_percent: The percentage as printed, in (0, 100].
        decimals: Decimals the report printed; inferred when None (see
            :func:`percentage_consistency`).

    Returns:
        A dict with ``count``, ``reported_percent``, ``decimals``,
        ``interval_low``, ``interval_high``, ``point_total`` (count / (p / 100),
        a float), ``min_total`` and ``max_total`` (ints, both None when no whole
        number qualifies) and ``n_totals`` (how many whole numbers qualify).

    Raises:
        ValueError: For a count that is not a positive integer, a reported
            percentage outside (0, 100], or ``decimals`` negative or fewer than
            the decimals printed in ``reported_percent``.

    Example:
        In 2013, child sexual abuse was "6.9 per cent of all cases, or 24 cases":

        >>> result = implied_total(24, 6.9)
        >>> result["min_total"], result["max_total"], round(result["point_total"], 1)
        (346, 350, 347.8)
    """
    k = check_count(count, "count", positive=True)
    percent, d = _percent_and_decimals(reported_percent, decimals, allow_zero=False)
    half = Fraction(1, 2 * 10**d)
    low, high = percent - half, percent + half
    hundred_k = 100 * k
    # low <= 100k/N < high  <=>  100k/high < N <= 100k/low  (exact rational arithmetic).
    # low > 0 because p > 0 is a multiple of 10**-d (decimals are checked above).
    first = max(math.floor(hundred_k / high) + 1, k)
    last = math.floor(hundred_k / low)
    min_total: int | None = first if first <= last else None
    max_total: int | None = last if first <= last else None
    n_totals = max(last - first + 1, 0)
    return {
        "count": k,
        "reported_percent": float(percent),
        "decimals": d,
        "interval_low": float(low),
        "interval_high": float(high),
        "point_total": float(Fraction(hundred_k) / percent),
        "min_total": min_total,
        "max_total": max_total,
        "n_totals": n_totals,
    }
