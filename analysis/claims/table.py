"""The claims table: its row type, its declared schema and the views notebook 06 shows.

Every column of ``figures/claims.csv`` is declared once, in :data:`CLAIMS_TABLE` (name, Table
Schema type, constraints, description), with the same :class:`~analysis.tableschema.Field`
and :class:`~analysis.tableschema.Table` declarations as the dataset's tables. The column
order, the Table Schema (:func:`claims_schema`), the dtypes of the evaluated frame and the
README's list of columns (:func:`columns_markdown`) all derive from it; :class:`ClaimResult`
is the typed row the evaluation builds, and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from analysis.claims.spec import (
    FAMILY,
    KINDS,
    LITERAL_VERDICTS,
    VERDICTS,
    ClaimsFile,
    noise_model,
)
from analysis.stats import directional
from analysis.stats.directional import year_noise_sigma
from analysis.tableschema import Field, Table


@dataclass(frozen=True)
class ClaimResult:
    """One row of the claims table (the columns of :data:`CLAIMS_TABLE`, in order)."""

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
    reason_code: str
    dispersion_flip: float | None
    dispersion_flip_holm: float | None
    threshold_flip: float | None
    noise_sigma: float | None
    p_noise: float
    p_noise_holm: float
    verdict_noise: str
    verdict_noise_holm: str
    noise_flip: float | None
    noise_flip_holm: float | None
    log10_prob_opposite: float
    prob_opposite_display: str
    log10_prob_opposite_dispersed: float
    percent_change: float
    percent_change_ci_low: float
    percent_change_ci_high: float
    first_rate_ratio: float
    first_ci_low: float
    first_ci_high: float
    second_rate_ratio: float
    second_ci_low: float
    second_ci_high: float
    effect_metric: str
    effect_estimate: float
    effect_ci_low: float
    effect_ci_high: float
    context: str
    method: str
    facts: str


_MODEL_VERDICTS = directional.VERDICTS
_P = {"minimum": 0.0, "maximum": 1.0}

#: The claims table, ``figures/claims.csv``: every column declared once. Proportions are
#: fractions (0.93), ratios are ratios; an empty cell means "does not apply".
CLAIMS_TABLE = Table(
    resource="claims",
    filename="claims.csv",
    description=(
        "One row per claim of data/claims.yaml: the report's words, the question they raise, "
        "the figures behind them, the test, a literal and a model verdict, and how the "
        "verdict depends on the adjustment for multiplicity and on the noise model."
    ),
    primary_key="claim_id",
    fields=(
        # who and where
        Field("claim_id", "string", "Stable identifier of the claim (data/claims.yaml).",
              required=True, unique=True),
        Field("label", "string", "A short readable name of the claim, for tables and charts."),
        Field("paragraph", "integer", "Numbered paragraph (1-74) where the report makes the "
              "claim; for a footnote, the paragraph citing it.", required=True, minimum=1,
              maximum=74),
        Field("footnote", "integer", "Footnote number, when the claim is in a footnote.",
              minimum=1),
        Field("report_text", "string", "The report's words, verbatim (a test finds them in "
              "the raw text, inside one sentence)."),
        Field("claim", "string", "Our paraphrase, with how a vague word is read (e.g. "
              '"vast majority" as more than 80 per cent).'),
        Field("question", "string", "What is estimated or tested, in one sentence."),
        # the test
        Field("kind", "string", "How the claim is tested: change (two counts), diverging "
              "(two series in opposite directions), proportion (a share against a "
              "threshold) or not_testable.", required=True, enum=KINDS),
        Field("metric", "string", "The estimand: rate_ratio (the later count over the "
              "earlier one, a ratio of Poisson counts with the same unit exposure in both "
              "years), rate_ratio_binding_series (a diverging claim), proportion, or for a "
              "not-testable claim the kind of value reported."),
        Field("direction", "string", "The claimed direction (increase, decrease, above, "
              "below, first_decrease_second_increase)."),
        Field("null_value", "number", "The reference value of the test: 1 for ratios, the "
              "threshold for shares."),
        Field("threshold", "number", "For shares: the proportion the words are read as.",
              minimum=0.0, maximum=1.0),
        Field("counts", "string", "The report's figures behind the claim, e.g. "
              '"741 -> 466" or "16 of 213".'),
        Field("reported_value", "string", "The report's wording of a value, qualifier kept "
              '("nearly double").'),
        Field("estimate", "number", "Point estimate on the metric's scale; for a diverging "
              "claim the binding series' rate ratio (the series whose p-value is the claim's; "
              "metric rate_ratio_binding_series), both series in first_/second_rate_ratio."),
        Field("ci_low", "number", "Lower limit of the central interval that inverts the "
              "test."),
        Field("ci_high", "number", "Upper limit of the central interval."),
        Field("conf_level", "number", "Confidence level of every interval; each test is "
              "one-sided at half of one minus this level.", minimum=0.0, maximum=1.0),
        Field("dispersion", "number", "The quasi-Poisson scale phi (variance phi times the "
              "mean; a design effect for shares) of the p-value, interval and verdict.",
              minimum=1.0),
        # p-values
        Field("p_value", "number", "One-sided exact p-value in the claimed direction, "
              "unadjusted, at dispersion; empty only below 1e-300.", **_P,
              unit="probability"),
        Field("log10_p", "number", "Base-10 log of p_value, from log survival functions "
              "(finite for every finite count)."),
        Field("p_display", "string", "p_value as text from its logarithm (2.6e-16, "
              "< 1e-300); never 0."),
        Field("family", "string", "The declared family of tested claims over which "
              "p-values are Holm-adjusted.", enum=(FAMILY,)),
        Field("p_holm", "number", "Holm-adjusted p-value: the largest adjusted p of the "
              "claim's hypotheses (one per series) in the family of distinct hypotheses.",
              **_P, unit="probability"),
        Field("verdict_holm", "string", "The verdict after the Holm adjustment, at "
              "dispersion (a contradicted verdict is left as it is).", enum=_MODEL_VERDICTS),
        # verdicts
        Field("literal_verdict", "string", "The report's numbers read by arithmetic (746 > "
              "614 is true).", required=True, enum=LITERAL_VERDICTS),
        Field("verdict", "string", "The model verdict, unadjusted, at dispersion: "
              "supported, inconclusive, contradicted, or not_testable.", required=True,
              enum=VERDICTS),
        Field("verdict_reason", "string", "Why, in words: adjusted or not, at which phi and "
              "sigma, from how many time points; for a not-testable claim, why no test is "
              "possible."),
        Field("reason_code", "string", "For a not-testable claim, the kind of reason: one "
              "of the codes declared under reasons: in data/claims.yaml (the loader refuses "
              "any other)."),
        # sensitivity
        Field("dispersion_flip", "number", "Smallest phi >= 1 at which the unadjusted "
              "verdict differs from its Poisson verdict; empty when none.", minimum=1.0),
        Field("dispersion_flip_holm", "number", "Smallest phi >= 1, applied to every claim "
              "of the family, at which verdict_holm differs from its Poisson value; empty "
              "when none.", minimum=1.0),
        Field("threshold_flip", "number", "Shares: the threshold at which the verdict "
              "changes (the interval's limit on the claimed side)."),
        Field("noise_sigma", "number", "Reference year-noise sigma of the log-normal model "
              "(standard deviation of a year's log mean); changes only.", minimum=0.0),
        Field("p_noise", "number", "One-sided p-value of the change under Poisson counts "
              "with a log-normal year effect of noise_sigma, unadjusted.", **_P,
              unit="probability"),
        Field("p_noise_holm", "number", "p_noise Holm-adjusted over the family (shares "
              "keep their binomial p-values).", **_P, unit="probability"),
        Field("verdict_noise", "string", "The verdict under the year-noise model at "
              "noise_sigma, unadjusted.", enum=_MODEL_VERDICTS),
        Field("verdict_noise_holm", "string", "The verdict under the year-noise model at "
              "noise_sigma, Holm-adjusted.", enum=_MODEL_VERDICTS),
        Field("noise_flip", "number", "The sigma at which the year-noise verdict changes "
              "from its value at sigma = 0, unadjusted (closed form); empty when none.",
              minimum=0.0),
        Field("noise_flip_holm", "number", "The sigma, applied to every change in the "
              "family, at which the Holm-adjusted year-noise verdict changes.", minimum=0.0),
        Field("log10_prob_opposite", "number", "Base-10 log of the posterior probability "
              "of the opposite of the claimed direction (Jeffreys prior, Poisson; for a "
              "diverging claim, that some series is not on its claimed side).", maximum=0.0),
        Field("prob_opposite_display", "string", "That probability as text from its "
              "logarithm (never 0; its complement is never shown as 1)."),
        Field("log10_prob_opposite_dispersed", "number", "The same at dispersion.",
              maximum=0.0),
        # size of a change
        Field("percent_change", "number", "100 x (rate ratio - 1).", unit="percent"),
        Field("percent_change_ci_low", "number", "Lower limit of percent_change.",
              unit="percent"),
        Field("percent_change_ci_high", "number", "Upper limit of percent_change.",
              unit="percent"),
        Field("first_rate_ratio", "number", "Diverging claims: the first series' rate "
              "ratio (later over earlier count).", unit="ratio"),
        Field("first_ci_low", "number", "Lower limit of first_rate_ratio.", unit="ratio"),
        Field("first_ci_high", "number", "Upper limit of first_rate_ratio.", unit="ratio"),
        Field("second_rate_ratio", "number", "Diverging claims: the second series' rate "
              "ratio.", unit="ratio"),
        Field("second_ci_low", "number", "Lower limit of second_rate_ratio.",
              unit="ratio"),
        Field("second_ci_high", "number", "Upper limit of second_rate_ratio.",
              unit="ratio"),
        Field("effect_metric", "string", "ratio_of_rate_ratios for a diverging claim: an "
              "effect size (first series' ratio over the second's), not the test.",
              enum=("ratio_of_rate_ratios",)),
        Field("effect_estimate", "number", "The ratio of rate ratios.", unit="ratio"),
        Field("effect_ci_low", "number", "Lower limit (Wald interval of the Poisson GLM "
              "interaction).", unit="ratio"),
        Field("effect_ci_high", "number", "Upper limit.", unit="ratio"),
        Field("context", "string", "Not-testable claims: figures shown as context only "
              "(e.g. both denominators of the suspension rate)."),
        Field("method", "string", "The test and interval, in words."),
        Field("facts", "string", "The dataset's fact_ids behind the claim, space-separated."),
    ),
)

#: Columns of the claims table, in order.
CLAIM_COLUMNS: tuple[str, ...] = CLAIMS_TABLE.columns


def claims_schema() -> dict[str, Any]:
    """Table Schema (Frictionless) of ``figures/claims.csv``, from :data:`CLAIMS_TABLE`.

    Returns:
        The schema descriptor: fields with types, constraints and descriptions, the
        primary key and ``""`` as the missing value.
    """
    return CLAIMS_TABLE.schema_descriptor()


_DTYPES = MappingProxyType({"integer": "Int64", "number": "float64", "string": "object"})


def typed_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The claims table as a frame: columns in order, dtypes from their declared types.

    Args:
        rows: One mapping per claim (the fields of :class:`ClaimResult`).

    Returns:
        The frame; integer columns are nullable integers, number columns floats.
    """
    frame = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    for item in CLAIMS_TABLE.fields:
        if item.type != "string":
            frame[item.name] = pd.to_numeric(frame[item.name]).astype(_DTYPES[item.type])
    return frame


def columns_markdown() -> str:
    """The README's list of the claims table's columns, generated from :data:`CLAIMS_TABLE`.

    Returns:
        A Markdown table (column, type, meaning), one row per column, in order.
    """
    lines = ["| column | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{item.name}` | {item.type} | {item.description} |"
              for item in CLAIMS_TABLE.fields]
    return "\n".join(lines) + "\n"


def family_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a claims table that carry a test (the declared multiplicity family)."""
    return table[table["family"].fillna("") != ""].reset_index(drop=True)


#: Column sets of the claims table shown together in notebook 06, by view name.
VIEWS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "words": ("label", "paragraph", "report_text", "question", "literal_verdict", "verdict"),
    "tests": ("label", "counts", "metric", "direction", "null_value", "estimate", "ci_low",
              "ci_high", "p_display", "p_holm", "verdict", "verdict_holm"),
    "changes": ("label", "counts", "percent_change", "percent_change_ci_low",
                "percent_change_ci_high", "first_rate_ratio", "first_ci_low", "first_ci_high",
                "second_rate_ratio", "second_ci_low", "second_ci_high", "effect_metric",
                "effect_estimate", "effect_ci_low", "effect_ci_high"),
    "noise": ("label", "counts", "noise_sigma", "p_noise", "verdict_noise", "p_noise_holm",
              "verdict_noise_holm", "noise_flip", "noise_flip_holm"),
    "sensitivity": ("label", "verdict", "verdict_holm", "dispersion_flip",
                    "dispersion_flip_holm", "noise_flip", "noise_flip_holm", "threshold",
                    "threshold_flip", "prob_opposite_display"),
    "not_testable": ("label", "paragraph", "reason_code", "reported_value", "estimate",
                     "context", "verdict_reason"),
    "reasons": ("label", "verdict", "verdict_reason"),
})


def claims_view(table: pd.DataFrame, view: str) -> pd.DataFrame:
    """The rows and columns of one view of the claims table (see :data:`VIEWS`).

    ``not_testable`` shows only the not-testable claims; ``tests``, ``sensitivity`` and
    ``reasons`` only the tested ones; ``changes`` and ``noise`` only the tested changes;
    ``words`` every claim.

    Args:
        table: The claims table (:func:`~analysis.claims.evaluate_claims`).
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
    elif view in {"tests", "sensitivity", "reasons"}:
        rows = family_rows(table)
    elif view in {"changes", "noise"}:
        rows = family_rows(table)[lambda t: t["kind"] != "proportion"]
    return rows.set_index("claim_id")[list(VIEWS[view])]


def ratio_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Tested claims about changes as rate ratios, for the ratio panel of the claims chart.

    A diverging claim gives one row per series, each with its own rate ratio and interval,
    labelled with the series' counts; their ``claim_id`` is the claim's with ``:first`` or
    ``:second`` (the chart's rows stay unique, as the claims table's key requires).
    """
    tested = family_rows(table)
    rows = [tested[tested["kind"] == "change"]]
    for _, row in tested[tested["kind"] == "diverging"].iterrows():
        first, second = (part.strip() for part in row["counts"].split(";"))
        for series, counts in (("first", first), ("second", second)):
            rows.append(pd.DataFrame([{
                **row.to_dict(), "claim_id": f"{row['claim_id']}:{series}",
                "label": f"{row['label']}: {counts}",
                "estimate": row[f"{series}_rate_ratio"], "ci_low": row[f"{series}_ci_low"],
                "ci_high": row[f"{series}_ci_high"],
            }]))
    return pd.concat(rows, ignore_index=True)


def effect_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Ratios of rate ratios shown as effect sizes, with the columns of an interval chart."""
    rows = table[table["effect_metric"].fillna("") != ""]
    return pd.DataFrame({
        "label": rows["label"] + " (ratio of rate ratios)", "estimate": rows["effect_estimate"],
        "ci_low": rows["effect_ci_low"], "ci_high": rows["effect_ci_high"],
        "verdict": "effect size only",
    }).reset_index(drop=True)


def share_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Tested claims about shares, for the proportions chart (with their thresholds)."""
    return family_rows(table)[lambda t: t["metric"] == "proportion"].reset_index(drop=True)


def flip_rows(table: pd.DataFrame, flips: tuple[str, str]) -> pd.DataFrame:
    """Tested claims with at least one of two flip columns, for a flip-points chart.

    Args:
        table: The claims table.
        flips: Two flip columns (e.g. ``("dispersion_flip", "dispersion_flip_holm")``).

    Returns:
        ``label`` and the two columns, for the rows where either is filled.
    """
    rows = family_rows(table).dropna(subset=list(flips), how="all")
    return rows.loc[:, ["claim_id", "label", *flips]].reset_index(drop=True)


def fragile_claims(table: pd.DataFrame) -> pd.DataFrame:
    """Tested claims whose Holm-adjusted verdict does not survive the reference year noise.

    A claim is fragile when ``verdict_noise_holm`` differs from ``verdict_holm``: its
    adjusted verdict changes at a year-to-year noise no larger than ``noise_sigma`` (the
    reference of ``data/claims.yaml``, anchored there on published annual series). Shares,
    to which the year-noise model does not apply, are never listed. Most fragile (smallest
    ``noise_flip_holm``) first.

    Args:
        table: The claims table.

    Returns:
        The ``sensitivity`` view of those claims.
    """
    tested = family_rows(table)
    noise = tested["verdict_noise_holm"].fillna("")
    rows = tested[(noise != "") & (noise != tested["verdict_holm"])]
    return claims_view(rows.sort_values("noise_flip_holm", kind="stable"), "sensitivity")


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
    noise = tested[tested["verdict_noise"] != tested["verdict_noise_holm"]]
    noise_names = ", ".join(noise["label"]) if len(noise) else "none"
    return (f"Family {FAMILY!r}: {len(tested)} tested claims, Holm-adjusted over their "
            "distinct hypotheses. Verdicts that depend on the adjustment: "
            f"{names} (Poisson); {noise_names} (year noise).")


def not_testable_summary(table: pd.DataFrame) -> pd.DataFrame:
    """How many not-testable claims each reason code has, most frequent first.

    Args:
        table: The claims table.

    Returns:
        One row per ``reason_code`` with the number of ``claims``.
    """
    rows = table[table["verdict"] == "not_testable"]
    counts = rows.groupby("reason_code").size().rename("claims")
    return counts.sort_values(ascending=False, kind="stable").to_frame()


def noise_evidence(spec: ClaimsFile | None = None) -> pd.DataFrame:
    """The annual series cited for the year noise, each with its estimate of sigma.

    Args:
        spec: The claims spec (default: ``data/claims.yaml``).

    Returns:
        One row per series: ``series``, ``years``, ``counts``, ``sigma_estimate``
        (:func:`~analysis.stats.directional.year_noise_sigma`) and ``sources`` (publisher and
        address of each year's figure).

    Raises:
        ValueError: The spec declares no noise model.
    """
    return pd.DataFrame([{
        "series": item.series,
        "years": f"{item.counts[0][0]}-{item.counts[-1][0]}",
        "counts": ", ".join(str(count) for _, count in item.counts),
        "sigma_estimate": year_noise_sigma([count for _, count in item.counts]),
        "sources": "; ".join(f"{'/'.join(map(str, source.years))}: {source.publisher}, "
                             f"{source.url}" for source in item.sources),
    } for item in noise_model(spec).evidence])


def compare_families(by_hypotheses: pd.DataFrame, by_claims: pd.DataFrame) -> pd.DataFrame:
    """The Holm results of the two ways of forming the family, side by side.

    Args:
        by_hypotheses: The claims table with ``family="hypotheses"`` (the default).
        by_claims: The same with ``family="claims"``.

    Returns:
        For each tested claim (indexed by ``label``): ``p_holm``, ``dispersion_flip_holm``
        and ``noise_flip_holm`` under each family.
    """
    columns = ["p_holm", "dispersion_flip_holm", "noise_flip_holm"]
    left = by_hypotheses[by_hypotheses["family"] != ""].set_index("label")[columns]
    right = by_claims[by_claims["family"] != ""].set_index("label")[columns]
    return left.add_suffix(" (distinct hypotheses)").join(right.add_suffix(" (one per claim)"))
