"""Ratio of rate ratios: how far two categories moved apart between two periods.

:func:`compare_trends` answers with the log-linear Poisson model ``count ~ C(period) *
C(category)`` of a 2x2 table; its interaction is the log ratio of the two rate ratios, an
effect size (it is below 1 also when both counts fall at different speeds, so it does not test
opposite directions: :func:`analysis.stats.directional.intersection_union` does).
Cross-checks: the likelihood-ratio (G) and Pearson chi-square tests of the same table.

The model is saturated, so its maximum-likelihood estimates have closed forms: the
interaction is ``log(a1 b2 / (a2 b1))`` with Wald standard error ``sqrt(1/a1 + 1/a2 + 1/b1 +
1/b2)``, and the additive model's fitted counts are ``row total x column total / N``. The
reported numbers are those closed forms, computed with :mod:`math` one number at a time; the
statsmodels fit is kept as the check that they are the model's estimates. The iterative fit
reaches them only to within a few units in the last place, and which units depends on the
processor (NumPy's vectorised ``exp``/``log`` and the BLAS pick code by CPU): reported
directly, it made the same figures differ in their 15th digit between two machines.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from analysis.stats.estimates import Estimate, check_conf_level, check_count, check_dispersion

__all__ = ["compare_trends"]


def _check_pair(value: object, name: str) -> tuple[str, str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence of 2 labels, got {value!r}")
    if len(value) != 2:
        raise ValueError(f"{name} must have length 2, got length {len(value)}: {value!r}")
    first, second = (str(item) for item in value)
    if first == second:
        raise ValueError(f"{name} must hold two distinct labels, got {value!r}")
    return first, second


def _is_expected_fit_warning(message: warnings.WarningMessage) -> bool:
    """Tell the warnings statsmodels is known to give for a saturated Poisson GLM.

    * ``PerfectSeparationWarning``: the fitted values reproduce the counts exactly
      (always for the saturated model; also for the additive model when the table
      has no interaction at all).
    * NumPy's ``RuntimeWarning`` "divide by zero / invalid value encountered in
      scalar divide" from the IRLS step's WLS scale, ``ssr / df_resid`` with
      ``df_resid == 0`` (unused: the Poisson scale is fixed at 1).
    """
    if issubclass(message.category, PerfectSeparationWarning):
        return True
    return (
        issubclass(message.category, RuntimeWarning)
        and "encountered in scalar divide" in str(message.message)
        and "statsmodels" in Path(message.filename).parts
    )


def compare_trends(
    count_a1: int,
    count_a2: int,
    count_b1: int,
    count_b2: int,
    *,
    conf_level: float = 0.95,
    labels: Sequence[str] = ("a", "b"),
    periods: Sequence[str] = ("1", "2"),
    dispersion: float = 1.0,
) -> Estimate:
    """Ratio of rate ratios: did category b change differently from category a?

    Estimates ``(b2 / b1) / (a2 / a1)`` as the exponentiated interaction
    coefficient of the log-linear Poisson GLM ``count ~ C(period) * C(category)``
    of the 2x2 table, with its Wald interval and Wald p-value. The model is
    saturated (0 residual degrees of freedom), so these are reported from their
    closed forms (module docstring); the GLM is fitted with the statsmodels
    formula API as the check. The first label of ``labels``/``periods`` is the
    reference level. The warnings statsmodels issues for a saturated fit
    (division by zero in the scale, "perfect separation") are caught and
    discarded; any other warning is passed on.

    Cross-checks in ``extra``: the likelihood-ratio (G) test of no interaction
    (saturated versus additive model, chi-square with 1 df) and Pearson's
    chi-square test of the 2x2 table without continuity correction
    (:func:`scipy.stats.chi2_contingency`).

    Args:
        count_a1: Category a, period 1 (e.g. prostitution victims, 2010).
        count_a2: Category a, period 2.
        count_b1: Category b, period 1 (e.g. pornography victims, 2010).
        count_b2: Category b, period 2.
        conf_level: Confidence level of the interval, in (0, 1).
        labels: Names of categories a and b (two distinct labels).
        periods: Names of periods 1 and 2 (two distinct labels).
        dispersion: Quasi-Poisson scale ``phi >= 1``: the Wald standard error is multiplied
            by ``sqrt(phi)`` and the interval and p-value recomputed from it (the G and
            chi-square statistics in ``extra`` are divided by ``phi``).

    Returns:
        An :class:`~analysis.stats.estimates.Estimate` with metric
        ``"ratio_of_rate_ratios"``; ``extra`` holds ``rate_ratio_a``,
        ``rate_ratio_b``, ``log_estimate``, ``se_log_estimate``,
        ``lr_statistic``, ``lr_p_value``, ``pearson_chi2`` and ``pearson_p_value``.

    Raises:
        ValueError: If a count is not a positive integer (a zero cell makes the
            log-linear estimate infinite), ``labels``/``periods`` do not hold two
            distinct labels, or the confidence level is outside (0, 1).
        RuntimeError: If the model fit does not reproduce the closed-form estimate.

    Example:
        Child prostitution victims 741 -> 466, child pornography 614 -> 746
        (2010 -> 2014):

        >>> e = compare_trends(741, 466, 614, 746,
        ...                    labels=("prostitution", "pornography"),
        ...                    periods=("2010", "2014"))
        >>> round(e.estimate, 3), round(e.ci_low, 3), round(e.ci_high, 3)
        (1.932, 1.65, 2.262)
    """
    names = ("count_a1", "count_a2", "count_b1", "count_b2")
    values = (count_a1, count_a2, count_b1, count_b2)
    counts = _Counts(
        *(
            check_count(value, name, positive=True)
            for value, name in zip(values, names, strict=True)
        )
    )
    level = check_conf_level(conf_level)
    category_pair = _check_pair(labels, "labels")
    period_pair = _check_pair(periods, "periods")
    phi = check_dispersion(dispersion)

    fit = _fit_interaction(_trend_table(counts, category_pair, period_pair))
    closed = _closed_form(counts)
    _check_fit_matches(fit, closed)
    wald = _scale_wald(closed, level, phi)
    return _trend_estimate(counts, category_pair, period_pair, level, phi, closed, wald)


@dataclass(frozen=True)
class _Counts:
    """The validated 2x2 table: category a and b, periods 1 and 2."""

    a1: int
    a2: int
    b1: int
    b2: int


@dataclass(frozen=True)
class _InteractionFit:
    """The interaction term of the saturated and additive Poisson GLMs, as estimated.

    ``log_estimate``, ``se_log`` and ``lr_statistic`` are either the statsmodels fit's (the
    check) or the closed forms (what is reported).
    """

    term: str
    log_estimate: float
    se_log: float
    lr_statistic: float


def _trend_table(
    counts: _Counts, labels: tuple[str, str], periods: tuple[str, str]
) -> pd.DataFrame:
    """The 2x2 table in long form, first label and first period as reference levels."""
    label_a, label_b = labels
    period_1, period_2 = periods
    return pd.DataFrame(
        {
            "count": [counts.a1, counts.a2, counts.b1, counts.b2],
            "period": pd.Categorical(
                [period_1, period_2, period_1, period_2], categories=[period_1, period_2]
            ),
            "category": pd.Categorical(
                [label_a, label_a, label_b, label_b], categories=[label_a, label_b]
            ),
        }
    )


def _fit_interaction(table: pd.DataFrame) -> _InteractionFit:
    """Fit the saturated and additive Poisson GLMs, keeping only unexpected warnings."""
    family = sm.families.Poisson()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        saturated = smf.glm("count ~ C(period) * C(category)", data=table, family=family).fit()
        additive = smf.glm("count ~ C(period) + C(category)", data=table, family=family).fit()
        # Read everything needed while the expected warnings are still being caught.
        fit = _InteractionFit(
            term=list(saturated.model.exog_names)[-1],
            log_estimate=float(saturated.params.iloc[-1]),
            se_log=float(saturated.bse.iloc[-1]),
            lr_statistic=max(2.0 * float(saturated.llf - additive.llf), 0.0),
        )
    for message in caught:
        if not _is_expected_fit_warning(message):
            warnings.warn_explicit(
                message.message, message.category, message.filename, message.lineno
            )
    return fit


def _closed_form(counts: _Counts) -> _InteractionFit:
    """The saturated model's interaction, its Wald SE and the G statistic, in closed form.

    G is ``2 sum n log(n / e)`` with ``e = row total x column total / N`` (the additive
    model's fitted counts); the interaction is ``log(a1 b2 / (a2 b1))``, its SE
    ``sqrt(1/a1 + 1/a2 + 1/b1 + 1/b2)``. Integers are multiplied exactly before one ``log``.
    """
    cells = ((counts.a1, counts.a2), (counts.b1, counts.b2))
    total = sum(map(sum, cells))
    rows = [sum(row) for row in cells]
    columns = [sum(column) for column in zip(*cells, strict=True)]
    g = 2.0 * math.fsum(
        n * math.log(n * total / (rows[i] * columns[j]))
        for i, row in enumerate(cells)
        for j, n in enumerate(row)
    )
    return _InteractionFit(
        term="C(period):C(category)",
        log_estimate=math.log(counts.a1 * counts.b2 / (counts.a2 * counts.b1)),
        se_log=math.sqrt(math.fsum(1.0 / n for row in cells for n in row)),
        lr_statistic=max(g, 0.0),
    )


def _check_fit_matches(fit: _InteractionFit, closed: _InteractionFit) -> None:
    """Raise RuntimeError unless the GLM fit reproduces the closed forms.

    The tolerance (relative 1e-4) is that of the fit, not of the closed forms: IRLS stops
    once the deviance changes by less than 1e-8, and its standard error, computed at those
    fitted values, was seen 2.4e-6 (relative) from the exact one on a table of small counts.
    """
    pairs = {
        "interaction": (fit.log_estimate, closed.log_estimate),
        "its standard error": (fit.se_log, closed.se_log),
        "the likelihood-ratio statistic": (fit.lr_statistic, closed.lr_statistic),
    }
    for what, (fitted, exact) in pairs.items():
        if ":" not in fit.term or not math.isclose(fitted, exact, rel_tol=1e-4, abs_tol=1e-8):
            raise RuntimeError(
                f"Poisson GLM {what} ({fit.term!r}) = {fitted!r} does not match "
                f"its closed form {exact!r}"
            )


def _scale_wald(
    closed: _InteractionFit, level: float, phi: float
) -> tuple[float, tuple[float, float], float]:
    """Wald SE, log-scale interval and p-value, the SE scaled by ``sqrt(phi)``."""
    se_log = closed.se_log * math.sqrt(phi)
    z = float(stats.norm.ppf(0.5 + level / 2))
    ci_log = (closed.log_estimate - z * se_log, closed.log_estimate + z * se_log)
    wald_p = float(2.0 * stats.norm.sf(abs(closed.log_estimate) / se_log))
    return se_log, ci_log, wald_p


def _trend_estimate(
    counts: _Counts,
    labels: tuple[str, str],
    periods: tuple[str, str],
    level: float,
    phi: float,
    closed: _InteractionFit,
    wald: tuple[float, tuple[float, float], float],
) -> Estimate:
    """Assemble the :class:`Estimate` with the G and Pearson cross-checks in ``extra``."""
    (label_a, label_b), (period_1, period_2) = labels, periods
    se_log, ci_log, wald_p = wald
    lr_statistic = closed.lr_statistic / phi
    lr_p_value = float(stats.chi2.sf(lr_statistic, df=1))
    pearson = stats.chi2_contingency(
        [[counts.a1, counts.a2], [counts.b1, counts.b2]], correction=False
    )
    pearson_chi2 = float(pearson.statistic) / phi
    return Estimate(
        metric="ratio_of_rate_ratios",
        estimate=math.exp(closed.log_estimate),
        ci_low=math.exp(ci_log[0]),
        ci_high=math.exp(ci_log[1]),
        conf_level=level,
        p_value=wald_p,
        method=_trend_method(labels, periods, phi),
        inputs={
            "count_a1": counts.a1,
            "count_a2": counts.a2,
            "count_b1": counts.b1,
            "count_b2": counts.b2,
            "label_a": label_a,
            "label_b": label_b,
            "period_1": period_1,
            "period_2": period_2,
        },
        extra={
            "rate_ratio_a": counts.a2 / counts.a1,
            "rate_ratio_b": counts.b2 / counts.b1,
            "log_estimate": closed.log_estimate,
            "se_log_estimate": se_log,
            "lr_statistic": lr_statistic,
            "lr_p_value": lr_p_value,
            "pearson_chi2": pearson_chi2,
            "pearson_p_value": float(stats.chi2.sf(pearson_chi2, df=1)),
            "dispersion": phi,
        },
    )


def _trend_method(labels: tuple[str, str], periods: tuple[str, str], phi: float) -> str:
    """The ``method`` text of the estimate: comparison, model, interval and test."""
    (label_a, label_b), (period_1, period_2) = labels, periods
    return (
        f"Ratio of rate ratios ({label_b} vs {label_a}, {period_2} vs {period_1}): "
        "exponentiated interaction of the saturated Poisson GLM count ~ C(period) * "
        "C(category) (log link; closed form, checked against the statsmodels fit); Wald CI "
        "and Wald test"
        + (f", SE scaled by sqrt(dispersion = {phi:g})" if phi != 1.0 else "")
    )
