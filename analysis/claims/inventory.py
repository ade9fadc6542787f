"""The claims inventory: which sentences of the report are claims, by a stated rule.

The rule (``inventory:`` in ``data/claims.yaml``) says which sentences count as claims: those
that state one of the dataset's figures, and those that contain one of the rule's words of
comparison, change, proportion, frequency, rank or size. :func:`take_inventory` splits the 74
paragraphs and the footnotes into sentences, lists every sentence the rule finds, and sorts each
into *claimed* (a claim's ``report_text`` lies in it) or *excluded* (an entry of ``excluded:``
lies in it, with the reason the words assert no quantity there). Anything left over is
*uncovered*: :func:`require_complete` refuses it, naming the sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.claims.spec import (
    Claim,
    ClaimsFile,
    ClaimSpecError,
    Exclusion,
    InventoryRule,
    load_spec,
)
from analysis.dataset.source import FOOTNOTE_REF, Report, load_report


@dataclass(frozen=True)
class PlacedSentence:
    """A sentence of the English report, placed in its paragraph or footnote.

    The sentences are :attr:`analysis.dataset.source.Report.sentences`.

    Attributes:
        paragraph: The paragraph (for a footnote: the paragraph citing it).
        footnote: The footnote number, or ``None`` for the paragraph's own text.
        start: Offset of the first character in the raw text.
        end: End offset (exclusive).
        text: The sentence, white space folded.
    """

    paragraph: int
    footnote: int | None
    start: int
    end: int
    text: str

    @property
    def where(self) -> str:
        """``para. 53`` or ``footnote 13 (para. 38)``."""
        if self.footnote is None:
            return f"para. {self.paragraph}"
        return f"footnote {self.footnote} (para. {self.paragraph})"


def sentences(report: Report) -> tuple[PlacedSentence, ...]:
    """Every sentence of the 74 paragraphs and of the footnotes, each placed in its part.

    The sentences are the report's own (:attr:`~analysis.dataset.source.Report.sentences`,
    one splitter for the whole project); a sentence inside a footnote's text belongs to that
    footnote, any other to the paragraph whose span holds it. Footnote markers are removed
    from the text.
    """
    placed = []
    for sentence in report.sentences:
        note = next((f for f in report.footnotes if f.start <= sentence.start < f.end), None)
        if note is not None:
            paragraph, footnote = note.paragraph, note.number
        else:
            paragraph = next(p.number for p in report.paragraphs
                             if p.start <= sentence.start < p.end)
            footnote = None
        text = " ".join(FOOTNOTE_REF.sub("", sentence.text).split())
        placed.append(PlacedSentence(paragraph, footnote, sentence.start, sentence.end, text))
    return tuple(placed)


@dataclass(frozen=True)
class Candidate:
    """A sentence the rule finds, with what made it match and what covers it.

    Attributes:
        sentence: The sentence.
        words: The rule's words found in it (lower case, in order, each once).
        figures: The dataset's figures it states (``fact_id``).
        claims: Claims whose ``report_text`` lies in it.
        exclusion: The exclusion that covers it, if no claim does.
    """

    sentence: PlacedSentence
    words: tuple[str, ...]
    figures: tuple[str, ...]
    claims: tuple[str, ...] = ()
    exclusion: Exclusion | None = None

    @property
    def status(self) -> str:
        """``claim``, ``excluded`` or ``uncovered``."""
        return "claim" if self.claims else "excluded" if self.exclusion else "uncovered"


@dataclass(frozen=True)
class Inventory:
    """The rule applied to the whole report.

    Attributes:
        candidates: Every sentence the rule finds, in the order of the text.
        sentences: How many sentences the report has.
        stray_claims: Claims whose ``report_text`` lies in no single sentence the rule finds.
        stray_exclusions: Exclusions that cover no such sentence, or one a claim covers.
    """

    candidates: tuple[Candidate, ...]
    sentences: int
    stray_claims: tuple[str, ...]
    stray_exclusions: tuple[Exclusion, ...]

    @property
    def uncovered(self) -> tuple[Candidate, ...]:
        """Sentences the rule finds that are neither a claim nor excluded."""
        return tuple(c for c in self.candidates if c.status == "uncovered")


def _in_sentence(text: str, sentence: PlacedSentence, report: Report) -> bool:
    """Whether ``text`` lies in the sentence: verbatim in the raw text, or white space folded."""
    return text in report.text[sentence.start:sentence.end] or " ".join(
        text.split()) in sentence.text


def _matches(rule: InventoryRule, sentence: PlacedSentence) -> tuple[str, ...]:
    words = (match.group().lower() for match in rule.pattern().finditer(
        rule.masked(sentence.text)))
    return tuple(dict.fromkeys(words))


@dataclass(frozen=True)
class _Evidence:
    """Where each figure's evidence starts: its footnote (NaN: the body) and offset."""

    fact_ids: np.ndarray
    footnotes: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, statistics: pd.DataFrame) -> _Evidence:
        return cls(statistics["fact_id"].to_numpy(),
                   pd.to_numeric(statistics["footnote"], errors="coerce").to_numpy(float),
                   statistics["char_start"].to_numpy())

    def figures(self, sentence: PlacedSentence) -> tuple[str, ...]:
        """The figures whose evidence starts in the sentence (a footnote's only in its own)."""
        same_part = (np.isnan(self.footnotes) if sentence.footnote is None
                     else self.footnotes == sentence.footnote)
        inside = same_part & (self.starts >= sentence.start) & (self.starts < sentence.end)
        return tuple(self.fact_ids[inside])


def _claims_in(claims: Sequence[Claim], sentence: PlacedSentence,
               report: Report) -> tuple[str, ...]:
    return tuple(
        claim.claim_id for claim in claims
        if claim.paragraph == sentence.paragraph and claim.footnote == sentence.footnote
        and claim.report_text and _in_sentence(claim.report_text, sentence, report)
    )


def _exclusion_in(excluded: Sequence[Exclusion], sentence: PlacedSentence,
                  report: Report) -> Exclusion | None:
    for item in excluded:
        if (item.paragraph == sentence.paragraph and item.footnote == sentence.footnote
                and _in_sentence(item.text, sentence, report)):
            return item
    return None


def take_inventory(report: Report, statistics: pd.DataFrame, spec: ClaimsFile) -> Inventory:
    """Apply the inclusion rule to every sentence; sort each found sentence by what covers it.

    A claim in a footnote (``footnote`` set) is looked for in that footnote's sentences, any
    other claim in its paragraph's own sentences; exclusions likewise.

    Args:
        report: The parsed raw report.
        statistics: The statistics table (``fact_id`` and ``char_start`` of each figure).
        spec: The claims spec (its ``inventory`` rule, ``excluded`` and ``claims``).

    Returns:
        The :class:`Inventory`.

    Raises:
        ClaimSpecError: The spec has no inventory rule.
    """
    if spec.inventory is None:
        raise ClaimSpecError("the claims spec has no inventory: rule")
    all_sentences = sentences(report)
    candidates = []
    used_claims: set[str] = set()
    used_exclusions: set[Exclusion] = set()
    evidence = _Evidence.of(statistics)
    for sentence in all_sentences:
        words, figures = _matches(spec.inventory, sentence), evidence.figures(sentence)
        if not (words or figures):
            continue
        claims = _claims_in(spec.claims, sentence, report)
        exclusion = _exclusion_in(spec.excluded, sentence, report)
        used_claims.update(claims)
        if exclusion is not None and not claims:
            used_exclusions.add(exclusion)
        candidates.append(Candidate(sentence, words, figures, claims,
                                    None if claims else exclusion))
    return Inventory(
        candidates=tuple(candidates), sentences=len(all_sentences),
        stray_claims=tuple(c.claim_id for c in spec.claims if c.claim_id not in used_claims),
        stray_exclusions=tuple(e for e in spec.excluded if e not in used_exclusions),
    )


def require_complete(inventory: Inventory) -> None:
    """Refuse an inventory with an uncovered sentence, a stray claim or a stray exclusion.

    Raises:
        ClaimSpecError: Naming every such sentence (where, and its words), claim or exclusion.
    """
    problems = [
        f"{c.sentence.where}: {c.sentence.text[:90]!r} matches {list(c.words + c.figures)} "
        "but is neither a claim nor excluded" for c in inventory.uncovered
    ]
    problems += [f"claim {claim_id!r}: its report_text lies in no sentence the rule finds"
                 for claim_id in inventory.stray_claims]
    problems += [f"excluded (para. {e.paragraph}) {e.text!r}: covers no sentence the rule "
                 "finds, or one that holds a claim" for e in inventory.stray_exclusions]
    if problems:
        raise ClaimSpecError("data/claims.yaml: the inventory is incomplete:\n  "
                             + "\n  ".join(problems))


def inventory_table(inventory: Inventory) -> pd.DataFrame:
    """One row per sentence the rule finds: where, why it matched, and what covers it.

    Returns:
        Columns ``paragraph``, ``footnote``, ``sentence``, ``words``, ``figures``,
        ``status`` (claim, excluded, uncovered) and ``covered_by`` (claim ids, or the
        exclusion's reason).
    """
    rows = [{
        "paragraph": c.sentence.paragraph, "footnote": c.sentence.footnote,
        "sentence": c.sentence.text, "words": " ".join(c.words), "figures": len(c.figures),
        "status": c.status,
        "covered_by": " ".join(c.claims) if c.claims else c.exclusion.reason if c.exclusion
        else "",
    } for c in inventory.candidates]
    frame = pd.DataFrame(rows)
    frame["footnote"] = frame["footnote"].astype("Int64")
    return frame


def inventory_summary(inventory: Inventory) -> pd.DataFrame:
    """How many sentences the rule finds, and how many are claims or excluded.

    Returns:
        One row per status (claim, excluded, uncovered) with the number of sentences, the
        number of them that state a figure and the number found by a word only.
    """
    table = inventory_table(inventory)
    return pd.DataFrame([{
        "status": status,
        "sentences": int((table["status"] == status).sum()),
        "with a figure": int(((table["status"] == status) & (table["figures"] > 0)).sum()),
        "by a word only": int(((table["status"] == status) & (table["figures"] == 0)).sum()),
    } for status in ("claim", "excluded", "uncovered")]).set_index("status")


def project_inventory(statistics: pd.DataFrame) -> Inventory:
    """The project's inventory (the raw report, ``data/claims.yaml``), refused if incomplete.

    Args:
        statistics: The statistics table.

    Returns:
        The :class:`Inventory`.

    Raises:
        ClaimSpecError: As :func:`require_complete`.
    """
    inventory = take_inventory(load_report(), statistics, load_spec())
    require_complete(inventory)
    return inventory


def excluded_sentences(inventory: Inventory) -> pd.DataFrame:
    """The sentences the rule finds that are excluded, with where they are and why.

    Returns:
        Columns ``paragraph``, ``words`` (the rule's words found), ``sentence`` and
        ``reason``.
    """
    table = inventory_table(inventory)
    rows = table[table["status"] == "excluded"]
    return rows.loc[:, ["paragraph", "words", "sentence", "covered_by"]].rename(
        columns={"covered_by": "reason"}).reset_index(drop=True)
