"""Evaluate each claim: literal and model verdicts, flips, Holm, direction probability."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from analysis.claims.spec import FAMILY, Claim, ContextItem, check_report_text, load_claims
from analysis.claims.table import CLAIM_COLUMNS, ClaimResult
from analysis.dataset.source import Report, load_report
from analysis.dataset.views import fact_value
from analysis.stats.directional import (
    DirectionalTest,
    binomial_direction,
    dispersion_flip,
    holm,
    intersection_union,
    rate_direction,
)
from analysis.stats.estimates import check_conf_level, check_dispersion
from analysis.stats.pvalues import format_p
from analysis.stats.trends import compare_trends

_NAN = math.nan


# ---------------------------------------------------------------------------
# Testing one claim
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """What a kind-specific evaluation hands to :func:`_result`."""

    test: DirectionalTest | None
    literal: str
    reason: str
    counts: str = ""
    flip: float | None = None
    threshold_flip: float | None = None
    prob_poisson: float = _NAN
    percent: tuple[float, float, float] = (_NAN, _NAN, _NAN)
    effect: tuple[str, float, float, float] = ("", _NAN, _NAN, _NAN)
    estimate: float = _NAN
    metric: str = ""
    method: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _count(statistics: pd.DataFrame, fact_id: str) -> int:
    value = fact_value(statistics, fact_id)
    if not float(value).is_integer():
        raise ValueError(f"fact {fact_id!r} is not a count: {value}")
    return int(value)


def _interval_words(test: DirectionalTest, what: str) -> str:
    level = f"{test.conf_level:.0%}"
    interval = f"{level} interval of the {what} [{test.ci_low:.3g}, {test.ci_high:.3g}]"
    side = "above" if test.side == "above" else "below"
    if test.verdict == "supported":
        return f"The {interval} lies wholly {side} {test.reference:g}."
    if test.verdict == "contradicted":
        return f"The {interval} lies wholly on the other side of {test.reference:g}."
    return f"The {interval} includes {test.reference:g}: not shown at this level."


_RATE_METHOD = ("exact conditional binomial test, one-sided in the claimed direction; central "
                "Clopper-Pearson interval of the conditional proportion mapped to the rate ratio "
                "(effective counts divided by the dispersion)")
_SHARE_METHOD = ("exact binomial test, one-sided in the claimed direction; central "
                 "Clopper-Pearson interval (effective counts divided by the dispersion)")


def _change(claim: Claim, stats: pd.DataFrame, level: float, phi: float) -> _Outcome:
    earlier, later = (_count(stats, f) for f in claim.facts)
    side = claim.sides[0]

    def at(d: float) -> DirectionalTest:
        return rate_direction(earlier, later, side, conf_level=level, dispersion=d)

    test = at(phi)
    holds = later > earlier if side == "above" else later < earlier
    return _Outcome(
        test=test, literal="true" if holds else "false",
        reason=_interval_words(test, "rate ratio"), counts=f"{earlier} -> {later}",
        flip=dispersion_flip(lambda d: at(d).verdict, earlier + later),
        prob_poisson=at(1.0).prob_direction,
        percent=tuple(100.0 * (v - 1.0) for v in (test.estimate, test.ci_low, test.ci_high)),
        method=_RATE_METHOD,
    )


def _diverging(claim: Claim, stats: pd.DataFrame, level: float, phi: float) -> _Outcome:
    a1, a2, b1, b2 = (_count(stats, f) for f in claim.facts)
    side_a, side_b = claim.sides

    def at(d: float) -> DirectionalTest:
        return intersection_union([
            rate_direction(a1, a2, side_a, conf_level=level, dispersion=d),
            rate_direction(b1, b2, side_b, conf_level=level, dispersion=d),
        ])

    test = at(phi)
    moved = [(a2 > a1) if side_a == "above" else (a2 < a1),
             (b2 > b1) if side_b == "above" else (b2 < b1)]
    rrr = compare_trends(b1, b2, a1, a2, conf_level=level, dispersion=phi)
    binding = "first" if math.isclose(test.estimate, a2 / a1) else "second"
    reason = (f"Intersection-union test: each series one-sided in its claimed direction, "
              f"p = the larger p (here the {binding} series'). "
              + _interval_words(test, f"{binding} series' rate ratio"))
    return _Outcome(
        test=test, literal="true" if all(moved) else "false", reason=reason,
        counts=f"{a1} -> {a2}; {b1} -> {b2}",
        flip=dispersion_flip(lambda d: at(d).verdict, min(a1 + a2, b1 + b2)),
        prob_poisson=at(1.0).prob_direction,
        effect=("ratio_of_rate_ratios", rrr.estimate, rrr.ci_low, rrr.ci_high),
        method=(f"intersection-union of two one-sided tests ({_RATE_METHOD}); estimate and "
                "interval of the binding series; effect size: ratio of rate ratios (first "
                "series over second), Wald interval of the Poisson GLM interaction, SE scaled "
                "by the square root of the dispersion"),
    )


def _proportion(claim: Claim, stats: pd.DataFrame, level: float, phi: float) -> _Outcome:
    part, other = (_count(stats, f) for f in claim.facts)
    total = part + other if claim.total == "sum" else other
    threshold = float(claim.threshold)  # type: ignore[arg-type]
    side = claim.sides[0]

    def at(d: float) -> DirectionalTest:
        return binomial_direction(part, total, threshold, side, conf_level=level, dispersion=d)

    test = at(phi)
    share = part / total
    holds = share > threshold if side == "above" else share < threshold
    return _Outcome(
        test=test, literal="true" if holds else "false",
        reason=_interval_words(test, "proportion"), counts=f"{part} of {total}",
        flip=dispersion_flip(lambda d: at(d).verdict, total),
        threshold_flip=test.ci_low if side == "above" else test.ci_high,
        prob_poisson=at(1.0).prob_direction, method=_SHARE_METHOD,
    )


def _context_text(item: ContextItem, stats: pd.DataFrame) -> str:
    top = sum(_count(stats, f) for f in item.numerator)
    bottom = sum(_count(stats, f) for f in item.denominator)
    if item.shape == "share":
        return f"{item.label}: {top} of {bottom} ({100 * top / bottom:.1f}%)"
    return f"{item.label}: {bottom} -> {top} (ratio {top / bottom:.3g})"


def _not_testable(claim: Claim, stats: pd.DataFrame) -> _Outcome:
    """No test: the context figures, or else the first fact's value as the report gives it."""
    outcome = _Outcome(test=None, literal="not_testable", reason=claim.reason)
    if claim.context:
        context = "; ".join(_context_text(item, stats) for item in claim.context)
        return replace(outcome, extra={"context": context})
    if not claim.facts:
        return outcome
    row = stats.loc[stats["fact_id"] == claim.facts[0]].iloc[0]
    percent = row["unit"] == "percent"
    return replace(
        outcome, estimate=float(row["value"]) / (100 if percent else 1),
        metric="reported share" if percent else f"reported {row['unit']}",
        extra={"reported_value": str(row.get("value_text", ""))},
    )


_EVALUATORS = {"change": _change, "diverging": _diverging, "proportion": _proportion}


def _log10_p(test: DirectionalTest | None) -> float:
    return test.log10_p if test else _NAN


def _result(claim: Claim, outcome: _Outcome, phi: float, level: float) -> ClaimResult:
    test = outcome.test
    log10_p = _log10_p(test)
    p_value = 10.0 ** log10_p if test and log10_p > -300 else _NAN
    return ClaimResult(
        claim_id=claim.claim_id, label=claim.label, paragraph=claim.paragraph,
        footnote=claim.footnote, report_text=claim.report_text, claim=claim.claim,
        question=claim.question, kind=claim.kind, metric=claim.metric or outcome.metric,
        direction=claim.direction, null_value=claim.null_value if test else None,
        threshold=claim.threshold, counts=outcome.counts,
        reported_value=outcome.extra.get("reported_value", ""),
        estimate=test.estimate if test else outcome.estimate,
        ci_low=test.ci_low if test else _NAN, ci_high=test.ci_high if test else _NAN,
        conf_level=level, dispersion=phi, p_value=p_value, log10_p=log10_p,
        p_display=format_p(log10_p) if test else "", family=FAMILY if test else "",
        p_holm=_NAN, verdict_holm="", literal_verdict=outcome.literal,
        verdict=test.verdict if test else "not_testable", verdict_reason=outcome.reason,
        dispersion_flip=outcome.flip, threshold_flip=outcome.threshold_flip,
        prob_direction=outcome.prob_poisson,
        prob_direction_dispersed=test.prob_direction if test else _NAN,
        percent_change=outcome.percent[0], percent_change_ci_low=outcome.percent[1],
        percent_change_ci_high=outcome.percent[2], effect_metric=outcome.effect[0],
        effect_estimate=outcome.effect[1], effect_ci_low=outcome.effect[2],
        effect_ci_high=outcome.effect[3], context=outcome.extra.get("context", ""),
        method=outcome.method, facts=" ".join(claim.facts),
    )


def evaluate_claim(
    claim: Claim, statistics: pd.DataFrame, conf_level: float = 0.95, dispersion: float = 1.0,
) -> ClaimResult:
    """Test one claim (without the family-wide Holm adjustment).

    Args:
        claim: The claim.
        statistics: The statistics table.
        conf_level: Confidence level of every interval (tests are one-sided at half of
            ``1 - conf_level``, so verdict and interval agree).
        dispersion: Quasi-Poisson scale (design effect for shares), at least 1.

    Returns:
        The claim's row of the claims table.
    """
    level = check_conf_level(conf_level)
    phi = check_dispersion(dispersion)
    evaluator = _EVALUATORS.get(claim.kind)
    outcome = evaluator(claim, statistics, level, phi) if evaluator else _not_testable(
        claim, statistics)
    return _result(claim, outcome, phi, level)


def _with_holm(rows: list[ClaimResult]) -> list[ClaimResult]:
    """Holm-adjust the family's one-sided p-values and re-derive the verdicts from them."""
    tested = [i for i, row in enumerate(rows) if row.family]
    adjusted = holm([10.0 ** rows[i].log10_p for i in tested])
    updated = list(rows)
    for i, p_holm in zip(tested, adjusted, strict=True):
        row = rows[i]
        cut = (1.0 - row.conf_level) / 2
        holm_verdict = row.verdict
        if row.verdict == "supported" and p_holm >= cut:
            holm_verdict = "inconclusive"
        updated[i] = ClaimResult(**{**asdict(row), "p_holm": p_holm,
                                    "verdict_holm": holm_verdict})
    return updated


def evaluate_claims(
    statistics: pd.DataFrame,
    claims: list[Claim] | None = None,
    conf_level: float = 0.95,
    dispersion: float = 1.0,
    report: Report | None = None,
) -> pd.DataFrame:
    """Test every claim: load -> check report text -> test each -> adjust for multiplicity.

    Args:
        statistics: The statistics table.
        claims: Claims to test (default: ``data/claims.yaml``).
        conf_level: Confidence level of every interval.
        dispersion: Quasi-Poisson scale (design effect for shares), at least 1.
        report: The parsed raw report for the verbatim check (default: the project's);
            the check is skipped for claims passed in without report text.

    Returns:
        The claims table, one row per claim (columns :data:`CLAIM_COLUMNS`); proportions
        are fractions (0.93), ratios are ratios; ``paragraph`` and ``footnote`` are integers.
    """
    claims = load_claims() if claims is None else claims
    quoted = [claim for claim in claims if claim.report_text]
    if quoted:
        check_report_text(quoted, load_report() if report is None else report)
    rows = _with_holm([evaluate_claim(c, statistics, conf_level, dispersion) for c in claims])
    frame = pd.DataFrame([asdict(row) for row in rows], columns=list(CLAIM_COLUMNS))
    frame["footnote"] = frame["footnote"].astype("Int64")
    for name in ("dispersion_flip", "threshold_flip", "null_value", "threshold"):
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    return frame
