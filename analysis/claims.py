"""Test the report's verbal claims against its own figures.

``data/claims.yaml`` lists each quantitative claim the report makes in words: the report's
own words (checked verbatim against the raw text), the question it raises, the figures behind
it and how it is tested; the rules of each kind of test are data in the same file.
:func:`evaluate_claims` gives every claim two verdicts:

* ``literal_verdict``: what the report's numbers say read literally, by arithmetic
  (``746 > 614`` is ``true``); ``not_testable`` when there is nothing to compare;
* ``verdict``: the model-based verdict of :mod:`analysis.stats.directional` (``supported``,
  ``inconclusive``, ``contradicted``) or ``not_testable``, with the one-sided exact p-value
  and the central interval that inverts the same test, so the two never disagree.

Around them: Holm-adjusted p-values over the declared family of tested claims, the smallest
over-dispersion that changes each verdict (``dispersion_flip``), the threshold at which a
share's verdict changes (``threshold_flip``) and the posterior probability of the claimed
direction under a Jeffreys prior, with and without the dispersion.

A verdict is only as good as its model: registered counts are treated as Poisson counts
(scaled by the quasi-Poisson ``dispersion``), so "supported" means "the report's numbers
differ beyond what variation of that size would give" -- not that a trend exists (two time
points cannot show one), nor that the report's explanation of it is right.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis import paths
from analysis.dataset.source import Report, load_report
from analysis.dataset.views import fact_value
from analysis.stats.directional import (
    DirectionalTest,
    binomial_direction,
    check_dispersion,
    dispersion_flip,
    format_p,
    holm,
    intersection_union,
    rate_direction,
)
from analysis.stats.estimates import check_conf_level
from analysis.stats.trends import compare_trends

#: Model-based verdicts.
VERDICTS: tuple[str, ...] = ("supported", "inconclusive", "contradicted", "not_testable")
#: Literal (arithmetic) verdicts.
LITERAL_VERDICTS: tuple[str, ...] = ("true", "false", "not_testable")
#: Name of the family of tested claims over which p-values are Holm-adjusted.
FAMILY: str = "report_claims"


class ClaimSpecError(ValueError):
    """The claims file is malformed; the message names the file and the claim."""


@dataclass(frozen=True)
class KindRule:
    """The rules of one kind of claim (``kinds:`` in ``data/claims.yaml``)."""

    name: str
    facts: int | None
    directions: dict[str, tuple[str, ...]]
    metric: str = ""
    null_value: float | None = None


@dataclass(frozen=True)
class ContextItem:
    """A figure shown beside a not-testable claim: a share or a change of summed counts."""

    label: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    shape: str  # "share" (numerator of denominator) or "change" (denominator -> numerator)


@dataclass(frozen=True)
class Claim:
    """One entry of ``data/claims.yaml`` (see the file's header for the fields)."""

    claim_id: str
    paragraph: int
    claim: str
    kind: str
    facts: tuple[str, ...]
    direction: str = ""
    threshold: float | None = None
    total: str = ""
    reason: str = ""
    label: str = ""
    question: str = ""
    report_text: str = ""
    footnote: int | None = None
    context: tuple[ContextItem, ...] = ()
    sides: tuple[str, ...] = ()
    metric: str = ""
    null_value: float | None = None


@dataclass(frozen=True)
class ClaimResult:
    """One row of the claims table (the columns of ``figures/claims.csv``)."""

    claim_id: str
    label: str
    paragraph: int
    footnote: int | None
    report_text: str
    claim: str
    question: str
    kind: str
    metric: str
    direction: str
    null_value: float | None
    threshold: float | None
    counts: str
    reported_value: str
    estimate: float
    ci_low: float
    ci_high: float
    conf_level: float
    dispersion: float
    p_value: float
    log10_p: float
    p_display: str
    family: str
    p_holm: float
    verdict_holm: str
    literal_verdict: str
    verdict: str
    verdict_reason: str
    dispersion_flip: float | None
    threshold_flip: float | None
    prob_direction: float
    prob_direction_dispersed: float
    percent_change: float
    percent_change_ci_low: float
    percent_change_ci_high: float
    effect_metric: str
    effect_estimate: float
    effect_ci_low: float
    effect_ci_high: float
    context: str
    method: str
    facts: str


#: Columns of the claims table, in order.
CLAIM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ClaimResult))
_FIELD_TYPES = {"str": "string", "int": "integer", "int | None": "integer", "float": "number",
                "float | None": "number"}
_ENUMS: dict[str, tuple[str, ...]] = {
    "kind": ("change", "diverging", "proportion", "not_testable"),
    "verdict": VERDICTS,
    "verdict_holm": VERDICTS[:3],
    "literal_verdict": LITERAL_VERDICTS,
}


def claims_schema() -> dict[str, Any]:
    """Table Schema (Frictionless) of ``figures/claims.csv``, derived from :class:`ClaimResult`.

    Returns:
        The schema descriptor: one field per column with its type, ``required`` for the id
        and verdicts, enums for kind and verdicts, and ``[0, 1]`` bounds on probabilities.
    """
    schema_fields = []
    for item in fields(ClaimResult):
        entry: dict[str, Any] = {"name": item.name, "type": _FIELD_TYPES[str(item.type)]}
        constraints: dict[str, Any] = {}
        if item.name in _ENUMS:
            constraints["enum"] = list(_ENUMS[item.name])
        if item.name in {"claim_id", "verdict", "literal_verdict"}:
            constraints["required"] = True
        if item.name in {"p_value", "p_holm", "prob_direction", "prob_direction_dispersed"}:
            constraints.update({"minimum": 0, "maximum": 1})
        if item.name in {"dispersion", "dispersion_flip"}:
            constraints["minimum"] = 1
        if constraints:
            entry["constraints"] = constraints
        schema_fields.append(entry)
    return {"fields": schema_fields, "primaryKey": ["claim_id"]}
_CLAIM_KEYS = frozenset({"claim_id", "paragraph", "claim", "kind", "facts", "direction",
                         "threshold", "total", "reason", "label", "question", "report_text",
                         "footnote", "context"})
_NAN = math.nan


# ---------------------------------------------------------------------------
# Loading the claims file
# ---------------------------------------------------------------------------


def _kind_rules(document: Mapping[str, Any], path: Path) -> dict[str, KindRule]:
    rules = {}
    for name, entry in (document.get("kinds") or {}).items():
        directions = {str(key): tuple(value) for key, value in entry["directions"].items()}
        rules[name] = KindRule(name, entry.get("facts"), directions, entry.get("metric", ""),
                               entry.get("null_value"))
    if "not_testable" not in rules:
        raise ClaimSpecError(f"{path}: kinds must define not_testable")
    return rules


def _context(entries: Sequence[Mapping[str, Any]], where: str) -> tuple[ContextItem, ...]:
    items = []
    for entry in entries:
        if "share" in entry and "of" in entry:
            items.append(ContextItem(entry["label"], tuple(entry["share"]), tuple(entry["of"]),
                                     "share"))
        elif "from" in entry and "to" in entry:
            items.append(ContextItem(entry["label"], tuple(entry["to"]), tuple(entry["from"]),
                                     "change"))
        else:
            raise ClaimSpecError(f"{where}: a context entry needs share/of or from/to")
    return tuple(items)


def _claim(entry: Mapping[str, Any], rules: Mapping[str, KindRule], where: str) -> Claim:
    unknown = set(entry) - _CLAIM_KEYS
    if unknown:
        raise ClaimSpecError(f"{where}: unknown keys {sorted(unknown)}")
    kind = entry.get("kind")
    if kind not in rules:
        raise ClaimSpecError(f"{where}: kind must be one of {tuple(rules)}, got {kind!r}")
    rule = rules[kind]
    direction = entry.get("direction", "")
    if direction not in rule.directions:
        raise ClaimSpecError(f"{where}: direction {direction!r} not allowed for kind {kind!r}")
    try:
        claim = Claim(
            claim_id=entry["claim_id"], paragraph=int(entry["paragraph"]), claim=entry["claim"],
            kind=kind, facts=tuple(entry.get("facts", ())), direction=direction,
            threshold=entry.get("threshold"), total=entry.get("total", ""),
            reason=entry.get("reason", ""), label=entry.get("label", entry["claim_id"]),
            question=entry.get("question", ""), report_text=entry.get("report_text", ""),
            footnote=entry.get("footnote"), context=_context(entry.get("context", ()), where),
            sides=rule.directions[direction], metric=rule.metric,
            null_value=entry.get("threshold", rule.null_value),
        )
    except KeyError as error:
        raise ClaimSpecError(f"{where}: missing key {error.args[0]!r}") from None
    _check_claim(claim, rule, where)
    return claim


def _check_claim(claim: Claim, rule: KindRule, where: str) -> None:
    if rule.facts is not None and len(claim.facts) != rule.facts:
        raise ClaimSpecError(f"{where}: kind {claim.kind!r} needs {rule.facts} facts, got "
                             f"{len(claim.facts)}")
    if claim.kind == "proportion":
        if claim.total not in {"sum", "second"}:
            raise ClaimSpecError(f"{where}: total must be 'sum' or 'second'")
        if claim.threshold is None or not 0 < float(claim.threshold) < 1:
            raise ClaimSpecError(f"{where}: threshold must lie in (0, 1)")
    if claim.kind == "not_testable" and not claim.reason:
        raise ClaimSpecError(f"{where}: a not-testable claim needs a reason")


def load_claims(path: Path = paths.CLAIMS_SPEC) -> list[Claim]:
    """Load and validate the claims file.

    Args:
        path: The YAML file.

    Returns:
        The claims, in file order, each with its kind's rules resolved.

    Raises:
        ClaimSpecError: Unknown keys or kind, a wrong number of facts, a bad direction,
            threshold, total or context entry, a duplicate id, or a not-testable claim
            without a reason.
    """
    with Path(path).open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    if "kinds" not in document and Path(path) != paths.CLAIMS_SPEC:
        # A claims file without rules uses the project's (declared once, in data/claims.yaml).
        with paths.CLAIMS_SPEC.open(encoding="utf-8") as handle:
            document = {**document, "kinds": yaml.safe_load(handle)["kinds"]}
    rules = _kind_rules(document, path)
    claims: list[Claim] = []
    for index, entry in enumerate(document.get("claims", [])):
        where = f"{path}: claim {entry.get('claim_id', '#' + str(index + 1))!r}"
        claim = _claim(entry, rules, where)
        if any(other.claim_id == claim.claim_id for other in claims):
            raise ClaimSpecError(f"{where}: duplicate claim_id")
        claims.append(claim)
    return claims


def check_report_text(claims: Sequence[Claim], report: Report) -> None:
    """Check that every claim's ``report_text`` occurs verbatim in its paragraph's block.

    The block is the paragraph as it stands in the raw file, footnote texts included.

    Args:
        claims: The claims.
        report: The parsed raw report.

    Raises:
        ClaimSpecError: A claim without report text, or text not found; names the claim.
    """
    for claim in claims:
        paragraph = report.paragraph(claim.paragraph)
        block = report.text[paragraph.start:paragraph.end]
        if not claim.report_text or claim.report_text not in block:
            raise ClaimSpecError(
                f"claim {claim.claim_id!r}: report_text {claim.report_text!r} does not occur "
                f"verbatim in paragraph {claim.paragraph} of the raw report"
            )


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


def family_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a claims table that carry a test (the declared multiplicity family)."""
    return table[table["family"] != ""].reset_index(drop=True)


#: Column sets of the claims table shown together in notebook 06, by view name.
VIEWS: dict[str, tuple[str, ...]] = {
    "words": ("label", "paragraph", "report_text", "question", "literal_verdict", "verdict"),
    "tests": ("label", "counts", "metric", "direction", "null_value", "estimate", "ci_low",
              "ci_high", "p_display", "p_holm", "verdict"),
    "changes": ("label", "counts", "percent_change", "percent_change_ci_low",
                "percent_change_ci_high", "effect_metric", "effect_estimate", "effect_ci_low",
                "effect_ci_high"),
    "sensitivity": ("label", "verdict", "dispersion_flip", "threshold", "threshold_flip",
                    "prob_direction", "prob_direction_dispersed", "verdict_holm"),
    "not_testable": ("label", "reported_value", "estimate", "context", "verdict_reason"),
    "reasons": ("label", "verdict", "verdict_reason"),
}


def claims_view(table: pd.DataFrame, view: str) -> pd.DataFrame:
    """The rows and columns of one view of the claims table (see :data:`VIEWS`).

    ``not_testable`` shows only the not-testable claims, ``tests``, ``changes`` and
    ``sensitivity`` only the tested ones, the others every claim.

    Args:
        table: The claims table (:func:`evaluate_claims`).
        view: A key of :data:`VIEWS`.

    Returns:
        The view, indexed by ``claim_id``.

    Raises:
        ValueError: An unknown view.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {tuple(VIEWS)}, got {view!r}")
    rows = table
    if view == "not_testable":
        rows = table[table["verdict"] == "not_testable"]
    elif view in {"tests", "changes", "sensitivity"}:
        rows = family_rows(table)
    if view == "changes":
        rows = rows[rows["kind"] != "proportion"]
    return rows.set_index("claim_id")[list(VIEWS[view])]


def ratio_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Tested claims about changes (rate ratios), for the ratio panel of the claims chart.

    A diverging claim shows its binding series (the one with the larger p-value).
    """
    rows = family_rows(table)[lambda t: t["metric"] == "rate_ratio"].reset_index(drop=True)
    binding = rows["kind"] == "diverging"
    rows.loc[binding, "label"] = rows.loc[binding, "label"] + " (binding series)"
    return rows


def effect_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Ratios of rate ratios shown as effect sizes, with the columns of an interval chart."""
    rows = table[table["effect_metric"] != ""]
    return pd.DataFrame({
        "label": rows["label"] + " (ratio of rate ratios)", "estimate": rows["effect_estimate"],
        "ci_low": rows["effect_ci_low"], "ci_high": rows["effect_ci_high"],
        "verdict": "effect size only",
    }).reset_index(drop=True)


def share_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Tested claims about shares, for the proportions chart (with their thresholds)."""
    return family_rows(table)[lambda t: t["metric"] == "proportion"].reset_index(drop=True)


def fragile_claims(table: pd.DataFrame, below: float) -> pd.DataFrame:
    """Tested claims whose verdict changes at a dispersion below ``below``, most fragile first.

    Args:
        table: The claims table.
        below: Dispersion below which a flip counts as fragile.

    Returns:
        The ``sensitivity`` view of those claims.
    """
    rows = table[table["dispersion_flip"] < below].sort_values("dispersion_flip")
    return claims_view(rows, "sensitivity")


def multiplicity_summary(table: pd.DataFrame) -> str:
    """One sentence: the family, its size, and the verdicts that depend on Holm's adjustment.

    Args:
        table: The claims table.

    Returns:
        The sentence.
    """
    tested = family_rows(table)
    changed = tested[tested["verdict"] != tested["verdict_holm"]]
    names = ", ".join(changed["label"]) if len(changed) else "none"
    return (f"Family {FAMILY!r}: {len(tested)} tested claims, Holm-adjusted. Verdicts that "
            f"depend on the adjustment: {names}.")
