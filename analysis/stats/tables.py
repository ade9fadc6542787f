"""Per-row and per-group tables of rates and rate ratios, for the notebooks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from analysis.stats.estimates import PERCENT_CHANGE_COLUMNS
from analysis.stats.pvalues import format_p, log10_p
from analysis.stats.rates import compare_poisson_counts, rate_per_population

__all__ = ["rate_ratios_by_group", "rates_by_row"]


def rate_ratios_by_group(
    frame: pd.DataFrame,
    group: str,
    period: str,
    count: str,
    periods: tuple[object, object],
    *,
    conf_level: float = 0.95,
    method: str = "exact-cond",
    dispersion: float = 1.0,
) -> pd.DataFrame:
    """Rate ratio later/earlier for each group of a tidy count table.

    Args:
        frame: Tidy table with one row per group and period.
        group: Column naming the group (e.g. ``"offence"``).
        period: Column naming the period (e.g. ``"year"``).
        count: Column of counts.
        periods: The earlier and the later period (e.g. ``(2010, 2014)``).
        conf_level: Confidence level of every interval.
        method: See :func:`compare_poisson_counts`.
        dispersion: Quasi-Poisson scale, see :func:`compare_poisson_counts`.

    Returns:
        One row per group, in order of first appearance: the group, ``count1`` and
        ``count2`` (integers), ``estimate`` (the later count over the earlier one: a rate
        ratio with the same exposure in both periods), ``ci_low``, ``ci_high``,
        ``percent_change`` with its interval, ``p_two_sided`` (the method's two-sided
        p-value of no change), ``p_two_sided_display`` (never ``0``) and ``method``.

    Raises:
        ValueError: A group lacks one of the two periods, or a count is invalid.
    """
    rows = []
    for name, part in frame.groupby(group, sort=False):
        by_period = part.set_index(period)[count]
        missing = [p for p in periods if p not in by_period.index]
        if missing:
            raise ValueError(f"{group} {name!r}: no {count} for {period} {missing}")
        est = compare_poisson_counts(int(by_period[periods[0]]), int(by_period[periods[1]]),
                                     conf_level=conf_level, method=method,
                                     dispersion=dispersion)
        p = float(est.p_value) if est.p_value is not None else math.nan
        change = est.percent_change
        if change is None:  # pragma: no cover - every rate ratio has one
            raise ValueError(f"{group} {name!r}: the rate ratio has no percentage change")
        rows.append({
            group: name, "count1": est.inputs["count1"], "count2": est.inputs["count2"],
            "estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
            **dict(zip(PERCENT_CHANGE_COLUMNS, change.values(), strict=True)),
            "p_two_sided": p, "p_two_sided_display": format_p(log10_p(p)),
            "method": est.method,
        })
    return pd.DataFrame(rows)


def rates_by_row(
    frame: pd.DataFrame,
    count: str,
    population: float,
    *,
    keys: Sequence[str],
    per: float = 100_000,
    conf_level: float = 0.95,
    method: str = "exact",
    dispersion: float = 1.0,
) -> pd.DataFrame:
    """Rate per ``per`` persons for each row of a tidy count table.

    Args:
        frame: Tidy table, one count per row.
        count: Column of counts.
        population: Persons at risk, the same for every row.
        keys: Columns identifying a row, kept in front (e.g. ``("offence", "year")``).
        per: Express rates per this many persons.
        conf_level: Confidence level of every interval.
        method: See :func:`rate_per_population`.
        dispersion: Quasi-Poisson scale, see :func:`rate_per_population`.

    Returns:
        The key columns, the count (integers), ``estimate``, ``ci_low``, ``ci_high``,
        ``conf_level`` and ``method``.
    """
    rows = []
    for record in frame.to_dict("records"):
        est = rate_per_population(int(record[count]), population, per=per,
                                  conf_level=conf_level, method=method, dispersion=dispersion)
        rows.append({**{key: record[key] for key in keys}, count: int(record[count]),
                     "estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high,
                     "conf_level": est.conf_level, "method": est.method})
    return pd.DataFrame(rows)
