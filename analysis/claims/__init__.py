"""Test the report's claims against its own figures.

``data/claims.yaml`` lists every claim the report makes, found by a stated inclusion rule
(:mod:`analysis.claims.inventory`: every sentence that states one of the dataset's figures or
asserts a comparison, a change, a majority or minority, a frequency or a rank): the report's
own words (checked verbatim against the raw text), the question it raises, the figures behind
it and how it is tested; the rules of each kind of test are data in the same file.
:func:`evaluate_claims` gives every claim two verdicts:

* ``literal_verdict``: what the report's numbers say read literally, by arithmetic
  (``746 > 614`` is ``true``); ``not_testable`` when there is nothing to compare;
* ``verdict``: the model-based verdict of :mod:`analysis.stats.directional` (``supported``,
  ``inconclusive``, ``contradicted``) or ``not_testable``, with the one-sided exact p-value
  and the central interval that inverts the same test, so the two never disagree.

Around them: Holm-adjusted p-values over the family of distinct hypotheses the tested claims
rest on (``p_holm``, ``verdict_holm``); the smallest over-dispersion that changes each verdict,
unadjusted and adjusted (``dispersion_flip``, ``dispersion_flip_holm``); the verdict under a
log-normal year effect of a reference size and the size that changes it (``verdict_noise``,
``noise_flip``, and their Holm versions); the threshold at which a share's verdict changes
(``threshold_flip``); and the posterior probability of the opposite direction under a
Jeffreys prior, on a log scale.

A verdict is only as good as its model. Registered counts are complete counts; "chance" refers
to the year-to-year process that generates them, modelled as Poisson counts (scaled by the
quasi-Poisson ``dispersion``) or as Poisson counts whose yearly mean carries a log-normal
effect of size ``noise_sigma``. "Supported" means "the report's numbers differ beyond what
variation of that size would give" -- not that a trend exists (two time points cannot show
one), nor that the report's explanation of it is right.
"""

from analysis.claims.evaluate import (
    FAMILY_MEMBERS,
    Hypothesis,
    evaluate_claim,
    evaluate_claims,
    verdicts_by_sigma,
)
from analysis.claims.inventory import (
    Candidate,
    Inventory,
    PlacedSentence,
    excluded_sentences,
    inventory_summary,
    inventory_table,
    project_inventory,
    require_complete,
    sentences,
    take_inventory,
)
from analysis.claims.spec import (
    FAMILY,
    KINDS,
    LITERAL_VERDICTS,
    VERDICTS,
    Claim,
    ClaimsFile,
    ClaimSpecError,
    ContextItem,
    Exclusion,
    InventoryRule,
    KindRule,
    check_report_text,
    load_claims,
    load_spec,
    reference_sigma,
)
from analysis.claims.table import (
    CLAIM_COLUMNS,
    CLAIMS_TABLE,
    VIEWS,
    ClaimResult,
    claims_schema,
    claims_view,
    columns_markdown,
    compare_families,
    effect_rows,
    family_rows,
    flip_rows,
    fragile_claims,
    multiplicity_summary,
    noise_evidence,
    not_testable_summary,
    ratio_rows,
    share_rows,
    typed_frame,
)

__all__ = [
    "CLAIMS_TABLE",
    "CLAIM_COLUMNS",
    "FAMILY",
    "KINDS",
    "LITERAL_VERDICTS",
    "FAMILY_MEMBERS",
    "VERDICTS",
    "VIEWS",
    "Candidate",
    "Claim",
    "ClaimResult",
    "ClaimSpecError",
    "ClaimsFile",
    "ContextItem",
    "Exclusion",
    "Hypothesis",
    "Inventory",
    "InventoryRule",
    "KindRule",
    "PlacedSentence",
    "check_report_text",
    "claims_schema",
    "claims_view",
    "columns_markdown",
    "compare_families",
    "effect_rows",
    "evaluate_claim",
    "evaluate_claims",
    "excluded_sentences",
    "family_rows",
    "flip_rows",
    "fragile_claims",
    "inventory_summary",
    "inventory_table",
    "load_claims",
    "load_spec",
    "multiplicity_summary",
    "noise_evidence",
    "not_testable_summary",
    "project_inventory",
    "ratio_rows",
    "reference_sigma",
    "require_complete",
    "sentences",
    "share_rows",
    "take_inventory",
    "typed_frame",
    "verdicts_by_sigma",
]
