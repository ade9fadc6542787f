"""Showing p-values: from their logarithm, never as 0."""

from __future__ import annotations

import math

__all__ = ["format_p", "format_probability", "log10_p"]


def log10_p(p_value: float | None) -> float:
    """Base-10 log of a p-value (``-inf`` for 0, NaN for a missing one).

    Args:
        p_value: The p-value, or ``None``.

    Returns:
        ``log10(p)``.
    """
    if p_value is None or math.isnan(p_value):
        return math.nan
    return math.log10(p_value) if p_value > 0 else -math.inf


def format_p(log10_value: float, digits: int = 2) -> str:
    """Show a p-value from its base-10 log, never as 0 or 1.

    Args:
        log10_value: ``log10(p)`` (finite, ``-inf`` for a p-value beyond any precision,
            NaN for no test).
        digits: Significant digits.

    Returns:
        ``"0.38"``, ``"2.6e-16"``, ``"3.1e-236"``, ``"< 1e-300"`` below that, ``"> 0.99"``
        for a value that would round to 1, or ``""`` for NaN.

    Example:
        >>> format_p(math.log10(2.6e-16))
        '2.6e-16'
    """
    if math.isnan(log10_value):
        return ""
    if not log10_value > -300:
        return "< 1e-300"
    exponent = math.floor(log10_value)
    mantissa = 10 ** (log10_value - exponent)
    if round(mantissa, digits - 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    if exponent >= -3:
        shown = f"{10**log10_value:.{digits}g}"
        # 0.999... rounds to 1: say it is above the largest value the digits can show.
        return f"> {1 - 10.0**-digits:.{digits}f}" if float(shown) >= 1 else shown
    return f"{mantissa:.{digits - 1}f}e{exponent:d}"


def format_probability(value: float, digits: int = 2) -> str:
    """Show a p-value or probability given as a number, never as 0 or 1.

    Args:
        value: The probability.
        digits: Significant digits.

    Returns:
        ``"0.00019"``, ``"1.2e-15"`` (Python's ``g`` format); ``"< 1e-300"`` for 0 and
        anything below; ``"> 0.99"`` for a value that rounds to 1.
    """
    if not value >= 1e-300:
        return "< 1e-300"
    shown = f"{value:.{digits}g}"
    return f"> {1 - 10.0**-digits:.{digits}f}" if float(shown) >= 1 else shown
