"""Extract the report's figures into a tidy, provenance-carrying table.

The declarative spec (``data/extraction_spec.yaml``) says what each figure is and where it
is; this module finds the words, parses the number out of them and records the exact span.
It also refuses a row that fills a field from context without saying so: every field of
:data:`analysis.dataset.wording.STATED_FIELDS` whose words are not in the figure's own
sentence must be listed in ``inferred``. The columns come from
:mod:`analysis.dataset.schema`; :mod:`analysis.dataset.build` runs the whole stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from analysis import paths
from analysis.dataset.numerals import NUMBER_PATTERN, QUALIFIER_PATTERN, parse_number
from analysis.dataset.schema import STATISTICS_COLUMNS, UNIT_CODES
from analysis.dataset.source import Report, Sentence
from analysis.dataset.wording import (
    STATED_FIELDS,
    FieldWords,
    WordingError,
    context_fields,
    load_field_words,
)
from analysis.io import YamlFileError, load_yaml

__all__ = [
    "STATISTICS_COLUMNS",
    "Extraction",
    "FactLocation",
    "FactSpec",
    "Span",
    "Spec",
    "SpecError",
    "compile_pattern",
    "extract_fact",
    "extract_statistics",
    "load_spec",
]

#: Which spec units a parsed unit may be stored as.
_COMPATIBLE_UNITS = MappingProxyType({
    "count": frozenset({"count", "years", "days"}),
    "percent": frozenset({"percent"}),
    "ratio": frozenset({"ratio"}),
    "rank": frozenset({"rank"}),
})
_REQUIRED_KEYS = frozenset(
    {"fact_id", "topic", "indicator", "unit", "counting_unit", "source_body", "paragraph",
     "pattern"}
)
#: Columns of the table the code fills from the report's words, never the spec.
_PARSED_COLUMNS = frozenset(
    {"value", "qualifier", "evidence", "value_text", "char_start", "char_end"}
)
#: Every key a spec entry may have: the table's other columns, the pattern and the labels.
_SPEC_KEYS = frozenset(STATISTICS_COLUMNS) - _PARSED_COLUMNS | {"pattern", "labels"}
_OPTIONAL_KEYS = _SPEC_KEYS - _REQUIRED_KEYS
_FACT_ID = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{(value|num|qualifier|\.\.\.)\}")


#: Top-level keys of ``data/extraction_spec.yaml``.
SPEC_KEYS: frozenset[str] = frozenset({"defaults", "words", "facts"})


class SpecError(ValueError):
    """The spec is malformed, a pattern does not match once, or a field is inferred silently."""


@dataclass(frozen=True)
class FactSpec:
    """One validated entry of the extraction spec.

    Attributes:
        fact_id: Stable identifier.
        fields: The entry's descriptive fields (defaults applied), keyed by column name.
        paragraph: Numbered paragraph (for a footnote, the citing one).
        footnote: Footnote number, if the figure is in a footnote.
        pattern: Report text with placeholders (see :func:`compile_pattern`).
        labels: Literal phrases of the paragraph (or footnote) that give the figure's year,
            period or age band outside its evidence; their numeric tokens are audited as
            labels of this fact.
    """

    fact_id: str
    fields: Mapping[str, Any]
    paragraph: int
    footnote: int | None
    pattern: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    """The extraction spec: its facts, in file order, and the words that state field values.

    Attributes:
        facts: The entries.
        words: The ``words`` section (see :mod:`analysis.dataset.wording`).
        path: The file it was read from (for messages).
    """

    facts: tuple[FactSpec, ...]
    words: FieldWords
    path: Path


@dataclass(frozen=True)
class Span:
    """A stretch of the raw text: offsets ``start`` to ``end`` (exclusive)."""

    start: int
    end: int

    def holds(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside this span."""
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class FactLocation:
    """Where one extracted figure sits in the raw text.

    Attributes:
        fact_id: The figure.
        year: Its year, if it has one.
        value: The number itself (its ``value_text``).
        evidence: The matched words (``char_start``:``char_end``).
        labels: The label phrases of the spec entry.
        sentence: The figure's own sentence (the one holding its number).
    """

    fact_id: str
    year: int | None
    value: Span
    evidence: Span
    labels: tuple[Span, ...]
    sentence: Sentence


@dataclass(frozen=True)
class ExtractedFact:
    """One figure found in the report: its row of the statistics table and its location."""

    row: Mapping[str, Any]
    location: FactLocation


@dataclass(frozen=True)
class Extraction:
    """Every figure found in the report.

    Attributes:
        statistics: The statistics table (exactly :data:`STATISTICS_COLUMNS`), sorted by
            position in the text.
        locations: Where each row's figure is, in the same order.
    """

    statistics: pd.DataFrame
    locations: tuple[FactLocation, ...]


def load_spec(path: Path = paths.EXTRACTION_SPEC) -> Spec:
    """Load and validate the extraction spec.

    Args:
        path: The YAML spec.

    Returns:
        The entries, in file order, and the words section.

    Raises:
        SpecError: Unknown, missing or repeated keys, a duplicate or malformed ``fact_id``,
            an unknown unit, a pattern without exactly one ``{value}``, or a value of a
            field of :data:`~analysis.dataset.wording.STATED_FIELDS` without words; the
            message names the file and the fact (or the line).
    """
    try:
        document = load_yaml(path, top_level=SPEC_KEYS)
    except YamlFileError as error:
        raise SpecError(str(error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("facts"), list):
        raise SpecError(f"{path}: expected a mapping with a 'facts' list")
    defaults = document.get("defaults") or {}
    unknown_defaults = set(defaults) - _OPTIONAL_KEYS
    if unknown_defaults:
        raise SpecError(f"{path}: unknown keys in defaults: {sorted(unknown_defaults)}")
    try:
        words = load_field_words(document.get("words", {}), str(path))
    except WordingError as error:
        raise SpecError(str(error)) from None
    specs: list[FactSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["facts"]):
        spec = _spec_entry(entry, defaults, f"{path}: fact #{index + 1}", path)
        if spec.fact_id in seen:
            raise SpecError(f"{path}: fact {spec.fact_id!r}: duplicate fact_id")
        for field in STATED_FIELDS:
            try:
                words.wording(field, spec.fields.get(field))
            except WordingError as error:
                raise SpecError(f"{path}: fact {spec.fact_id!r}: {error}") from None
        seen.add(spec.fact_id)
        specs.append(spec)
    return Spec(tuple(specs), words, Path(path))


def _spec_entry(
    entry: Any, defaults: Mapping[str, Any], where: str, path: Path
) -> FactSpec:
    """Check one spec entry and turn it into a :class:`FactSpec`."""
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: expected a mapping")
    fact_id = entry.get("fact_id")
    if fact_id is not None:
        where = f"{path}: fact {fact_id!r}"
    missing = _REQUIRED_KEYS - set(entry)
    unknown = set(entry) - _REQUIRED_KEYS - _OPTIONAL_KEYS
    if missing:
        raise SpecError(f"{where}: missing keys {sorted(missing)}")
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(fact_id, str) or not _FACT_ID.fullmatch(fact_id):
        raise SpecError(f"{where}: fact_id must be lower_snake_case")
    if entry["unit"] not in UNIT_CODES:
        raise SpecError(f"{where}: unit {entry['unit']!r} is not one of {UNIT_CODES}")
    pattern = entry["pattern"]
    if not isinstance(pattern, str) or _PLACEHOLDER.findall(pattern).count("value") != 1:
        raise SpecError(f"{where}: pattern must contain exactly one {{value}}")
    for key in ("paragraph", "footnote", "year"):
        if key in entry and not isinstance(entry[key], int):
            raise SpecError(f"{where}: {key} must be an integer, got {entry[key]!r}")
    for key in ("inferred", "labels"):
        if not isinstance(entry.get(key, []), list):
            raise SpecError(f"{where}: {key} must be a list")
    fields = {**defaults, **entry}
    fields["inferred"] = " ".join(entry.get("inferred", []))
    return FactSpec(
        fact_id=fact_id,
        fields=fields,
        paragraph=entry["paragraph"],
        footnote=entry.get("footnote"),
        pattern=pattern,
        labels=tuple(entry.get("labels", [])),
    )


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Turn a spec pattern into a regular expression.

    Literal text is escaped; white space matches any run of white space (the report uses
    tabs and non-breaking spaces); placeholders become number, qualifier or gap
    sub-expressions. ``{value}`` becomes the named group ``value``.

    Args:
        pattern: A spec pattern, e.g. ``"increased from {value} to {num}"``.

    Returns:
        The compiled expression.
    """
    pieces: list[str] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(pattern):
        pieces.append(_literal(pattern[position : placeholder.start()]))
        name = placeholder.group(1)
        if name == "value":
            pieces.append(f"(?P<value>{NUMBER_PATTERN})")
        elif name == "num":
            pieces.append(f"(?:{NUMBER_PATTERN})")
        elif name == "qualifier":
            pieces.append(f"(?P<qualifier>{QUALIFIER_PATTERN})")
        else:
            pieces.append(r"[^.]{0,200}?")
        position = placeholder.end()
    pieces.append(_literal(pattern[position:]))
    return re.compile("".join(pieces), flags=re.IGNORECASE)


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(part) for part in re.split(r"\s+", text))


def _location(report: Report, spec: FactSpec) -> tuple[str, int, str]:
    """Return (searchable text, its offset in the raw text, a description)."""
    try:
        paragraph = report.paragraph(spec.paragraph)
    except KeyError as error:
        raise SpecError(f"fact {spec.fact_id!r}: {error.args[0]}") from None
    if spec.footnote is None:
        return paragraph.masked, paragraph.start, f"paragraph {spec.paragraph}"
    try:
        note = report.footnote(spec.footnote)
    except KeyError as error:
        raise SpecError(f"fact {spec.fact_id!r}: {error.args[0]}") from None
    if note.paragraph != spec.paragraph:
        raise SpecError(
            f"fact {spec.fact_id!r}: footnote {spec.footnote} is cited in paragraph "
            f"{note.paragraph}, not {spec.paragraph}"
        )
    return report.text[note.start : note.end], note.start, (
        f"footnote {spec.footnote} (paragraph {spec.paragraph})"
    )


def extract_fact(report: Report, spec: FactSpec) -> ExtractedFact:
    """Find one fact in the report and parse its value.

    Args:
        report: The parsed report.
        spec: The fact's spec entry.

    Returns:
        Its row of the statistics table (keyed by :data:`STATISTICS_COLUMNS`) and where it is.

    Raises:
        SpecError: The pattern or a label phrase matches 0 or 2+ times (the message names
            the fact, the paragraph or footnote and the count), or the parsed unit
            contradicts the spec.
    """
    text, offset, where = _location(report, spec)
    match = _single_match(compile_pattern(spec.pattern), text, spec, spec.pattern, where)
    parsed = parse_number(match.group("value"))
    unit = spec.fields["unit"]
    if unit not in _COMPATIBLE_UNITS[parsed.unit]:
        raise SpecError(
            f"fact {spec.fact_id!r}: {match.group('value')!r} parses as a {parsed.unit}, "
            f"but the spec says {unit}"
        )
    qualifier = parsed.qualifier
    if match.groupdict().get("qualifier"):
        qualifier = parse_number(f"{match.group('qualifier')} 1").qualifier
    start, end = offset + match.start(), offset + match.end()
    evidence = report.text[start:end]
    if evidence != match.group(0):  # offsets must reproduce the matched words exactly
        raise AssertionError(f"fact {spec.fact_id!r}: evidence offsets are misaligned")
    row: dict[str, Any] = {column: "" for column in STATISTICS_COLUMNS}
    row.update({key: value for key, value in spec.fields.items() if key in STATISTICS_COLUMNS})
    row.update(
        fact_id=spec.fact_id,
        value=parsed.value,
        unit=unit,
        qualifier=qualifier,
        paragraph=spec.paragraph,
        footnote=spec.footnote if spec.footnote is not None else "",
        evidence=evidence,
        value_text=match.group("value"),
        char_start=start,
        char_end=end,
        year=spec.fields.get("year", ""),
        reading=spec.fields.get("reading", "plain"),
    )
    value = Span(offset + match.start("value"), offset + match.end("value"))
    labels = tuple(
        Span(offset + found.start(), offset + found.end())
        for found in (
            _single_match(compile_literal(phrase), text, spec, phrase, where)
            for phrase in spec.labels
        )
    )
    location = FactLocation(
        fact_id=spec.fact_id,
        year=spec.fields.get("year"),
        value=value,
        evidence=Span(start, end),
        labels=labels,
        sentence=report.sentence_at(value.start),
    )
    return ExtractedFact(row, location)


def compile_literal(phrase: str) -> re.Pattern[str]:
    """Compile a literal phrase of the report (white space matches any white space)."""
    return re.compile(_literal(phrase))


def _single_match(
    expression: re.Pattern[str], text: str, spec: FactSpec, shown: str, where: str
) -> re.Match[str]:
    matches = list(expression.finditer(text))
    if len(matches) != 1:
        raise SpecError(
            f"fact {spec.fact_id!r}: pattern {shown!r} matched {len(matches)} times in "
            f"{where}; it must match exactly once"
        )
    return matches[0]


def extract_statistics(report: Report, spec: Spec) -> Extraction:
    """Extract every fact of the spec and check what each row says it took from context.

    Args:
        report: The parsed report.
        spec: The spec (see :func:`load_spec`).

    Returns:
        The statistics table, sorted by position in the text, and where each figure is.

    Raises:
        SpecError: See :func:`extract_fact`; or rows filling a field of
            :data:`~analysis.dataset.wording.STATED_FIELDS` from context without listing it
            in ``inferred`` (every such field is named, with the figure's sentence).
    """
    found = sorted(
        (extract_fact(report, fact) for fact in spec.facts),
        key=lambda fact: (fact.row["char_start"], fact.row["fact_id"]),
    )
    unlisted = [
        field
        for fact in found
        for field in context_fields(fact.row, fact.location.sentence.text, spec.words)
        if not field.listed
    ]
    if unlisted:
        raise SpecError(
            f"{spec.path}: {len(unlisted)} field(s) filled from context but not listed in "
            "inferred: "
            + "; ".join(field.message() for field in unlisted)
        )
    frame = pd.DataFrame([fact.row for fact in found], columns=list(STATISTICS_COLUMNS))
    return Extraction(frame.reset_index(drop=True), tuple(fact.location for fact in found))
