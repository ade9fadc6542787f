"""The claims table: its row type, its Table Schema and the views notebook 06 shows."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from analysis.claims.spec import FAMILY, LITERAL_VERDICTS, VERDICTS
from analysis.stats import directional
from analysis.tableschema import Field, Table


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
    "verdict_holm": directional.VERDICTS,
    "literal_verdict": LITERAL_VERDICTS,
}


def _claims_table() -> Table:
    """The claims table's declaration (its fields from :func:`claims_schema`)."""
    schema = claims_schema()
    declared = tuple(
        Field(item["name"], item["type"], item["name"].replace("_", " "),
              required=bool(item.get("constraints", {}).get("required")),
              unique=item["name"] == "claim_id",
              enum=tuple(item.get("constraints", {}).get("enum", ())),
              minimum=item.get("constraints", {}).get("minimum"),
              maximum=item.get("constraints", {}).get("maximum"))
        for item in schema["fields"]
    )
    return Table("claims", "claims.csv", "One row per claim of data/claims.yaml: the report's "
                 "words, the question, the test, the verdicts and their sensitivity.",
                 declared, "claim_id")


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


#: The claims table's declaration: one field per column (``figures/claims.csv``).
CLAIMS_TABLE: Table = _claims_table()


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
