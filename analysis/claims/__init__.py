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

from analysis.claims.evaluate import evaluate_claim, evaluate_claims
from analysis.claims.spec import (
    FAMILY,
    LITERAL_VERDICTS,
    VERDICTS,
    Claim,
    ClaimSpecError,
    ContextItem,
    KindRule,
    check_report_text,
    load_claims,
)
from analysis.claims.table import (
    CLAIM_COLUMNS,
    CLAIMS_TABLE,
    VIEWS,
    ClaimResult,
    claims_schema,
    claims_view,
    effect_rows,
    family_rows,
    fragile_claims,
    multiplicity_summary,
    ratio_rows,
    share_rows,
)

__all__ = [
    "CLAIM_COLUMNS",
    "CLAIMS_TABLE",
    "FAMILY",
    "LITERAL_VERDICTS",
    "VERDICTS",
    "VIEWS",
    "Claim",
    "ClaimResult",
    "ClaimSpecError",
    "ContextItem",
    "KindRule",
    "check_report_text",
    "claims_schema",
    "claims_view",
    "effect_rows",
    "evaluate_claim",
    "evaluate_claims",
    "family_rows",
    "fragile_claims",
    "load_claims",
    "multiplicity_summary",
    "ratio_rows",
    "share_rows",
]
