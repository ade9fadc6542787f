"""The number audit: every numeric token of the report, accounted for.

Every run of digits and every number word in the raw text (cover note included) is listed
with either the fact that uses it — as its value, or as a label of it such as the year or
age band — or the reason it is not a statistic (a date, a year, an age threshold in a law,
an article or page number, a footnote marker, a document symbol...). Structural tokens
(paragraph, heading and footnote numbers) are recognised by code; the rest by the rules in
``data/audit_rules.yaml``. A token nothing accounts for is an error: it may be a statistic the
extraction spec missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from analysis import paths
from analysis.dataset.extract import Extraction, FactLocation
from analysis.dataset.numerals import (
    FRACTIONS,
    MULTIPLIERS,
    ORDINALS,
    SCALES,
    TENS,
    TIME_WORDS,
    UNITS,
)
from analysis.dataset.schema import AUDIT, AUDIT_CATEGORIES
from analysis.dataset.source import Report
from analysis.io import YamlFileError, load_yaml

#: Categories of numeric tokens that are not statistics (declared in the schema).
CATEGORIES: tuple[str, ...] = AUDIT_CATEGORIES
#: Categories that label a fact (its year, period, age band...) when the token stands in
#: the fact's evidence or in one of its declared label phrases.
LABEL_CATEGORIES = frozenset({"year", "age_threshold", "breakdown_label", "date"})
#: Columns of ``number_audit.csv``, in order.
AUDIT_COLUMNS: tuple[str, ...] = AUDIT.columns

#: English number words that are not cardinals, fractions, multipliers, ordinals or time words.
EXTRA_WORDS: tuple[str, ...] = ("decades", "dozens", "dozen")
#: Russian number words (cardinals and ordinals) as they may occur in the cover note.
RUSSIAN_NUMBER_WORDS = (
    r"(?:один|одна|одно|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять"
    r"|двадцать|тридцать|сорок|пятьдесят|сто|тысяч[аи]?|миллион(?:а|ов)?"
    r"|(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят|двадцат|тридцат)"
    r"(?:ый|ая|ое|ые|ой|ого|ому|ом|ую|ий|ья|ье|ьи|ьего|ьей))"
)

_WORDS = sorted(
    [*UNITS, *TENS, *SCALES, *FRACTIONS, *MULTIPLIERS, *ORDINALS, *TIME_WORDS, *EXTRA_WORDS],
    key=len,
    reverse=True,
)
#: A numeric token: a run of digits (with inner thousands commas or a decimal point), an
#: English number word (cardinal, scale, fraction, multiplier, ordinal, "decade", "dozen")
#: or a Russian number word, case-insensitive.
TOKEN_PATTERN = re.compile(
    r"\d+(?:[.,]\d+)*|\b(?:" + "|".join(_WORDS) + "|" + RUSSIAN_NUMBER_WORDS + r")\b",
    flags=re.IGNORECASE,
)


class AuditError(ValueError):
    """A token is unaccounted for, or an audit rule is malformed or stale."""


@dataclass(frozen=True)
class AuditRule:
    """One rule of ``audit_rules.yaml``.

    Attributes:
        pattern: Regular expression; every token inside one of its matches is classified.
        category: One of :data:`CATEGORIES`.
        reason: Why these tokens are not statistics, in words.
        paragraphs: Paragraph numbers the rule applies to; empty means everywhere in the
            English report.
        footnotes: Footnote numbers it applies to (their text only), if any.
        cover: Whether it applies to the Russian cover note (and only there).
    """

    pattern: re.Pattern[str]
    category: str
    reason: str
    paragraphs: tuple[int, ...]
    footnotes: tuple[int, ...]
    cover: bool


def load_audit_rules(path: Path = paths.AUDIT_RULES) -> list[AuditRule]:
    """Load the audit rules.

    Args:
        path: The YAML rules file.

    Returns:
        The rules in file order.

    Raises:
        AuditError: Unknown keys or category, or a pattern that does not compile; the
            message names the file and the rule.
    """
    try:
        document = load_yaml(path, top_level={"rules"}) or {}
    except YamlFileError as error:
        raise AuditError(str(error)) from None
    rules = []
    allowed = {"pattern", "category", "reason", "paragraphs", "footnotes", "cover"}
    for index, entry in enumerate(document.get("rules", [])):
        where = f"{path}: rule #{index + 1}"
        unknown = set(entry) - allowed
        if unknown or not {"pattern", "category", "reason"} <= set(entry):
            raise AuditError(f"{where}: needs pattern, category, reason; unknown {unknown}")
        if entry["category"] not in CATEGORIES:
            raise AuditError(f"{where}: unknown category {entry['category']!r}")
        try:
            pattern = re.compile(entry["pattern"])
        except re.error as error:
            raise AuditError(f"{where}: bad pattern: {error}") from None
        rules.append(
            AuditRule(
                pattern=pattern,
                category=entry["category"],
                reason=entry["reason"],
                paragraphs=tuple(entry.get("paragraphs", ())),
                footnotes=tuple(entry.get("footnotes", ())),
                cover=bool(entry.get("cover", False)),
            )
        )
    return rules


class Region(NamedTuple):
    """A stretch of the raw text: cover note, heading, paragraph text or footnote.

    A footnote region carries the number of the paragraph citing it.
    """

    part: str
    paragraph: int | None
    footnote: int | None
    start: int
    end: int


def _regions(report: Report) -> list[Region]:
    """Split the text into regions, in text order."""
    regions = [Region("cover", None, None, 0, report.cover_end)]
    for heading in report.headings:
        regions.append(Region("heading", None, None, heading.start, heading.end))
    for paragraph in report.paragraphs:
        notes = [n for n in report.footnotes if n.paragraph == paragraph.number]
        cursor = paragraph.start
        for note in notes:
            regions.append(Region("paragraph", paragraph.number, None, cursor, note.block_start))
            regions.append(Region("footnote", paragraph.number, note.number, note.block_start,
                                  note.block_end))
            cursor = note.block_end
        regions.append(Region("paragraph", paragraph.number, None, cursor, paragraph.end))
    return sorted(regions, key=lambda region: region.start)


def _labelled_by(location: FactLocation, token: str, start: int, end: int) -> bool:
    """Whether a label-category token at [start, end) labels this fact.

    A token inside a declared label phrase always does. A token inside the evidence does
    unless it is a year other than the fact's own (shared evidence such as "from 954 in 2010
    to 661 in 2014" gives each year to its own figure).
    """
    if any(span.holds(start, end) for span in location.labels):
        return True
    is_other_year = location.year is not None and token.isdigit() and len(token) == 4 and (
        token != str(location.year)
    )
    return location.evidence.holds(start, end) and not is_other_year


def audit_numbers(report: Report, extraction: Extraction, rules: list[AuditRule]) -> pd.DataFrame:
    """Classify every numeric token of the report and check the labels' links.

    Args:
        report: The parsed report.
        extraction: The extracted figures and where they are (see
            :func:`analysis.dataset.extract.extract_statistics`).
        rules: Rules for tokens that are not statistics.

    Returns:
        One row per token (columns :data:`AUDIT_COLUMNS`), in text order. ``status`` is
        ``value`` (the token is a fact's value), ``label`` (it gives the year, period, age
        band or category of the facts listed in ``fact_id``) or ``not_statistic``.

    Raises:
        AuditError: A token is not accounted for (the message lists each with its location
            and context), a rule matched no token (stale rule), or a label token does not
            link a figure it qualifies (see :func:`unlinked_labels`).
    """
    used_rules: set[int] = set()
    rows = [
        _audit_row(report, region, token, extraction.locations, rules, used_rules)
        for region in _regions(report)
        for token in TOKEN_PATTERN.finditer(report.text, region.start, region.end)
    ]
    _raise_unaccounted([row for row in rows if not row["status"]])
    stale = [index + 1 for index in range(len(rules)) if index not in used_rules]
    if stale:
        raise AuditError(f"audit rule(s) #{stale} classify no token; remove or fix them")
    frame = pd.DataFrame(rows)
    frame.insert(0, "token_id", [f"T{index:04d}" for index in range(1, len(frame) + 1)])
    frame = frame.loc[:, list(AUDIT_COLUMNS)]
    problems = unlinked_labels(report, frame, extraction)
    if problems:
        raise AuditError(f"{len(problems)} label link(s) missing: " + "; ".join(problems))
    return frame


def _audit_row(
    report: Report,
    region: Region,
    token: re.Match[str],
    locations: tuple[FactLocation, ...],
    rules: list[AuditRule],
    used_rules: set[int],
) -> dict[str, object]:
    """Classify one token and describe it as a row of the audit table."""
    text = report.text
    part, paragraph, footnote, start, end = region
    t_start, t_end = token.start(), token.end()
    status, fact_id, category, reason = _classify(
        report, region, t_start, t_end, locations, rules, used_rules
    )
    if status == "not_statistic" and category in LABEL_CATEGORIES:
        owners = [
            f.fact_id for f in locations if _labelled_by(f, token.group(0), t_start, t_end)
        ]
        if owners:
            status, fact_id = "label", " ".join(owners)
    return {
        "token": token.group(0),
        "kind": "digits" if token.group(0)[0].isdigit() else "word",
        "part": part,
        "paragraph": paragraph if paragraph is not None else "",
        "footnote": footnote if footnote is not None else "",
        "char_start": t_start,
        "char_end": t_end,
        "status": status,
        "fact_id": fact_id,
        "category": category,
        "reason": reason,
        "context": " ".join(text[max(start, t_start - 40) : min(end, t_end + 40)].split()),
    }


def _raise_unaccounted(unaccounted: list[dict[str, object]]) -> None:
    if not unaccounted:
        return
    listing = "; ".join(
        f"{r['token']!r} at {r['char_start']} ({r['part']} {r['paragraph']}"
        f"{' footnote ' + str(r['footnote']) if r['footnote'] != '' else ''}): "
        f"...{r['context']}..."
        for r in unaccounted
    )
    raise AuditError(f"{len(unaccounted)} numeric token(s) unaccounted for: {listing}")


def _classify(
    report: Report,
    region: Region,
    t_start: int,
    t_end: int,
    locations: tuple[FactLocation, ...],
    rules: list[AuditRule],
    used_rules: set[int],
) -> tuple[str, str, str, str]:
    """Return (status, fact_id, category, reason) for one token ("" status: unaccounted)."""
    text = report.text
    for fact in locations:
        if fact.value.holds(t_start, t_end):
            return "value", fact.fact_id, "", "the value of a reported figure"
    line_start = text.rfind("\n", 0, t_start) + 1
    if region.part == "paragraph" and t_start == line_start == report.paragraph(
        region.paragraph
    ).start:
        return "not_statistic", "", "paragraph_number", "number of the paragraph"
    if region.part == "heading":
        return "not_statistic", "", "heading_number", "number of a sub-section heading"
    before = text[max(0, t_start - 13) : t_start]
    if before.endswith("[footnoteRef:") or (
        region.part == "footnote" and text[t_start - 1] == "[" and text[t_end] == ":"
    ):
        return "not_statistic", "", "footnote_marker", "footnote reference or number"
    for index, rule in enumerate(rules):
        if not _rule_applies(rule, region):
            continue
        for match in rule.pattern.finditer(text, region.start, region.end):
            if match.start() <= t_start and t_end <= match.end():
                used_rules.add(index)
                return "not_statistic", "", rule.category, rule.reason
    return "", "", "", ""


def _rule_applies(rule: AuditRule, region: Region) -> bool:
    """Whether a rule may classify tokens of this region (cover, paragraphs, footnotes)."""
    if region.part == "cover" or rule.cover:
        return region.part == "cover" and rule.cover
    if region.part == "footnote":
        return region.footnote in rule.footnotes or not (rule.footnotes or rule.paragraphs)
    if region.part == "paragraph":
        if rule.footnotes and not rule.paragraphs:
            return False
        return not rule.paragraphs or region.paragraph in rule.paragraphs
    return False


def audit_summary(audit: pd.DataFrame) -> pd.DataFrame:
    """Count audited tokens by status and category.

    Args:
        audit: The audit table (see :func:`audit_numbers`).

    Returns:
        Columns ``status``, ``category``, ``tokens``, sorted by status then count.
    """
    counts = (
        audit.assign(category=audit["category"].replace("", "(statistic)"))
        .groupby(["status", "category"], as_index=False)
        .size()
        .rename(columns={"size": "tokens"})
    )
    return counts.sort_values(["status", "tokens", "category"], ascending=[True, False, True],
                              ignore_index=True)


#: Fields of a figure whose numbers a label token may give (its year, period, age band,
#: sentence category, or a band named in its indicator).
LABELLED_FIELDS: tuple[str, ...] = ("year", "period", "age_group", "sentence", "indicator")
_FIELD_NUMBER = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+")


def _number(word: str) -> float | None:
    """The number a token or a word of a field stands for (digits or a cardinal word)."""
    if word[0].isdigit():
        return float(word.replace(",", ""))
    lowered = word.lower()
    value = UNITS.get(lowered, TENS.get(lowered))
    return None if value is None else float(value)


def _field_numbers(row: dict[str, Any]) -> set[float]:
    numbers: set[float] = set()
    for field in LABELLED_FIELDS:
        for word in _FIELD_NUMBER.findall(str(row.get(field, "") or "")):
            number = _number(word)
            if number is not None:
                numbers.add(number)
    return numbers


def unlinked_labels(report: Report, audit: pd.DataFrame, extraction: Extraction) -> list[str]:
    """The label links the audit misses, one message each (empty when there are none).

    Two rules. (1) A token of a label category (:data:`LABEL_CATEGORIES`) labels every
    figure of its own sentence that it qualifies: a figure whose year, period, age band,
    sentence category or indicator (:data:`LABELLED_FIELDS`) contains the token's number;
    footnote 3's "in 2014" gives its year to the girls and to the boys. (2) A figure whose
    year, or a year named in its period, is filled (from its sentence or from context) is
    labelled by a token of that year, in its sentence or in a declared label phrase.

    Args:
        report: The parsed report.
        audit: The audit table (``token``, ``char_start``, ``status``, ``fact_id``,
            ``category``).
        extraction: The extracted figures and where they are.
    """
    rows = {str(r["fact_id"]): r for r in extraction.statistics.to_dict("records")}
    by_sentence: dict[int, list[FactLocation]] = {}
    for location in extraction.locations:
        by_sentence.setdefault(location.sentence.start, []).append(location)
    labels = audit[audit["category"].isin(LABEL_CATEGORIES)]
    problems = []
    linked_years: dict[str, set[float]] = {}
    for token in labels.itertuples():
        number = _number(str(token.token))
        linked = set(str(token.fact_id).split())
        for fact in linked:
            if number is not None:
                linked_years.setdefault(fact, set()).add(number)
        try:
            sentence = report.sentence_at(int(token.char_start))
        except KeyError:
            continue
        for location in by_sentence.get(sentence.start, []):
            qualifies = number is not None and number in _field_numbers(rows[location.fact_id])
            if qualifies and location.fact_id not in linked:
                problems.append(
                    f"{token.token!r} at {token.char_start} qualifies {location.fact_id} in "
                    f"its sentence ({sentence.text!r}) but does not label it; add a label "
                    "phrase to the spec entry"
                )
    for fact_id, row in rows.items():
        years = {float(y) for y in re.findall(r"\b(?:19|20)\d\d\b",
                                              f"{row.get('year', '')} {row.get('period', '')}")}
        missing = years - linked_years.get(fact_id, set())
        if missing:
            problems.append(
                f"{fact_id}: its year or period names {sorted(int(y) for y in missing)}, but no "
                "token of that year labels it; add the phrase that dates it to its labels"
            )
    return problems
