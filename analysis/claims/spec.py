"""The claims spec: `data/claims.yaml` read into typed records, quotes checked against the text.

The file holds the rules of each kind of test (``kinds``), the reasons a claim can be
untestable (``reasons``), the inclusion rule of the inventory (``inventory``: which sentences
of the report count as claims), the sentences that match the rule's words without being
claims (``excluded``, each with its reason) and the claims themselves (``claims``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
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
#: The kinds of claim the evaluation knows (``kinds:`` in the file gives their rules).
KINDS: tuple[str, ...] = ("change", "diverging", "proportion", "not_testable")


#: Top-level keys of ``data/claims.yaml``.
SPEC_KEYS: frozenset[str] = frozenset({"kinds", "reasons", "noise", "inventory", "excluded",
                                       "claims"})
#: Sections a claims file without them takes from the project's ``data/claims.yaml``.
_SHARED_SECTIONS = ("kinds", "reasons", "noise", "inventory")


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
class NoiseSource:
    """Where a figure of a noise-evidence series was published, with a short quote."""

    years: tuple[int, ...]
    publisher: str
    url: str
    quote: str


@dataclass(frozen=True)
class NoiseSeries:
    """An annual series outside the report, used only to judge a plausible year noise."""

    series: str
    counts: tuple[tuple[int, int], ...]
    sources: tuple[NoiseSource, ...]


@dataclass(frozen=True)
class NoiseModel:
    """The year-noise model's reference sigma, the sigmas shown, and the evidence for them."""

    reference_sigma: float
    why: str
    sigmas: tuple[float, ...]
    evidence: tuple[NoiseSeries, ...]


@dataclass(frozen=True)
class NotCounted:
    """A phrase in which a word of the inventory rule asserts no quantity (e.g. "high school")."""

    phrase: str
    reason: str


@dataclass(frozen=True)
class InventoryRule:
    """The inclusion rule of the claims inventory (``inventory:`` in ``data/claims.yaml``).

    Attributes:
        rule: The rule in words.
        words: The rule's words, as regular expressions matched case-insensitively at word
            boundaries.
        not_counted: Phrases where such a word is part of a name or set phrase.
    """

    rule: str
    words: tuple[str, ...]
    not_counted: tuple[NotCounted, ...]

    def pattern(self) -> re.Pattern[str]:
        """The rule's words as one case-insensitive regular expression."""
        return re.compile(r"\b(?:" + "|".join(f"(?:{w})" for w in self.words) + r")\b", re.I)

    def masked(self, text: str) -> str:
        """``text`` with every not-counted phrase blanked (same length)."""
        for item in self.not_counted:
            text = re.sub(item.phrase, lambda m: " " * len(m.group()), text, flags=re.I)
        return text


@dataclass(frozen=True)
class Exclusion:
    """A sentence that matches the rule's words but makes no claim, with the reason."""

    paragraph: int
    text: str
    reason: str
    footnote: int | None = None


@dataclass(frozen=True)
class ContextItem:
    """A figure shown beside a not-testable claim: a share or a change of summed counts.

    ``shape`` is ``share`` (numerator of denominator), ``share_not`` (denominator minus
    numerator, of denominator: what is left when the numerator is taken out) or ``change``
    (denominator -> numerator).
    """

    label: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    shape: str


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
    reason_code: str = ""


@dataclass(frozen=True)
class ClaimsFile:
    """The whole claims file: rules, reasons, the inventory rule, exclusions and claims."""

    kinds: Mapping[str, KindRule]
    reasons: Mapping[str, str]
    noise: NoiseModel | None
    inventory: InventoryRule | None
    excluded: tuple[Exclusion, ...]
    claims: tuple[Claim, ...]


_CLAIM_KEYS = frozenset({"claim_id", "paragraph", "claim", "kind", "facts", "direction",
                         "threshold", "total", "reason", "because", "label", "question",
                         "report_text", "footnote", "context"})


# ---------------------------------------------------------------------------
# Loading the claims file
# ---------------------------------------------------------------------------


def _kind_rules(document: Mapping[str, Any], path: Path) -> dict[str, KindRule]:
    rules = {}
    for name, entry in (document.get("kinds") or {}).items():
        if name not in KINDS:
            raise ClaimSpecError(f"{path}: kind {name!r} is not one of {KINDS}")
        directions = {str(key): tuple(value) for key, value in entry["directions"].items()}
        rules[name] = KindRule(name, entry.get("facts"), directions, entry.get("metric", ""),
                               entry.get("null_value"))
    if "not_testable" not in rules:
        raise ClaimSpecError(f"{path}: kinds must define not_testable")
    return rules


def _reasons(document: Mapping[str, Any], path: Path) -> Mapping[str, str]:
    entries = document.get("reasons") or {}
    if not isinstance(entries, Mapping) or not all(
            isinstance(text, str) and text for text in entries.values()):
        raise ClaimSpecError(f"{path}: reasons must map each code to a sentence")
    return MappingProxyType(dict(entries))


def _noise(document: Mapping[str, Any], path: Path) -> NoiseModel | None:
    entry = document.get("noise")
    if entry is None:
        return None
    try:
        model = NoiseModel(
            reference_sigma=float(entry["reference_sigma"]), why=entry["why"],
            sigmas=tuple(float(v) for v in entry["sigmas"]),
            evidence=tuple(NoiseSeries(
                series=item["series"],
                counts=tuple(sorted((int(y), int(c)) for y, c in item["counts"].items())),
                sources=tuple(NoiseSource(tuple(int(y) for y in source["years"]),
                                          source["publisher"], source["url"], source["quote"])
                              for source in item["sources"]),
            ) for item in entry.get("evidence", ())),
        )
    except KeyError as error:
        raise ClaimSpecError(f"{path}: noise: missing key {error.args[0]!r}") from None
    if not model.reference_sigma >= 0 or any(not v >= 0 for v in model.sigmas):
        raise ClaimSpecError(f"{path}: noise: sigmas must be numbers >= 0")
    for series in model.evidence:
        years = [year for year, _ in series.counts]
        if years != list(range(years[0], years[0] + len(years))):
            raise ClaimSpecError(f"{path}: noise: {series.series!r} needs consecutive years")
        cited = {year for source in series.sources for year in source.years}
        if cited != set(years):
            raise ClaimSpecError(f"{path}: noise: {series.series!r}: every year needs a "
                                 "source, and every source a year of the series")
    return model


def _inventory(document: Mapping[str, Any], path: Path) -> InventoryRule | None:
    entry = document.get("inventory")
    if entry is None:
        return None
    try:
        rule = InventoryRule(
            rule=entry["rule"], words=tuple(entry["words"]),
            not_counted=tuple(NotCounted(item["phrase"], item["reason"])
                              for item in entry.get("not_counted", ())),
        )
        rule.pattern()
        for item in rule.not_counted:
            re.compile(item.phrase)
    except KeyError as error:
        raise ClaimSpecError(f"{path}: inventory: missing key {error.args[0]!r}") from None
    except re.error as error:
        raise ClaimSpecError(f"{path}: inventory: bad pattern: {error}") from None
    return rule


def _exclusions(document: Mapping[str, Any], path: Path) -> tuple[Exclusion, ...]:
    items = []
    for index, entry in enumerate(document.get("excluded") or ()):
        where = f"{path}: excluded #{index + 1}"
        unknown = set(entry) - {"paragraph", "footnote", "text", "reason"}
        if unknown:
            raise ClaimSpecError(f"{where}: unknown keys {sorted(unknown)}")
        try:
            items.append(Exclusion(int(entry["paragraph"]), entry["text"], entry["reason"],
                                   entry.get("footnote")))
        except KeyError as error:
            raise ClaimSpecError(f"{where}: missing key {error.args[0]!r}") from None
    return tuple(items)


def _context(entries: Sequence[Mapping[str, Any]], where: str) -> tuple[ContextItem, ...]:
    items = []
    for entry in entries:
        if "share" in entry and "of" in entry:
            items.append(ContextItem(entry["label"], tuple(entry["share"]), tuple(entry["of"]),
                                     "share"))
        elif "share_not" in entry and "of" in entry:
            items.append(ContextItem(entry["label"], tuple(entry["share_not"]),
                                     tuple(entry["of"]), "share_not"))
        elif "from" in entry and "to" in entry:
            items.append(ContextItem(entry["label"], tuple(entry["to"]), tuple(entry["from"]),
                                     "change"))
        else:
            raise ClaimSpecError(f"{where}: a context entry needs share/of, share_not/of or "
                                 "from/to")
    return tuple(items)


def _claim(entry: Mapping[str, Any], rules: Mapping[str, KindRule], reasons: Mapping[str, str],
           where: str) -> Claim:
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
    because = entry.get("because", "")
    if because and because not in reasons:
        raise ClaimSpecError(f"{where}: because must be one of {tuple(reasons)}, got "
                             f"{because!r}")
    try:
        claim = Claim(
            claim_id=entry["claim_id"], paragraph=int(entry["paragraph"]), claim=entry["claim"],
            kind=kind, facts=tuple(entry.get("facts", ())), direction=direction,
            threshold=entry.get("threshold"), total=entry.get("total", ""),
            reason=entry.get("reason") or reasons.get(because, ""),
            label=entry.get("label", entry["claim_id"]),
            question=entry.get("question", ""), report_text=entry.get("report_text", ""),
            footnote=entry.get("footnote"), context=_context(entry.get("context", ()), where),
            sides=rule.directions[direction], metric=rule.metric,
            null_value=entry.get("threshold", rule.null_value), reason_code=because,
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
    if claim.kind == "not_testable" and not claim.reason_code:
        raise ClaimSpecError(f"{where}: a not-testable claim needs a reason (because: one "
                             "of the codes under reasons:)")
    if claim.kind != "not_testable" and claim.reason_code:
        raise ClaimSpecError(f"{where}: only a not-testable claim takes because:")


def load_spec(path: Path = paths.CLAIMS_SPEC) -> ClaimsFile:
    """Load and validate the whole claims file.

    A file without ``kinds``, ``reasons`` or ``inventory`` (a test's, say) takes them from the
    project's ``data/claims.yaml``, where they are declared once.

    Args:
        path: The YAML file.

    Returns:
        The spec, claims in file order, each with its kind's rules and reason resolved.

    Raises:
        ClaimSpecError: Unknown keys or kind, a wrong number of facts, a bad direction,
            threshold, total, reason code or context entry, a duplicate id, a not-testable
            claim without a reason, or a malformed inventory rule or exclusion.
    """
    try:
        document = load_yaml(path, top_level=SPEC_KEYS) or {}
        missing = [key for key in _SHARED_SECTIONS if key not in document]
        if missing and Path(path) != paths.CLAIMS_SPEC:
            project = load_yaml(paths.CLAIMS_SPEC, SPEC_KEYS)
            document = {**document, **{key: project.get(key) for key in missing}}
    except YamlFileError as error:
        raise ClaimSpecError(str(error)) from None
    rules = _kind_rules(document, path)
    reasons = _reasons(document, path)
    claims: list[Claim] = []
    for index, entry in enumerate(document.get("claims", [])):
        where = f"{path}: claim {entry.get('claim_id', '#' + str(index + 1))!r}"
        claim = _claim(entry, rules, reasons, where)
        if any(other.claim_id == claim.claim_id for other in claims):
            raise ClaimSpecError(f"{where}: duplicate claim_id")
        claims.append(claim)
    return ClaimsFile(kinds=MappingProxyType(rules), reasons=reasons,
                      noise=_noise(document, path), inventory=_inventory(document, path),
                      excluded=_exclusions(document, path), claims=tuple(claims))


def load_claims(path: Path = paths.CLAIMS_SPEC) -> list[Claim]:
    """Load and validate the claims of a claims file (see :func:`load_spec`).

    Args:
        path: The YAML file.

    Returns:
        The claims, in file order, each with its kind's rules and reason resolved.

    Raises:
        ClaimSpecError: As :func:`load_spec`.
    """
    return list(load_spec(path).claims)


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


def noise_model(spec: ClaimsFile | None = None) -> NoiseModel:
    """The year-noise model declared in ``data/claims.yaml`` (``noise:``).

    Raises:
        ValueError: The spec declares no noise model.
    """
    spec = load_spec() if spec is None else spec
    if spec.noise is None:
        raise ValueError("the claims spec declares no noise: model")
    return spec.noise


def reference_sigma(spec: ClaimsFile | None = None) -> float:
    """The reference year-noise sigma of the declared noise model (:func:`noise_model`)."""
    return noise_model(spec).reference_sigma
