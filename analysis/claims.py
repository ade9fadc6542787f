"""Test the report's verbal claims against its own figures.

``data/claims.yaml`` lists each quantitative claim the report makes in words, the figures
behind it and how it is tested; :func:`evaluate_claims` computes the estimate, its interval,
the p-value and a verdict: ``supported``, ``not supported`` or ``not testable``.

A verdict is only as good as its model: counts are treated as independent Poisson (or
binomial) outcomes, so "supported" means "the report's two numbers differ beyond what chance
variation of that size would give" — not that a trend exists (two time points cannot show
one), nor that the report's explanation of it is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis import paths
from analysis.dataset.views import fact_value
from analysis.stats.estimates import Estimate
from analysis.stats.proportions import proportion_ci
from analysis.stats.rates import compare_poisson_counts, compare_trends

CLAIM_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "paragraph",
    "claim",
    "kind",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "conf_level",
    "p_value",
    "method",
    "verdict",
    "verdict_reason",
    "facts",
)
VERDICTS: tuple[str, ...] = ("supported", "not supported", "not testable")
KINDS: tuple[str, ...] = ("change", "diverging", "proportion", "not_testable")


class ClaimSpecError(ValueError):
    """The claims file is malformed; the message names the file and the claim."""


@dataclass(frozen=True)
class Claim:
    """One entry of ``data/claims.yaml``."""

    claim_id: str
    paragraph: int
    claim: str
    kind: str
    facts: tuple[str, ...]
    direction: str = ""
    threshold: float | None = None
    total: str = ""
    reason: str = ""


_DIRECTIONS = {
    "change": {"increase", "decrease"},
    "diverging": {"first_below", "first_above"},
    "proportion": {"above", "below"},
    "not_testable": {""},
}
_FACT_COUNTS = {"change": 2, "diverging": 4, "proportion": 2}


def load_claims(path: Path = paths.CLAIMS_SPEC) -> list[Claim]:
    """Load and validate the claims file.

    Args:
        path: The YAML file.

    Returns:
        The claims, in file order.

    Raises:
        ClaimSpecError: Unknown keys or kind, a wrong number of facts, a bad direction,
            threshold or total, a duplicate id, or a not-testable claim without a reason.
    """
    with Path(path).open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    claims = []
    seen = set()
    allowed = {"claim_id", "paragraph", "claim", "kind", "facts", "direction", "threshold",
               "total", "reason"}
    for index, entry in enumerate(document.get("claims", [])):
        where = f"{path}: claim {entry.get('claim_id', '#' + str(index + 1))!r}"
        unknown = set(entry) - allowed
        if unknown:
            raise ClaimSpecError(f"{where}: unknown keys {sorted(unknown)}")
        try:
            claim = Claim(
                claim_id=entry["claim_id"],
                paragraph=int(entry["paragraph"]),
                claim=entry["claim"],
                kind=entry["kind"],
                facts=tuple(entry.get("facts", ())),
                direction=entry.get("direction", ""),
                threshold=entry.get("threshold"),
                total=entry.get("total", ""),
                reason=entry.get("reason", ""),
            )
        except KeyError as error:
            raise ClaimSpecError(f"{where}: missing key {error.args[0]!r}") from None
        if claim.claim_id in seen:
            raise ClaimSpecError(f"{where}: duplicate claim_id")
        seen.add(claim.claim_id)
        if claim.kind not in KINDS:
            raise ClaimSpecError(f"{where}: kind must be one of {KINDS}, got {claim.kind!r}")
        if claim.direction not in _DIRECTIONS[claim.kind]:
            raise ClaimSpecError(f"{where}: direction {claim.direction!r} not allowed for "
                                 f"kind {claim.kind!r}")
        expected = _FACT_COUNTS.get(claim.kind)
        if expected is not None and len(claim.facts) != expected:
            raise ClaimSpecError(f"{where}: kind {claim.kind!r} needs {expected} facts, got "
                                 f"{len(claim.facts)}")
        if claim.kind == "proportion":
            if claim.total not in {"sum", "second"}:
                raise ClaimSpecError(f"{where}: total must be 'sum' or 'second'")
            if claim.threshold is None or not 0 < float(claim.threshold) < 1:
                raise ClaimSpecError(f"{where}: threshold must lie in (0, 1)")
        if claim.kind == "not_testable" and not claim.reason:
            raise ClaimSpecError(f"{where}: a not-testable claim needs a reason")
        claims.append(claim)
    return claims


def _count(statistics: pd.DataFrame, fact_id: str) -> int:
    value = fact_value(statistics, fact_id)
    if not float(value).is_integer():
        raise ValueError(f"fact {fact_id!r} is not a count: {value}")
    return int(value)


def _row(claim: Claim, estimate: Estimate | None, verdict: str, reason: str,
         metric: str = "", value: float = math.nan) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id,
        "paragraph": claim.paragraph,
        "claim": claim.claim,
        "kind": claim.kind,
        "metric": estimate.metric if estimate else metric,
        "estimate": estimate.estimate if estimate else value,
        "ci_low": estimate.ci_low if estimate else math.nan,
        "ci_high": estimate.ci_high if estimate else math.nan,
        "conf_level": estimate.conf_level if estimate else math.nan,
        "p_value": estimate.p_value if estimate and estimate.p_value is not None else math.nan,
        "method": estimate.method if estimate else "",
        "verdict": verdict,
        "verdict_reason": reason,
        "facts": " ".join(claim.facts),
    }


def evaluate_claim(
    claim: Claim,
    statistics: pd.DataFrame,
    conf_level: float = 0.95,
    proportion_method: str = "wilson",
    rate_method: str = "exact-cond",
) -> dict[str, Any]:
    """Test one claim.

    Args:
        claim: The claim.
        statistics: The statistics table.
        conf_level: Confidence level of every interval.
        proportion_method: Interval method for proportions (see
            :func:`analysis.stats.proportions.proportion_ci`).
        rate_method: Method for two Poisson counts (see
            :func:`analysis.stats.rates.compare_poisson_counts`).

    Returns:
        One row of the claims table (keys :data:`CLAIM_COLUMNS`).
    """
    level = f"{conf_level:.0%}"
    if claim.kind == "change":
        first, second = (_count(statistics, f) for f in claim.facts)
        est = compare_poisson_counts(first, second, conf_level=conf_level, method=rate_method)
        wanted_above = claim.direction == "increase"
        return _row(claim, est, *_side_verdict(est, 1.0, wanted_above, level, "rate ratio"))
    if claim.kind == "diverging":
        first_1, first_2, second_1, second_2 = (_count(statistics, f) for f in claim.facts)
        est = compare_trends(second_1, second_2, first_1, first_2, conf_level=conf_level,
                             labels=("second", "first"), periods=("earlier", "later"))
        wanted_above = claim.direction == "first_above"
        return _row(claim, est, *_side_verdict(est, 1.0, wanted_above, level,
                                               "ratio of rate ratios"))
    if claim.kind == "proportion":
        part, other = (_count(statistics, f) for f in claim.facts)
        total = part + other if claim.total == "sum" else other
        threshold = float(claim.threshold)  # type: ignore[arg-type]
        est = proportion_ci(part, total, conf_level=conf_level, method=proportion_method,
                            null=threshold)
        return _row(claim, est, *_side_verdict(est, threshold, claim.direction == "above",
                                               level, "proportion"))
    fact = claim.facts[0] if claim.facts else ""
    unit = statistics.loc[statistics["fact_id"] == fact, "unit"]
    value = fact_value(statistics, fact) if fact else math.nan
    metric = unit.iloc[0] if not unit.empty else ""
    if metric == "percent":
        metric, value = "reported share", value / 100
    elif metric:
        metric = f"reported {metric}"
    return _row(claim, None, "not testable", claim.reason, metric=metric, value=value)


def _side_verdict(est: Estimate, reference: float, wanted_above: bool, level: str,
                  what: str) -> tuple[str, str]:
    """Verdict from where the interval lies relative to ``reference``."""
    side = "above" if wanted_above else "below"
    interval = f"{level} interval of the {what} [{est.ci_low:.3g}, {est.ci_high:.3g}]"
    if (est.ci_low > reference) if wanted_above else (est.ci_high < reference):
        return "supported", f"The {interval} lies wholly {side} {reference:g}."
    if (est.ci_high < reference) if wanted_above else (est.ci_low > reference):
        return "not supported", f"The {interval} lies wholly on the other side of {reference:g}."
    return "not supported", f"The {interval} includes {reference:g}: not shown at this level."


def evaluate_claims(
    statistics: pd.DataFrame,
    claims: list[Claim] | None = None,
    conf_level: float = 0.95,
    proportion_method: str = "wilson",
    rate_method: str = "exact-cond",
) -> pd.DataFrame:
    """Test every claim.

    Args:
        statistics: The statistics table.
        claims: Claims to test (default: ``data/claims.yaml``).
        conf_level: Confidence level of every interval.
        proportion_method: Interval method for proportions.
        rate_method: Method for two Poisson counts.

    Returns:
        The claims table, one row per claim (columns :data:`CLAIM_COLUMNS`); proportions
        are fractions (0.93), ratios are ratios.
    """
    claims = load_claims() if claims is None else claims
    rows = [
        evaluate_claim(claim, statistics, conf_level, proportion_method, rate_method)
        for claim in claims
    ]
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
