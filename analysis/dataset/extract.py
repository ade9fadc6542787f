"""Extract the report's figures into a tidy, provenance-carrying table.

The declarative spec (``data/extraction_spec.yaml``) says what each figure is and where it
is; this module finds the words, parses the number out of them and records the exact span.
:func:`build_all` is the whole stage: raw text -> ``data/processed/`` (statistics, number
audit, cross-checks, paragraphs, footnotes) and ``data/datapackage.json``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis import paths
from analysis.dataset.numerals import NUMBER_PATTERN, QUALIFIER_PATTERN, parse_number
from analysis.dataset.source import Report, load_report

#: Breakdown columns of the statistics table (empty when a figure has no such breakdown).
BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "offence",
    "sex",
    "age_group",
    "content_type",
    "geography",
    "sentence",
)
#: Columns of ``report_statistics.csv``, in order.
STATISTICS_COLUMNS: tuple[str, ...] = (
    "fact_id",
    "topic",
    "indicator",
    *BREAKDOWN_COLUMNS,
    "year",
    "period",
    "value",
    "unit",
    "qualifier",
    "counting_unit",
    "source_body",
    "paragraph",
    "footnote",
    "evidence",
    "value_text",
    "char_start",
    "char_end",
    "note",
)
#: Units a fact may have.
UNIT_CODES: tuple[str, ...] = ("count", "percent", "ratio", "rank", "years", "days")
#: Which spec units a parsed unit may be stored as.
_COMPATIBLE_UNITS = {
    "count": {"count", "years", "days"},
    "percent": {"percent"},
    "ratio": {"ratio"},
    "rank": {"rank"},
}
_REQUIRED_KEYS = {
    "fact_id",
    "topic",
    "indicator",
    "unit",
    "counting_unit",
    "source_body",
    "paragraph",
    "pattern",
}
_OPTIONAL_KEYS = {"footnote", "year", "period", "note", *BREAKDOWN_COLUMNS}
_FACT_ID = re.compile(r"[a-z][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{(value|num|qualifier|\.\.\.)\}")


class SpecError(ValueError):
    """The extraction spec is malformed, or one of its patterns does not match once."""


@dataclass(frozen=True)
class FactSpec:
    """One validated entry of the extraction spec."""

    fact_id: str
    fields: Mapping[str, Any]
    paragraph: int
    footnote: int | None
    pattern: str


def load_spec(path: Path = paths.EXTRACTION_SPEC) -> list[FactSpec]:
    """Load and validate the extraction spec.

    Args:
        path: The YAML spec.

    Returns:
        The entries, in file order.

    Raises:
        SpecError: Unknown or missing keys, a duplicate or malformed ``fact_id``, an unknown
            unit, or a pattern without exactly one ``{value}``; the message names the file
            and the fact.
    """
    with Path(path).open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    if not isinstance(document, dict) or not isinstance(document.get("facts"), list):
        raise SpecError(f"{path}: expected a mapping with a 'facts' list")
    defaults = document.get("defaults") or {}
    unknown_defaults = set(defaults) - _OPTIONAL_KEYS
    if unknown_defaults:
        raise SpecError(f"{path}: unknown keys in defaults: {sorted(unknown_defaults)}")
    specs: list[FactSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["facts"]):
        where = f"{path}: fact #{index + 1}"
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
        if fact_id in seen:
            raise SpecError(f"{where}: duplicate fact_id")
        seen.add(fact_id)
        if entry["unit"] not in UNIT_CODES:
            raise SpecError(f"{where}: unit {entry['unit']!r} is not one of {UNIT_CODES}")
        pattern = entry["pattern"]
        if not isinstance(pattern, str) or _PLACEHOLDER.findall(pattern).count("value") != 1:
            raise SpecError(f"{where}: pattern must contain exactly one {{value}}")
        for key in ("paragraph", "footnote", "year"):
            if key in entry and not isinstance(entry[key], int):
                raise SpecError(f"{where}: {key} must be an integer, got {entry[key]!r}")
        fields = {**defaults, **entry}
        specs.append(
            FactSpec(
                fact_id=fact_id,
                fields=fields,
                paragraph=entry["paragraph"],
                footnote=entry.get("footnote"),
                pattern=pattern,
            )
        )
    return specs


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


def extract_fact(report: Report, spec: FactSpec) -> dict[str, Any]:
    """Find one fact in the report and parse its value.

    Args:
        report: The parsed report.
        spec: The fact's spec entry.

    Returns:
        One row of the statistics table (a dict keyed by :data:`STATISTICS_COLUMNS`).

    Raises:
        SpecError: The pattern matches 0 or 2+ times (the message names the fact, the
            paragraph or footnote and the count), or the parsed unit contradicts the spec.
    """
    text, offset, where = _location(report, spec)
    matches = list(compile_pattern(spec.pattern).finditer(text))
    if len(matches) != 1:
        raise SpecError(
            f"fact {spec.fact_id!r}: pattern {spec.pattern!r} matched {len(matches)} times in "
            f"{where}; it must match exactly once"
        )
    match = matches[0]
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
    )
    row["value_start"] = offset + match.start("value")
    row["value_end"] = offset + match.end("value")
    return row


def extract_statistics(report: Report, specs: Iterable[FactSpec]) -> pd.DataFrame:
    """Extract every fact of the spec.

    Args:
        report: The parsed report.
        specs: Spec entries (see :func:`load_spec`).

    Returns:
        The statistics table, sorted by paragraph, footnote and position, with the helper
        columns ``value_start``/``value_end`` (offsets of the number itself) at the end;
        :func:`statistics_for_csv` drops them.
    """
    rows = [extract_fact(report, spec) for spec in specs]
    frame = pd.DataFrame(rows, columns=[*STATISTICS_COLUMNS, "value_start", "value_end"])
    frame = frame.sort_values(["char_start", "fact_id"], kind="stable").reset_index(drop=True)
    return frame


def statistics_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the statistics table with exactly the published columns."""
    return frame.loc[:, list(STATISTICS_COLUMNS)]


def build_all(
    raw_path: Path = paths.RAW_REPORT,
    spec_path: Path = paths.EXTRACTION_SPEC,
    audit_rules_path: Path = paths.AUDIT_RULES,
    out_dir: Path = paths.PROCESSED_DIR,
    datapackage_path: Path = paths.DATAPACKAGE,
    expected_sha256: str | None = None,
) -> dict[str, Path]:
    """Run the whole extraction stage: raw text -> processed tables and data package.

    Every output is first written to a temporary file beside its target; the targets are
    replaced only after all of them were produced and validated, so a failed run leaves the
    previous dataset intact.

    Args:
        raw_path: The raw report.
        spec_path: The extraction spec.
        audit_rules_path: Rules for numeric tokens that are not statistics.
        out_dir: Folder of the processed tables.
        datapackage_path: Where to write ``datapackage.json``.
        expected_sha256: Expected digest of ``raw_path`` (default: the recorded one).

    Returns:
        The written files by name.
    """
    from analysis.dataset.audit import audit_numbers, load_audit_rules
    from analysis.dataset.cross_checks import run_cross_checks
    from analysis.dataset.datapackage import build_datapackage
    from analysis.dataset.validate import validate_statistics
    from analysis.io import atomic_write_many, frame_to_csv_text

    report = load_report(raw_path, expected_sha256)
    specs = load_spec(spec_path)
    facts = extract_statistics(report, specs)
    statistics = statistics_for_csv(facts)
    statistics_text = frame_to_csv_text(statistics)
    validate_statistics(
        pd.read_csv(io.StringIO(statistics_text), dtype=str, keep_default_na=False),
        source="report_statistics.csv",
    )
    audit = audit_numbers(report, facts, load_audit_rules(audit_rules_path))
    checks = run_cross_checks(statistics)
    paragraphs = paragraphs_frame(report)
    footnotes = footnotes_frame(report)
    texts = {
        out_dir / "report_statistics.csv": statistics_text,
        out_dir / "number_audit.csv": frame_to_csv_text(audit),
        out_dir / "cross_checks.csv": frame_to_csv_text(checks),
        out_dir / "paragraphs.csv": frame_to_csv_text(paragraphs),
        out_dir / "footnotes.csv": frame_to_csv_text(footnotes),
    }
    texts[datapackage_path] = build_datapackage(raw_path, datapackage_path, texts)
    atomic_write_many(texts)
    return {path.name: path for path in texts}


def paragraphs_frame(report: Report) -> pd.DataFrame:
    """One row per numbered paragraph: number, headings, footnotes cited, offsets, text.

    Args:
        report: The parsed report.

    Returns:
        Columns ``paragraph``, ``chapter``, ``section``, ``subsection``, ``footnotes``
        (space-separated numbers), ``char_start``, ``char_end``, ``text`` (the paragraph's
        own text with footnote bodies removed and white space folded).
    """
    return pd.DataFrame(
        [
            {
                "paragraph": p.number,
                "chapter": p.chapter,
                "section": p.section,
                "subsection": p.subsection,
                "footnotes": " ".join(str(n) for n in p.footnote_refs),
                "char_start": p.start,
                "char_end": p.end,
                "text": p.body_text(),
            }
            for p in report.paragraphs
        ]
    )


def footnotes_frame(report: Report) -> pd.DataFrame:
    """One row per footnote: number, citing paragraph, offsets and text.

    Args:
        report: The parsed report.

    Returns:
        Columns ``footnote``, ``paragraph``, ``char_start``, ``char_end``, ``text``.
    """
    return pd.DataFrame(
        [
            {
                "footnote": f.number,
                "paragraph": f.paragraph,
                "char_start": f.start,
                "char_end": f.end,
                "text": f.text,
            }
            for f in report.footnotes
        ]
    )
