"""The Frictionless Data Package describing the processed tables.

``data/datapackage.json`` is generated with the tables (never edited by hand): a Table
Schema per CSV with types, constraints, enums, primary keys and a description for every
field, the SHA-256 of every CSV, and the raw source with its citation and checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.dataset.audit import CATEGORIES
from analysis.dataset.extract import UNIT_CODES
from analysis.dataset.numerals import QUALIFIER_CODES
from analysis.io import sha256_file

#: How to cite the source document.
SOURCE_CITATION = (
    "United Nations, Human Rights Council, thirty-first session, agenda item 3. Report of "
    "the Special Rapporteur on the sale of children, child prostitution and child "
    "pornography on her visit to Japan (19-26 October 2015), document A/HRC/31/58/Add.1 "
    "(2016). Text file as received, with the Secretariat's cover note in Russian."
)


def _field(name: str, type_: str, description: str, **constraints: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"name": name, "type": type_, "description": description}
    if constraints:
        field["constraints"] = constraints
    return field


STATISTICS_FIELDS: list[dict[str, Any]] = [
    _field("fact_id", "string", "Stable, unique identifier of the figure.", required=True,
           unique=True, pattern="[a-z][a-z0-9_]*"),
    _field("topic", "string", "Family of figures (e.g. police_victims, sentencing).",
           required=True),
    _field("indicator", "string", "What the figure measures, in words.", required=True),
    _field("offence", "string", "Offence breakdown, if any."),
    _field("sex", "string", "Sex breakdown (girls, boys), if any."),
    _field("age_group", "string", "Age band, if any (e.g. under 18)."),
    _field("content_type", "string", "Type of online content, if any."),
    _field("geography", "string", "Where the figure applies (Japan unless stated)."),
    _field("sentence", "string", "Sentence category, for sentencing figures."),
    _field("year", "integer", "Calendar year the figure refers to; empty when none.",
           minimum=1990, maximum=2016),
    _field("period", "string", "Period for figures spanning time (e.g. 2010-2014, as at "
           "July 2015); empty when a single year applies."),
    _field("value", "number", "The figure as the report gives it; a percentage as printed "
           "(62 for 62 per cent).", required=True, minimum=0),
    _field("unit", "string", "Unit of value: count, percent, ratio, rank, years or days.",
           required=True, enum=list(UNIT_CODES)),
    _field("qualifier", "string", "Qualifier the report attaches to the figure (exact when "
           "none).", required=True, enum=list(QUALIFIER_CODES)),
    _field("counting_unit", "string", "What is counted (victims, cases, offenders, "
           "convictions, reports...); for a percentage, what it is a percentage of.",
           required=True),
    _field("source_body", "string", "The body or statistical series the report attributes "
           "the figure to ('not stated' when it names none).", required=True),
    _field("paragraph", "integer", "Numbered paragraph of the report; for a footnote, the "
           "paragraph that cites it.", required=True, minimum=1, maximum=74),
    _field("footnote", "integer", "Footnote number when the figure is in a footnote.",
           minimum=3, maximum=13),
    _field("evidence", "string", "The exact span of the report's text the value was parsed "
           "from.", required=True),
    _field("value_text", "string", "The number as printed, with its qualifier.",
           required=True),
    _field("char_start", "integer", "Offset of the evidence in the raw text (0-based, "
           "Unicode characters).", required=True, minimum=0),
    _field("char_end", "integer", "End offset (exclusive) of the evidence.", required=True,
           minimum=1),
    _field("note", "string", "Remarks on reading the figure."),
]

AUDIT_FIELDS: list[dict[str, Any]] = [
    _field("token_id", "string", "Identifier of the token (text order).", required=True,
           unique=True),
    _field("token", "string", "The numeric token as printed (digits or a number word).",
           required=True),
    _field("kind", "string", "digits or word.", required=True, enum=["digits", "word"]),
    _field("part", "string", "Where it is: cover, heading, paragraph or footnote.",
           required=True, enum=["cover", "heading", "paragraph", "footnote"]),
    _field("paragraph", "integer", "Paragraph number (for a footnote, the citing one).",
           minimum=1, maximum=74),
    _field("footnote", "integer", "Footnote number, if in a footnote.", minimum=3,
           maximum=13),
    _field("char_start", "integer", "Offset in the raw text.", required=True, minimum=0),
    _field("char_end", "integer", "End offset (exclusive).", required=True, minimum=1),
    _field("status", "string", "value (a figure's value), label (labels a figure: its "
           "year, age band...) or not_statistic.", required=True,
           enum=["value", "label", "not_statistic"]),
    _field("fact_id", "string", "The figure that uses the token (value or label)."),
    _field("category", "string", "Why a token is not a statistic (category).",
           enum=["", *CATEGORIES]),
    _field("reason", "string", "Why, in words.", required=True),
    _field("context", "string", "Up to 40 characters either side, white space folded.",
           required=True),
]

CHECK_FIELDS: list[dict[str, Any]] = [
    _field("check_id", "string", "Identifier of the cross-check.", required=True,
           unique=True),
    _field("kind", "string", "equal, part_of_whole, shares_within_100, implied_total or "
           "same_quantity.", required=True,
           enum=["equal", "part_of_whole", "shares_within_100", "implied_total",
                 "same_quantity"]),
    _field("description", "string", "What is compared.", required=True),
    _field("paragraphs", "string", "Paragraphs of the figures involved.", required=True),
    _field("left_facts", "string", "Facts summed on the left (parts, or the count).",
           required=True),
    _field("right_facts", "string", "Facts summed on the right (the whole, or the "
           "percentage); empty for shares of 100."),
    _field("left_value", "number", "Sum of the left facts.", required=True),
    _field("right_value", "number", "Sum of the right facts."),
    _field("difference", "number", "Right minus left (the 'not stated' remainder of a "
           "whole)."),
    _field("expected", "string", "Outcome fixed by reading the report.", required=True,
           enum=["holds", "discrepancy", "informational"]),
    _field("outcome", "string", "Computed outcome.", required=True,
           enum=["holds", "fails", "agrees", "differs", "consistent", "impossible"]),
    _field("detail", "string", "The numbers behind the outcome.", required=True),
]

PARAGRAPH_FIELDS: list[dict[str, Any]] = [
    _field("paragraph", "integer", "Paragraph number.", required=True, unique=True,
           minimum=1, maximum=74),
    _field("chapter", "string", "Chapter heading.", required=True),
    _field("section", "string", "Section heading, if any."),
    _field("subsection", "string", "Sub-section heading, if any."),
    _field("footnotes", "string", "Footnotes cited, space-separated."),
    _field("char_start", "integer", "Offset in the raw text.", required=True),
    _field("char_end", "integer", "End offset (exclusive).", required=True),
    _field("text", "string", "The paragraph's text, footnotes removed, white space folded.",
           required=True),
]

FOOTNOTE_FIELDS: list[dict[str, Any]] = [
    _field("footnote", "integer", "Footnote number.", required=True, unique=True),
    _field("paragraph", "integer", "The paragraph that cites it.", required=True),
    _field("char_start", "integer", "Offset of its text in the raw text.", required=True),
    _field("char_end", "integer", "End offset (exclusive).", required=True),
    _field("text", "string", "The footnote's text, white space folded.", required=True),
]

_RESOURCES = {
    "report_statistics.csv": ("report-statistics", "Every figure the report states, one "
                              "row per figure, with its provenance.", STATISTICS_FIELDS,
                              "fact_id"),
    "number_audit.csv": ("number-audit", "Every numeric token of the report with the fact "
                         "that uses it or the reason it is not a statistic.", AUDIT_FIELDS,
                         "token_id"),
    "cross_checks.csv": ("cross-checks", "Cross-checks of the figures against each other.",
                         CHECK_FIELDS, "check_id"),
    "paragraphs.csv": ("paragraphs", "The report's numbered paragraphs with their section "
                       "path.", PARAGRAPH_FIELDS, "paragraph"),
    "footnotes.csv": ("footnotes", "The report's footnotes and the paragraphs citing them.",
                      FOOTNOTE_FIELDS, "footnote"),
}


def build_datapackage(
    raw_path: Path, datapackage_path: Path, contents: Mapping[Path, str]
) -> str:
    """Render ``datapackage.json`` for the processed tables about to be written.

    Args:
        raw_path: The raw report (hashed and cited as the source).
        datapackage_path: Where the descriptor will live (paths inside are relative to it).
        contents: Processed CSV path -> its text (hashed; only known tables are described).

    Returns:
        The JSON text (sorted keys where order carries no meaning, two-space indent,
        trailing newline).
    """
    base = Path(datapackage_path).parent
    resources = []
    for path, text in sorted(contents.items(), key=lambda item: item[0].name):
        if path.name not in _RESOURCES:
            continue
        name, description, fields, key = _RESOURCES[path.name]
        resources.append(
            {
                "name": name,
                "path": Path(os.path.relpath(path, base)).as_posix(),
                "profile": "tabular-data-resource",
                "title": path.name,
                "description": description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "hash": "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "bytes": len(text.encode("utf-8")),
                "schema": {"fields": fields, "primaryKey": [key], "missingValues": [""]},
            }
        )
    descriptor = {
        "name": "japan-2015-special-rapporteur-statistics",
        "title": "Figures of the UN Special Rapporteur's 2015 report on Japan (sale of "
        "children, child prostitution and child pornography)",
        "description": "Every statistic stated in the report, parsed from its text by code "
        "with its paragraph, footnote and evidence span; a number audit; cross-checks.",
        "profile": "tabular-data-package",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [
            {
                "title": SOURCE_CITATION,
                # Described as it lives in the project, beside data/processed.
                "path": f"{paths.RAW_DIR.name}/{Path(raw_path).name}",
                "sha256": sha256_file(raw_path),
            }
        ],
        "resources": resources,
    }
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def validate_with_frictionless(path: Path = paths.DATAPACKAGE) -> Any:
    """Validate the data package with Frictionless (schema, types, constraints, hashes).

    Args:
        path: The ``datapackage.json``.

    Returns:
        The Frictionless report (``report.valid`` is the verdict).
    """
    from frictionless import Package

    return Package(str(path)).validate()
