"""The result record shared by the statistics modules, and input validation.

Every statistical function of the compendium (:mod:`analysis.stats.rates`,
:mod:`analysis.stats.proportions`) returns an :class:`Estimate`: one number with its
confidence interval, p-value, the method that produced it and the inputs it was
computed from. :func:`estimates_frame` lines a sequence of them up as a tidy
table, one row per estimate, ready to be written to CSV or shown in a notebook.

The ``check_*`` helpers validate user input for the statistics modules; they
raise :class:`ValueError` with a message naming the argument and the offending
value (for example ``"count1 must be a non-negative integer, got -3"``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.stats.pvalues import format_p, log10_p

__all__ = [
    "CORE_COLUMNS",
    "PERCENT_CHANGE_COLUMNS",
    "Estimate",
    "PercentChange",
    "check_at_least",
    "check_conf_level",
    "check_count",
    "check_count_within",
    "check_dispersion",
    "check_method",
    "check_positive",
    "estimates_frame",
    "estimates_summary",
]

Scalar = float | int | str

#: Columns every row of :func:`estimates_frame` starts with, in this order; the
#: ``input_<name>`` columns follow, then the ``extra_<name>`` columns.
CORE_COLUMNS: tuple[str, ...] = (
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "conf_level",
    "p_value",
    "method",
)


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _is_bool(value: object) -> bool:
    return isinstance(value, bool | np.bool_)


def check_count(value: object, name: str, *, positive: bool = False) -> int:
    """Validate a count: a non-negative (or positive) whole number.

    Python and NumPy integers and integral floats (``741.0``) are accepted;
    booleans, fractional numbers, NaN, infinities and non-numbers are rejected.

    Args:
        value: The candidate count.
        name: The argument name, used in the error message.
        positive: Require the count to be at least 1.

    Returns:
        The count as a Python ``int``.

    Raises:
        ValueError: If ``value`` is not an acceptable count.

    Example:
        >>> check_count(741.0, "count1")
        741
        >>> check_count(-3, "count1")
        Traceback (most recent call last):
        ...
        ValueError: count1 must be a non-negative integer, got -3
    """
    kind = "a positive integer" if positive else "a non-negative integer"
    message = f"{name} must be {kind}, got {value!r}"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    if isinstance(value, numbers.Integral):
        result = int(value)
    else:
        as_float = float(value)
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise ValueError(message)
        result = int(as_float)
    if result < 0 or (positive and result == 0):
        raise ValueError(message)
    return result


def check_positive(value: object, name: str) -> float:
    """Validate a strictly positive, finite number (an exposure, a population, a total).

    Args:
        value: The candidate number.
        name: The argument name, used in the error message.

    Returns:
        The value as a Python ``float``.

    Raises:
        ValueError: If ``value`` is not a finite number greater than zero.

    Example:
        >>> check_positive(20_310_400, "population")
        20310400.0
    """
    message = f"{name} must be a positive finite number, got {value!r}"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    result = float(value)
    if not math.isfinite(result) or result <= 0:
        raise ValueError(message)
    return result


def check_conf_level(value: object, name: str = "conf_level") -> float:
    """Validate a confidence level strictly between 0 and 1.

    Args:
        value: The candidate confidence level, e.g. ``0.95``.
        name: The argument name, used in the error message.

    Returns:
        The confidence level as a Python ``float``.

    Raises:
        ValueError: If ``value`` is not a number in the open interval (0, 1).

    Example:
        >>> check_conf_level(0.95)
        0.95
    """
    message = f"{name} must be strictly between 0 and 1, got {value!r}"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    result = float(value)
    if not 0.0 < result < 1.0:  # also rejects NaN
        raise ValueError(message)
    return result


def check_at_least(value: object, minimum: float, name: str) -> float:
    """Validate a finite number of at least ``minimum`` (not a bool).

    Args:
        value: The candidate value.
        minimum: The smallest value allowed.
        name: The argument name, used in the error message.

    Returns:
        The value as a float.

    Raises:
        ValueError: If ``value`` is not a finite number of at least ``minimum``.
    """
    message = f"{name} must be a finite number >= {minimum:g}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(message)
    result = float(value)
    if not math.isfinite(result) or result < minimum:
        raise ValueError(message)
    return result


def check_dispersion(value: object, name: str = "dispersion") -> float:
    """Validate a dispersion (quasi-Poisson scale or design effect): a finite number >= 1.

    Args:
        value: The candidate value.
        name: The argument name, used in the error message.

    Returns:
        The dispersion as a float.

    Raises:
        ValueError: If ``value`` is not a finite number of at least 1.
    """
    return check_at_least(value, 1.0, name)


def check_method(method: object, known: Mapping[str, object], aliases: Mapping[str, str]) -> str:
    """Resolve a method name: case and surrounding space ignored, aliases mapped.

    Args:
        method: The requested method.
        known: The accepted method names (keys).
        aliases: Alternative name -> accepted name.

    Returns:
        The accepted name.

    Raises:
        ValueError: If ``method`` is not a string naming a known method or an alias.

    Example:
        >>> check_method(" Exact ", {"exact-cond": None}, {"exact": "exact-cond"})
        'exact-cond'
    """
    if isinstance(method, str):
        key = method.strip().lower()
        key = aliases.get(key, key)
        if key in known:
            return key
    choices = ", ".join(repr(name) for name in known)
    raise ValueError(f"method must be one of {choices}, got {method!r}")


def check_count_within(count: int, total: float, count_name: str, total_name: str) -> None:
    """Check that a count does not exceed the total it is a part of.

    Args:
        count: The (already validated) count.
        total: The (already validated) total.
        count_name: Name of the count argument, for the message.
        total_name: Name of the total argument, for the message.

    Raises:
        ValueError: If ``count > total``.

    Example:
        >>> check_count_within(16, 213, "successes", "total")
    """
    if count > total:
        raise ValueError(f"{count_name} must not exceed {total_name} ({total!r}), got {count!r}")


def _plain_scalar(value: object, where: str) -> Any:
    """Convert NumPy scalars to Python ones; reject non-scalars."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise ValueError(f"{where} must be a scalar (number or string), got {value!r}")


# ---------------------------------------------------------------------------
# The record
# ---------------------------------------------------------------------------


#: Columns :meth:`Estimate.to_record` gives an estimate with a percentage change, in order.
PERCENT_CHANGE_COLUMNS: tuple[str, ...] = (
    "percent_change", "percent_change_ci_low", "percent_change_ci_high",
)


@dataclass(frozen=True)
class PercentChange:
    """A ratio's change in per cent, ``100 x (ratio - 1)``, with the ratio's interval mapped.

    Attributes:
        estimate: The change in per cent (``-37.1`` for a ratio of 0.629).
        ci_low: Lower limit, in per cent.
        ci_high: Upper limit, in per cent (``inf`` for an unbounded ratio).
    """

    estimate: float
    ci_low: float
    ci_high: float

    @classmethod
    def of_ratio(cls, ratio: float, low: float, high: float) -> PercentChange:
        """The change in per cent of a ratio and its limits.

        Example:
            >>> PercentChange.of_ratio(0.5, 0.4, 0.6).estimate
            -50.0
        """
        return cls(100.0 * (ratio - 1.0), 100.0 * (low - 1.0), 100.0 * (high - 1.0))

    def values(self) -> tuple[float, float, float]:
        """Estimate and limits, in the order of :data:`PERCENT_CHANGE_COLUMNS`."""
        return self.estimate, self.ci_low, self.ci_high


@dataclass(frozen=True)
class Estimate:
    """One estimated quantity with its interval, test and provenance.

    Attributes:
        metric: What was estimated, e.g. ``"rate_ratio"``, ``"proportion"``,
            ``"rate_per_100000"``, ``"ratio_of_rate_ratios"``.
        estimate: The point estimate.
        ci_low: Lower confidence limit.
        ci_high: Upper confidence limit (may be ``inf``).
        conf_level: Confidence level of the interval, e.g. ``0.95``.
        p_value: Two-sided p-value of the method's null hypothesis, or ``None``
            when no test was made.
        method: Human-readable description of test and interval.
        inputs: The inputs the estimate was computed from (scalars only).
        extra: Secondary numbers (e.g. the test statistic), scalars or ``None``.
        percent_change: For a ratio, its change in per cent with the interval
            (:class:`PercentChange`); ``None`` for other metrics.

    Example:
        >>> e = Estimate("proportion", 16 / 213, 0.047, 0.119, 0.95, None,
        ...              "Wilson score interval", {"successes": 16, "total": 213})
        >>> e.to_record()["input_total"]
        213
    """

    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    conf_level: float
    p_value: float | None
    method: str
    inputs: dict[str, Scalar] = field(hash=False)
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    percent_change: PercentChange | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.metric, str) or not self.metric:
            raise ValueError(f"metric must be a non-empty string, got {self.metric!r}")
        if not isinstance(self.method, str) or not self.method:
            raise ValueError(f"method must be a non-empty string, got {self.method!r}")
        check_conf_level(self.conf_level)
        for name in ("estimate", "ci_low", "ci_high"):
            value = getattr(self, name)
            if _is_bool(value) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.p_value is not None:
            p = self.p_value
            if (
                _is_bool(p)
                or not isinstance(p, numbers.Real)
                or not (math.isnan(float(p)) or 0.0 <= float(p) <= 1.0)
            ):
                raise ValueError(f"p_value must be None or a number in [0, 1], got {p!r}")
            object.__setattr__(self, "p_value", float(p))
        if self.ci_low > self.ci_high:
            raise ValueError(
                f"ci_low must not exceed ci_high, got ci_low={self.ci_low!r}, "
                f"ci_high={self.ci_high!r}"
            )
        object.__setattr__(self, "conf_level", float(self.conf_level))
        # Copy the mappings so later changes by the caller cannot alter the record.
        for attr in ("inputs", "extra"):
            mapping = getattr(self, attr)
            if not isinstance(mapping, Mapping):
                raise ValueError(f"{attr} must be a mapping, got {mapping!r}")
            clean = {
                str(key): _plain_scalar(value, f"{attr}[{key!r}]") for key, value in mapping.items()
            }
            object.__setattr__(self, attr, clean)

    def to_record(self) -> dict[str, Any]:
        """Flatten the estimate into one dictionary (one table row).

        The core fields come first (see :data:`CORE_COLUMNS`), then each input
        as ``input_<name>``, the percentage change (:data:`PERCENT_CHANGE_COLUMNS`) when
        there is one, and each secondary number as ``extra_<name>``.

        Returns:
            A flat ``dict`` of scalars.

        Example:
            >>> e = Estimate("rate_ratio", 0.629, 0.56, 0.706, 0.95, 2.5e-15,
            ...              "score", {"count1": 741, "count2": 466},
            ...              {"percent_change": -37.1})
            >>> list(e.to_record())[-3:]
            ['input_count1', 'input_count2', 'extra_percent_change']
        """
        record: dict[str, Any] = {
            "metric": self.metric,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "conf_level": self.conf_level,
            "p_value": self.p_value,
            "method": self.method,
        }
        record.update({f"input_{key}": value for key, value in self.inputs.items()})
        if self.percent_change is not None:
            record.update(zip(PERCENT_CHANGE_COLUMNS, self.percent_change.values(), strict=True))
        record.update({f"extra_{key}": value for key, value in self.extra.items()})
        return record

    def describe(self, digits: int = 3) -> str:
        """Return a one-line human-readable summary.

        Args:
            digits: Significant digits for estimate and limits.

        Returns:
            For example ``"rate_ratio 0.629 (95% CI 0.560 to 0.706), p = 2.46e-15"``.

        Example:
            >>> Estimate("proportion", 0.0751, 0.0467, 0.118, 0.95, None, "Wilson",
            ...          {"successes": 16, "total": 213}).describe()
            'proportion 0.0751 (95% CI 0.0467 to 0.118)'
        """
        level = f"{100 * self.conf_level:g}%"
        text = (
            f"{self.metric} {self.estimate:.{digits}g} "
            f"({level} CI {self.ci_low:.{digits}g} to {self.ci_high:.{digits}g})"
        )
        if self.p_value is not None:
            text += f", p = {self.p_value:.{digits}g}"
        return text


def estimates_frame(estimates: Iterable[Estimate]) -> pd.DataFrame:
    """Tabulate estimates, one row per estimate, in a stable column order.

    Columns are :data:`CORE_COLUMNS`, then the ``input_<name>`` columns in order
    of first appearance, :data:`PERCENT_CHANGE_COLUMNS` when any estimate has a
    percentage change, then the ``extra_<name>`` columns in order of first
    appearance. Cells for inputs, changes or extras an estimate does not have are missing
    (NaN). ``p_value`` is a float column (``None`` becomes NaN).

    Args:
        estimates: The estimates to tabulate (any iterable, consumed once).

    Returns:
        A :class:`pandas.DataFrame` with a default ``RangeIndex``.

    Raises:
        ValueError: If an element is not an :class:`Estimate`.

    Example:
        >>> e = Estimate("proportion", 0.0751, 0.0467, 0.118, 0.95, None, "Wilson",
        ...              {"successes": 16, "total": 213})
        >>> list(estimates_frame([e]).columns)[-2:]
        ['input_successes', 'input_total']
    """
    records: list[dict[str, Any]] = []
    input_columns: dict[str, None] = {}
    extra_columns: dict[str, None] = {}
    changes = False
    for position, item in enumerate(estimates):
        if not isinstance(item, Estimate):
            raise ValueError(f"estimates[{position}] must be an Estimate, got {item!r}")
        for key in item.inputs:
            input_columns.setdefault(f"input_{key}")
        changes = changes or item.percent_change is not None
        for key in item.extra:
            extra_columns.setdefault(f"extra_{key}")
        records.append(item.to_record())
    columns = [*CORE_COLUMNS, *input_columns, *(PERCENT_CHANGE_COLUMNS if changes else ()),
               *extra_columns]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for name in ("estimate", "ci_low", "ci_high", "conf_level", "p_value"):
        frame[name] = pd.to_numeric(frame[name], errors="raise").astype("float64")
    return frame


#: Columns :func:`estimates_summary` shows after the labels and inputs.
SUMMARY_COLUMNS: tuple[str, ...] = ("estimate", "ci_low", "ci_high", "conf_level", "p_display",
                                    "method")


def estimates_summary(
    estimates: Iterable[Estimate],
    *,
    labels: Mapping[str, Sequence[Scalar]] | None = None,
    inputs: Sequence[str] = (),
    columns: Sequence[str] = SUMMARY_COLUMNS,
) -> pd.DataFrame:
    """A display table of estimates: labels, chosen inputs, then chosen core columns.

    Count inputs are shown as integers; ``p_display`` shows each p-value from its logarithm
    (``"2.4e-15"``, never ``0``).

    Args:
        estimates: The estimates.
        labels: Label columns to put first, name -> one value per estimate.
        inputs: Input names to show (``"count1"``, ``"successes"`` ...), without the prefix.
        columns: Columns of :func:`estimates_frame` to show, plus ``p_display``.

    Returns:
        The table.

    Raises:
        ValueError: A label column of the wrong length.
    """
    frame = estimates_frame(estimates)
    frame["p_display"] = [format_p(log10_p(p)) for p in frame["p_value"]]
    table = pd.DataFrame(index=frame.index)
    for name, values in (labels or {}).items():
        if len(values) != len(frame):
            raise ValueError(f"labels[{name!r}] must have {len(frame)} values, got {len(values)}")
        table[name] = list(values)
    for name in inputs:
        column = frame[f"input_{name}"]
        whole = pd.api.types.is_numeric_dtype(column) and bool(
            (column.dropna() % 1 == 0).all())
        table[name] = column.astype("Int64") if whole else column
    for name in columns:
        table[name] = frame[name]
    return table
