"""Evaluate each claim: literal and model verdicts, the Holm family, flips, year noise.

A tested claim rests on one or more *hypotheses*: a series moved in its claimed direction
(a change), or a share lies on its claimed side of a threshold. A change claim has one, the
"moved apart" claim two (one per series), a share claim one. The family over which p-values
are Holm-adjusted is the set of distinct hypotheses of all tested claims: the intersection-union
claim adds none of its own (its series are the two change claims' hypotheses), and its adjusted
p-value is the larger of its series' adjusted p-values, which controls the family-wise error
for it as for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import pandas as pd

from analysis.claims.spec import (
    FAMILY,
    Claim,
    ContextItem,
    check_report_text,
    load_claims,
    load_spec,
    reference_sigma,
)
from analysis.claims.table import ClaimResult, typed_frame
from analysis.dataset.source import Report, load_report
from analysis.dataset.views import fact_count, fact_value
from analysis.stats.directional import (
    DirectionalTest,
    binomial_direction,
    check_sigma,
    dispersion_flip,
    first_change,
    holm,
    intersection_union,
    lognormal_direction,
    noise_flip,
    rate_direction,
    spaced_grid,
    tail_pair,
)
from analysis.stats.estimates import PercentChange, check_conf_level, check_dispersion
from analysis.stats.pvalues import format_p, log10_p
from analysis.stats.trends import compare_trends

_NAN = math.nan
_LN10 = math.log(10.0)


# ---------------------------------------------------------------------------
# Hypotheses: the elementary tests the claims rest on
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hypothesis:
    """One elementary hypothesis of the family.

    Attributes:
        shape: ``"change"`` (``first`` is the earlier count, ``second`` the later) or
            ``"share"`` (``first`` of ``second``).
        first: The earlier count, or the part.
        second: The later count, or the total.
        side: The claimed side (``"above"``: an increase, or a share above the threshold).
        threshold: The reference proportion of a share (0.5 for a change: equal counts).
    """

    shape: str
    first: int
    second: int
    side: str
    threshold: float = 0.5

    def tails(self, dispersion: float) -> tuple[float, float]:
        """Log one-sided p-values (claimed, opposite) of the exact test at ``dispersion``."""
        if self.shape == "change":
            return tail_pair(self.second, self.first + self.second, 0.5, self.side, dispersion)
        return tail_pair(self.first, self.second, self.threshold, self.side, dispersion)

    def noise_tails(self, sigma: float, conf_level: float) -> tuple[float, float]:
        """Log p-values under the log-normal year noise (a share keeps its binomial test)."""
        if self.shape != "change":
            return self.tails(1.0)
        test = lognormal_direction(self.first, self.second, self.side, noise_sigma=sigma,
                                   conf_level=conf_level)
        return test.log_p, test.log_p_other


def _joint_verdict(tails: Sequence[tuple[float, float]], cut: float) -> str:
    """Supported when every hypothesis is, contradicted when any is contradicted."""
    if all(log_p < cut for log_p, _ in tails):
        return "supported"
    if any(log_other < cut for _, log_other in tails):
        return "contradicted"
    return "inconclusive"


#: How the Holm family is formed: one member per distinct hypothesis (the default), or one
#: per tested claim (an intersection-union claim then counts its binding series' p twice).
FAMILY_MEMBERS: tuple[str, ...] = ("hypotheses", "claims")


def _member_tails(tails: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """A member of several hypotheses (an intersection-union claim): the larger p claimed."""
    return max(log_p for log_p, _ in tails), min(log_other for _, log_other in tails)


@dataclass(frozen=True)
class _Family:
    """The members of the Holm family and which claims rest on which.

    Attributes:
        members: The units Holm adjusts, each a tuple of hypotheses (one hypothesis each
            when the members are the distinct hypotheses).
        claims: For each tested claim, its hypotheses and the indices of its members.
        cut: ``log(alpha / 2)``.
    """

    members: tuple[tuple[Hypothesis, ...], ...]
    claims: tuple[tuple[str, tuple[Hypothesis, ...], tuple[int, ...]], ...]
    cut: float

    @classmethod
    def of(cls, tested: Sequence[tuple[str, tuple[Hypothesis, ...]]], level: float,
           members: str = "hypotheses") -> _Family:
        if members not in FAMILY_MEMBERS:
            raise ValueError(f"family must be one of {FAMILY_MEMBERS}, got {members!r}")
        units: list[tuple[Hypothesis, ...]] = []
        claims = []
        for claim_id, own in tested:
            if members == "claims":
                units.append(own)
                claims.append((claim_id, own, (len(units) - 1,)))
                continue
            indices = []
            for hypothesis in own:
                if (hypothesis,) not in units:
                    units.append((hypothesis,))
                indices.append(units.index((hypothesis,)))
            claims.append((claim_id, own, tuple(indices)))
        return cls(tuple(units), tuple(claims), math.log((1.0 - level) / 2))

    def _adjusted(self, tails_of: Callable[[Hypothesis], tuple[float, float]],
                  ) -> dict[str, tuple[float, str]]:
        """Each claim's Holm-adjusted p-value and verdict, from its hypotheses' tails."""
        cache = {h: tails_of(h) for member in self.members for h in member}
        member_tails = [_member_tails([cache[h] for h in member]) for member in self.members]
        adjusted = holm([math.exp(log_p) for log_p, _ in member_tails])
        result = {}
        for claim_id, own, indices in self.claims:
            p_holm = max(adjusted[i] for i in indices)
            verdict = _joint_verdict([cache[h] for h in own], self.cut)
            if verdict == "supported" and not p_holm < math.exp(self.cut):
                verdict = "inconclusive"
            result[claim_id] = (p_holm, verdict)
        return result

    def at_dispersion(self, phi: float) -> dict[str, tuple[float, str]]:
        """Holm over the family with every hypothesis at dispersion ``phi``."""
        return self._adjusted(lambda h: h.tails(phi))

    def at_noise(self, sigma: float, level: float) -> dict[str, tuple[float, str]]:
        """Holm over the family with every change under year noise ``sigma``."""
        return self._adjusted(lambda h: h.noise_tails(sigma, level))


# ---------------------------------------------------------------------------
# Testing one claim
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """What a kind-specific evaluation hands to :func:`_result`."""

    test: DirectionalTest | None
    literal: str
    reason: str
    hypotheses: tuple[Hypothesis, ...] = ()
    counts: str = ""
    threshold_flip: float | None = None
    log_opposite_poisson: float = _NAN
    percent: PercentChange | None = None
    series: tuple[DirectionalTest, ...] = ()
    effect: tuple[str, float, float, float] = ("", _NAN, _NAN, _NAN)
    estimate: float = _NAN
    metric: str = ""
    method: str = ""
    context: str = ""
    reported_value: str = ""
    years: tuple[int, ...] = field(default=())


def _interval_words(test: DirectionalTest, what: str) -> str:
    level = f"{test.conf_level:.0%}"
    interval = f"{level} interval of the {what} [{test.ci_low:.3g}, {test.ci_high:.3g}]"
    side = "above" if test.side == "above" else "below"
    if test.verdict == "supported":
        return f"the {interval} lies wholly {side} {test.reference:g}"
    if test.verdict == "contradicted":
        return f"the {interval} lies wholly on the other side of {test.reference:g}"
    return f"the {interval} includes {test.reference:g}: not shown at this level"


_RATE_METHOD = ("exact conditional binomial test, one-sided in the claimed direction; central "
                "Clopper-Pearson interval of the conditional proportion mapped to the rate ratio "
                "(the later count over the earlier, unit exposure in each year; effective counts "
                "divided by the dispersion)")
_SHARE_METHOD = ("exact binomial test, one-sided in the claimed direction; central "
                 "Clopper-Pearson interval (effective counts divided by the dispersion)")


def _years(stats: pd.DataFrame, fact_ids: Sequence[str]) -> tuple[int, ...]:
    """The distinct years the figures state (none when the table has no year column)."""
    if "year" not in stats.columns:
        return ()
    years = stats.set_index("fact_id").loc[list(fact_ids), "year"]
    return tuple(sorted({int(y) for y in pd.to_numeric(years, errors="coerce").dropna()}))


def _change(claim: Claim, stats: pd.DataFrame, level: float, phi: float) -> _Outcome:
    earlier, later = (fact_count(stats, f) for f in claim.facts)
    side = claim.sides[0]
    test = rate_direction(earlier, later, side, conf_level=level, dispersion=phi)
    holds = later > earlier if side == "above" else later < earlier
    return _Outcome(
        test=test, literal="true" if holds else "false",
        reason=_interval_words(test, "rate ratio"), counts=f"{earlier} -> {later}",
        hypotheses=(Hypothesis("change", earlier, later, side),),
        log_opposite_poisson=rate_direction(earlier, later, side).log_prob_opposite,
        percent=PercentChange.of_ratio(test.estimate, test.ci_low, test.ci_high),
        method=_RATE_METHOD, years=_years(stats, claim.facts),
    )


def _diverging(claim: Claim, stats: pd.DataFrame, level: float, phi: float) -> _Outcome:
    a1, a2, b1, b2 = (fact_count(stats, f) for f in claim.facts)
    side_a, side_b = claim.sides
    series = (rate_direction(a1, a2, side_a, conf_level=level, dispersion=phi),
              rate_direction(b1, b2, side_b, conf_level=level, dispersion=phi))
    test = intersection_union(list(series))
    poisson = intersection_union([rate_direction(a1, a2, side_a), rate_direction(b1, b2, side_b)])
    moved = [(a2 > a1) if side_a == "above" else (a2 < a1),
             (b2 > b1) if side_b == "above" else (b2 < b1)]
    rrr = compare_trends(b1, b2, a1, a2, conf_level=level, dispersion=phi)
    binding = "first" if series[0].log_p >= series[1].log_p else "second"
    reason = ("intersection-union test, each series one-sided in its claimed direction and the "
              f"claim's p the larger of the two (here the {binding} series'): "
              + "; ".join(_interval_words(t, f"{name} series' rate ratio")
                          for name, t in zip(("first", "second"), series, strict=True)))
    return _Outcome(
        test=test, literal="true" if all(moved) else "false", reason=reason,
        counts=f"{a1} -> {a2}; {b1} -> {b2}",
        hypotheses=(Hypothesis("change", a1, a2, side_a), Hypothesis("change", b1, b2, side_b)),
        log_opposite_poisson=poisson.log_prob_opposite, series=series,
        effect=("ratio_of_rate_ratios", rrr.estimate, rrr.ci_low, rrr.ci_high),
        method=(f"intersection-union of two one-sided tests ({_RATE_METHOD}); each series' "
                "rate ratio and interval in first_/second_, the binding series' (the one "
                "whose p-value is the claim's) in estimate; effect size: ratio of rate ratios "
                "(first series over second), Wald interval of the Poisson GLM interaction, SE "
                "scaled by the square root of the dispersion"),
        years=_years(stats, claim.facts),
    )


def _proportion(claim: Claim, stats: pd.DataFrame, level: float, phi: float) -> _Outcome:
    part, other = (fact_count(stats, f) for f in claim.facts)
    total = part + other if claim.total == "sum" else other
    threshold = float(claim.threshold)  # type: ignore[arg-type]
    side = claim.sides[0]
    test = binomial_direction(part, total, threshold, side, conf_level=level, dispersion=phi)
    share = part / total
    holds = share > threshold if side == "above" else share < threshold
    return _Outcome(
        test=test, literal="true" if holds else "false",
        reason=_interval_words(test, "proportion"), counts=f"{part} of {total}",
        hypotheses=(Hypothesis("share", part, total, side, threshold),),
        threshold_flip=test.ci_low if side == "above" else test.ci_high,
        log_opposite_poisson=binomial_direction(part, total, threshold,
                                                side).log_prob_opposite,
        method=_SHARE_METHOD, years=_years(stats, claim.facts),
    )


def _context_text(item: ContextItem, stats: pd.DataFrame) -> str:
    top = sum(fact_count(stats, f) for f in item.numerator)
    bottom = sum(fact_count(stats, f) for f in item.denominator)
    if item.shape == "share_not":
        top = bottom - top
    if item.shape in {"share", "share_not"}:
        return f"{item.label}: {top} of {bottom} ({100 * top / bottom:.1f}%)"
    return f"{item.label}: {bottom} -> {top} (ratio {top / bottom:.3g})"


def _not_testable(claim: Claim, stats: pd.DataFrame) -> _Outcome:
    """No test: the context figures, or else the first fact's value as the report gives it."""
    outcome = _Outcome(test=None, literal="not_testable", reason=claim.reason)
    if claim.context:
        context = "; ".join(_context_text(item, stats) for item in claim.context)
        return replace(outcome, context=context)
    if not claim.facts:
        return outcome
    row = stats.loc[stats["fact_id"] == claim.facts[0]].iloc[0]
    percent = row["unit"] == "percent"
    return replace(
        outcome, estimate=fact_value(stats, claim.facts[0]) / (100 if percent else 1),
        metric="reported share" if percent else f"reported {row['unit']}",
        reported_value=str(row.get("value_text", "")),
    )


_EVALUATORS: dict[str, Callable[[Claim, pd.DataFrame, float, float], _Outcome]] = {
    "change": _change, "diverging": _diverging, "proportion": _proportion,
}


# ---------------------------------------------------------------------------
# Sensitivity: over-dispersion and year noise, unadjusted and Holm-adjusted
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Noise:
    """A claim under the log-normal year-noise model (changes only)."""

    p: float = _NAN
    verdict: str = ""
    base: str = ""
    flip: float | None = None
    p_holm: float = _NAN
    verdict_holm: str = ""
    flip_holm: float | None = None


def _noise_verdict(hypotheses: Sequence[Hypothesis], sigma: float, level: float) -> str:
    tails = [h.noise_tails(sigma, level) for h in hypotheses]
    return _joint_verdict(tails, math.log((1.0 - level) / 2))


def _unadjusted_noise(hypotheses: tuple[Hypothesis, ...], sigma: float, level: float) -> _Noise:
    """p-value, verdict at ``sigma`` and flip (closed form per series) of a change claim."""
    if not hypotheses or any(h.shape != "change" for h in hypotheses):
        return _Noise()
    tails = [h.noise_tails(sigma, level) for h in hypotheses]
    base = _noise_verdict(hypotheses, 0.0, level)
    candidates = sorted(f for h in hypotheses
                        if (f := noise_flip(h.first, h.second, conf_level=level)) is not None)
    flip = next((f for f in candidates
                 if _noise_verdict(hypotheses, f * (1 + 1e-9) + 1e-12, level) != base), None)
    return _Noise(p=math.exp(max(log_p for log_p, _ in tails)),
                  verdict=_joint_verdict(tails, math.log((1.0 - level) / 2)), base=base,
                  flip=flip)


def _flip_grid(start: float, stop: float, geometric: bool) -> tuple[float, ...]:
    points = max(8, int(200 * (math.log2(stop / start) / 8 if geometric else 1)))
    return spaced_grid(start, stop, points, geometric=geometric)


def _holm_flip(verdict_at: Callable[[float], str], start: float, stop: float | None,
               geometric: bool) -> float | None:
    """Where a Holm verdict first changes between ``start`` and ``stop`` (none past ``stop``)."""
    if stop is None or stop <= start:
        return None
    return first_change(verdict_at, _flip_grid(start, stop, geometric))


# ---------------------------------------------------------------------------
# The row
# ---------------------------------------------------------------------------


def _log10_p(test: DirectionalTest | None) -> float:
    return test.log10_p if test else _NAN


def _p_value(test: DirectionalTest) -> float:
    """The one-sided p-value; empty below 1e-300 (its logarithm stays in ``log10_p``)."""
    return math.exp(test.log_p) if test.log10_p > -300 else _NAN


@dataclass(frozen=True)
class _Adjusted:
    """A tested claim's flips and its place in the family: Holm at dispersion, the noise model.

    ``flip`` is the unadjusted dispersion flip (searched once: the Holm flip's search stops
    just past it).
    """

    flip: float | None = None
    p_holm: float = _NAN
    verdict_holm: str = ""
    flip_holm: float | None = None
    family_size: int = 0
    noise: _Noise = field(default_factory=_Noise)


def _time_words(years: tuple[int, ...]) -> str:
    if len(years) == 2:
        return (f"Two time points ({years[0]} and {years[1]}): a difference between two "
                "years' registered counts, not a trend. ")
    if len(years) == 1:
        return f"One year ({years[0]}). "
    return ""


def _model_words(claim: Claim, phi: float) -> str:
    if claim.kind == "proportion":
        return "binomial" if phi == 1.0 else f"binomial, design effect {phi:g}"
    return "Poisson counts, phi = 1" if phi == 1.0 else f"quasi-Poisson, phi = {phi:g}"


def _reason(claim: Claim, outcome: _Outcome, phi: float, adjusted: _Adjusted,
            sigma: float) -> str:
    """The verdict in words: unadjusted and adjusted, at which phi and sigma, how many years."""
    test = outcome.test
    if test is None:
        return outcome.reason
    text = (f"{_time_words(outcome.years)}Unadjusted ({_model_words(claim, phi)}): "
            f"{outcome.reason} (one-sided p = {format_p(test.log10_p)}).")
    if adjusted.verdict_holm:
        text += (f" Holm-adjusted over the family ({adjusted.family_size} members): "
                 f"{adjusted.verdict_holm} (p = {format_p(log10_p(adjusted.p_holm))})")
        text += (f"; it changes at phi = {adjusted.flip_holm:.3g}." if adjusted.flip_holm
                 else "; no phi changes it.")
    noise = adjusted.noise
    if noise.verdict:
        text += (f" With a log-normal year effect of sigma = {sigma:g}: {noise.verdict} "
                 f"unadjusted (p = {format_p(log10_p(noise.p))})")
        if noise.verdict_holm:
            text += (f", {noise.verdict_holm} Holm-adjusted "
                     f"(p = {format_p(log10_p(noise.p_holm))})")
        text += "."
        if noise.flip is not None:
            text += (f" Its verdict at sigma = 0 ({noise.base}) changes at sigma = "
                     f"{noise.flip:.3g} unadjusted")
            text += (f" and {noise.flip_holm:.3g} adjusted." if noise.flip_holm is not None
                     else ".")
    elif claim.kind == "proportion":
        text += (" The year-noise model does not apply: a year effect common to all the cases "
                 "of one year cancels in a share.")
    return text


def _result(claim: Claim, outcome: _Outcome, phi: float, level: float, sigma: float,
            adjusted: _Adjusted) -> ClaimResult:
    test = outcome.test
    log10_p = _log10_p(test)
    noise = adjusted.noise
    percent = outcome.percent.values() if outcome.percent else (_NAN, _NAN, _NAN)
    first, second = (outcome.series + (None, None))[:2]
    return ClaimResult(
        claim_id=claim.claim_id, label=claim.label, paragraph=claim.paragraph,
        footnote=claim.footnote, report_text=claim.report_text, claim=claim.claim,
        question=claim.question, kind=claim.kind, metric=claim.metric or outcome.metric,
        direction=claim.direction, null_value=claim.null_value if test else None,
        threshold=claim.threshold, counts=outcome.counts,
        reported_value=outcome.reported_value,
        estimate=test.estimate if test else outcome.estimate,
        ci_low=test.ci_low if test else _NAN, ci_high=test.ci_high if test else _NAN,
        conf_level=level, dispersion=phi, p_value=_p_value(test) if test else _NAN,
        log10_p=log10_p, p_display=format_p(log10_p) if test else "",
        family=FAMILY if test else "", p_holm=adjusted.p_holm,
        verdict_holm=adjusted.verdict_holm, literal_verdict=outcome.literal,
        verdict=test.verdict if test else "not_testable",
        verdict_reason=_reason(claim, outcome, phi, adjusted, sigma),
        reason_code=claim.reason_code,
        dispersion_flip=adjusted.flip, dispersion_flip_holm=adjusted.flip_holm,
        threshold_flip=outcome.threshold_flip,
        noise_sigma=sigma if noise.verdict else None, p_noise=noise.p,
        p_noise_holm=noise.p_holm, verdict_noise=noise.verdict,
        verdict_noise_holm=noise.verdict_holm, noise_flip=noise.flip,
        noise_flip_holm=noise.flip_holm,
        log10_prob_opposite=outcome.log_opposite_poisson / _LN10,
        prob_opposite_display=format_p(outcome.log_opposite_poisson / _LN10) if test else "",
        log10_prob_opposite_dispersed=test.log_prob_opposite / _LN10 if test else _NAN,
        percent_change=percent[0], percent_change_ci_low=percent[1],
        percent_change_ci_high=percent[2],
        first_rate_ratio=first.estimate if first else _NAN,
        first_ci_low=first.ci_low if first else _NAN,
        first_ci_high=first.ci_high if first else _NAN,
        second_rate_ratio=second.estimate if second else _NAN,
        second_ci_low=second.ci_low if second else _NAN,
        second_ci_high=second.ci_high if second else _NAN,
        effect_metric=outcome.effect[0], effect_estimate=outcome.effect[1],
        effect_ci_low=outcome.effect[2], effect_ci_high=outcome.effect[3],
        context=outcome.context, method=outcome.method, facts=" ".join(claim.facts),
    )


def _upper(outcome: _Outcome) -> float:
    """Largest dispersion searched: the smallest total of a hypothesis (one effective trial)."""
    return float(min(h.first + h.second if h.shape == "change" else h.second
                     for h in outcome.hypotheses))


def _dispersion_flip(outcome: _Outcome) -> float | None:
    if not outcome.hypotheses:
        return None
    cut = math.log((1.0 - outcome.test.conf_level) / 2)  # type: ignore[union-attr]
    return dispersion_flip(
        lambda d: _joint_verdict([h.tails(d) for h in outcome.hypotheses], cut), _upper(outcome))


def _outcome(claim: Claim, statistics: pd.DataFrame, level: float, phi: float) -> _Outcome:
    evaluator = _EVALUATORS.get(claim.kind)
    return evaluator(claim, statistics, level, phi) if evaluator else _not_testable(
        claim, statistics)


def evaluate_claim(
    claim: Claim, statistics: pd.DataFrame, conf_level: float = 0.95, dispersion: float = 1.0,
    noise_sigma: float | None = None,
) -> ClaimResult:
    """Test one claim, without the family-wide Holm adjustment (its Holm columns are empty).

    Args:
        claim: The claim.
        statistics: The statistics table.
        conf_level: Confidence level of every interval (tests are one-sided at half of
            ``1 - conf_level``, so verdict and interval agree).
        dispersion: Quasi-Poisson scale (design effect for shares), at least 1.
        noise_sigma: The year-noise sigma of the log-normal model, at least 0 (default: the
            reference of ``data/claims.yaml``).

    Returns:
        The claim's row of the claims table.
    """
    level = check_conf_level(conf_level)
    phi = check_dispersion(dispersion)
    sigma = check_sigma(reference_sigma() if noise_sigma is None else noise_sigma)
    outcome = _outcome(claim, statistics, level, phi)
    adjusted = _Adjusted(flip=_dispersion_flip(outcome),
                         noise=_unadjusted_noise(outcome.hypotheses, sigma, level))
    return _result(claim, outcome, phi, level, sigma, adjusted)


def _adjust(outcomes: Sequence[tuple[Claim, _Outcome]], level: float, phi: float,
            sigma: float, members: str) -> dict[str, _Adjusted]:
    """Holm at dispersion and under year noise over the family; the flips of both."""
    tested = [(c.claim_id, o.hypotheses) for c, o in outcomes if o.hypotheses]
    family = _Family.of(tested, level, members)
    at_phi = family.at_dispersion(phi)
    base_phi = family.at_dispersion(1.0)
    at_sigma = family.at_noise(sigma, level)
    base_sigma = family.at_noise(0.0, level)
    adjusted = {}
    for claim, outcome in outcomes:
        if not outcome.hypotheses:
            continue
        cid = claim.claim_id
        unadjusted_flip = _dispersion_flip(outcome)
        flip_holm = _holm_flip(lambda d, c=cid: family.at_dispersion(d)[c][1], 1.0,
                               unadjusted_flip * (1 + 1e-9) if unadjusted_flip
                               else None, geometric=True)
        noise = _unadjusted_noise(outcome.hypotheses, sigma, level)
        if noise.verdict:
            noise_holm = None
            if base_sigma[cid][1] == noise.base:
                noise_holm = _holm_flip(lambda s, c=cid: family.at_noise(s, level)[c][1], 0.0,
                                        noise.flip * (1 + 1e-9) if noise.flip else None,
                                        geometric=False)
            noise = replace(noise, p_holm=at_sigma[cid][0], verdict_holm=at_sigma[cid][1],
                            flip_holm=noise_holm)
        if base_phi[cid][1] != _joint_verdict([h.tails(1.0) for h in outcome.hypotheses],
                                               family.cut):
            flip_holm = None  # the adjustment already changes the Poisson verdict
        adjusted[cid] = _Adjusted(flip=unadjusted_flip,
                                  p_holm=at_phi[cid][0], verdict_holm=at_phi[cid][1],
                                  flip_holm=flip_holm, family_size=len(family.members),
                                  noise=noise)
    return adjusted


def evaluate_claims(
    statistics: pd.DataFrame,
    claims: list[Claim] | None = None,
    conf_level: float = 0.95,
    dispersion: float = 1.0,
    report: Report | None = None,
    noise_sigma: float | None = None,
    family: str = "hypotheses",
) -> pd.DataFrame:
    """Test every claim: load -> check report text -> test each -> adjust and flip.

    Args:
        statistics: The statistics table.
        claims: Claims to test (default: ``data/claims.yaml``).
        conf_level: Confidence level of every interval.
        dispersion: Quasi-Poisson scale (design effect for shares), at least 1.
        report: The parsed raw report for the verbatim check (default: the project's);
            the check is skipped for claims passed in without report text.
        noise_sigma: The year-noise sigma of the log-normal model, at least 0 (default: the
            reference of ``data/claims.yaml``).
        family: The members of the Holm family: ``"hypotheses"`` (each distinct hypothesis
            once; an intersection-union claim adds none of its own) or ``"claims"`` (one per
            tested claim, its p-value the larger of its series'), see :data:`FAMILY_MEMBERS`.

    Returns:
        The claims table, one row per claim (the columns of
        :data:`~analysis.claims.table.CLAIMS_TABLE`, dtypes from their declared types).
    """
    level = check_conf_level(conf_level)
    phi = check_dispersion(dispersion)
    sigma = check_sigma(reference_sigma() if noise_sigma is None else noise_sigma)
    if family not in FAMILY_MEMBERS:
        raise ValueError(f"family must be one of {FAMILY_MEMBERS}, got {family!r}")
    claims = load_claims() if claims is None else claims
    quoted = [claim for claim in claims if claim.report_text]
    if quoted:
        check_report_text(quoted, load_report() if report is None else report)
    outcomes = [(claim, _outcome(claim, statistics, level, phi)) for claim in claims]
    adjusted = _adjust(outcomes, level, phi, sigma, family)
    rows = [_result(claim, outcome, phi, level, sigma,
                    adjusted.get(claim.claim_id, _Adjusted()))
            for claim, outcome in outcomes]
    return typed_frame([asdict(row) for row in rows])


# ---------------------------------------------------------------------------
# How large a year noise is plausible, and the verdicts over a range of it
# ---------------------------------------------------------------------------


def verdicts_by_sigma(
    statistics: pd.DataFrame,
    sigmas: Sequence[float] | None = None,
    conf_level: float = 0.95,
    claims: list[Claim] | None = None,
) -> pd.DataFrame:
    """The year-noise verdicts of the tested changes over a range of sigmas.

    Args:
        statistics: The statistics table.
        sigmas: The sigmas (default: ``noise.sigmas`` of ``data/claims.yaml``).
        conf_level: Confidence level (the tests are one-sided at half of ``1 - conf_level``).
        claims: Claims to test (default: ``data/claims.yaml``).

    Returns:
        One row per tested change (indexed by ``label``), one column per sigma: its
        Holm-adjusted verdict over the family.
    """
    level = check_conf_level(conf_level)
    spec = load_spec()
    if sigmas is None:
        sigmas = spec.noise.sigmas if spec.noise else ()
    grid = [check_sigma(v, "sigmas") for v in sigmas]
    claims = list(spec.claims) if claims is None else claims
    outcomes = [(c, _outcome(c, statistics, level, 1.0)) for c in claims]
    changes = [(c, o) for c, o in outcomes
               if o.hypotheses and all(h.shape == "change" for h in o.hypotheses)]
    family = _Family.of([(c.claim_id, o.hypotheses) for c, o in outcomes if o.hypotheses],
                        level)
    columns = {}
    for sigma in grid:
        holm_at = family.at_noise(sigma, level)
        columns[f"sigma = {sigma:g}"] = [holm_at[c.claim_id][1] for c, _ in changes]
    return pd.DataFrame(columns, index=pd.Index([c.label for c, _ in changes], name="label"))
