"""Showing p-values: from their logarithm, never as 0."""

from __future__ import annotations

import math

__all__ = ["format_p", "log10_p"]


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
    """Show a p-value from its base-10 log, never as 0.

    Args:
        log10_value: ``log10(p)`` (finite, ``-inf`` for a p-value beyond any precision,
            NaN for no test).
        digits: Significant digits.

    Returns:
        ``"0.38"``, ``"2.6e-16"``, ``"3.1e-236"``, ``"< 1e-300"`` below that, or ``""``
        for NaN.

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
        return f"{10**log10_value:.{digits}g}"
    return f"{mantissa:.{digits - 1}f}e{exponent:d}"
