"""The claims spec: `data/claims.yaml` read into typed claims, quotes checked against the text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.dataset.source import Report
from analysis.io import YamlFileError, load_yaml
from analysis.stats import directional

#: Model-based verdicts: the directional test's, or ``not_testable``.
VERDICTS: tuple[str, ...] = (*directional.VERDICTS, "not_testable")
#: Literal (arithmetic) verdicts.
LITERAL_VERDICTS: tuple[str, ...] = ("true", "false", "not_testable")
#: Name of the family of tested claims over which p-values are Holm-adjusted.
FAMILY: str = "report_claims"


#: Top-level keys of ``data/claims.yaml``.
SPEC_KEYS: frozenset[str] = frozenset({"kinds", "claims"})


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


_CLAIM_KEYS = frozenset({"claim_id", "paragraph", "claim", "kind", "facts", "direction",
                         "threshold", "total", "reason", "label", "question", "report_text",
                         "footnote", "context"})


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
    try:
        document = load_yaml(path, top_level=SPEC_KEYS) or {}
        if "kinds" not in document and Path(path) != paths.CLAIMS_SPEC:
            # A claims file without rules uses the project's (declared once, in claims.yaml).
            document = {**document, "kinds": load_yaml(paths.CLAIMS_SPEC, SPEC_KEYS)["kinds"]}
    except YamlFileError as error:
        raise ClaimSpecError(str(error)) from None
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
