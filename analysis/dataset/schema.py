"""The processed tables' schemas, each field declared once.

Every processed table is a :class:`~analysis.tableschema.Table` of
:class:`~analysis.tableschema.Field` declarations: name, Table
Schema type, constraints, enum and description. The CSV column order, the Table Schemas in
``data/datapackage.json`` and the row validation (Frictionless, driven by the same
descriptors; see :mod:`analysis.dataset.validate`) all derive from these declarations, and
the README's data dictionary describes them. Controlled vocabularies (units, qualifiers,
offences, breakdowns, audit categories, cross-check kinds and outcomes) live here too, as
read-only tables.

This module imports only :mod:`analysis.dataset.numerals` (for the qualifier codes) and the
leaf :mod:`analysis.tableschema` (the declarations' classes), so every other dataset module can
import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from analysis.dataset.numerals import QUALIFIER_CODES
from analysis.tableschema import Field, Table

#: Units a fact may have.
UNIT_CODES: tuple[str, ...] = ("count", "percent", "ratio", "rank", "years", "days")

#: The controlled list of offence labels, each with what it covers. A row's ``offence`` is
#: filled wherever the report names the offence (or the kind of violence) a figure counts.
OFFENCES: Mapping[str, str] = MappingProxyType({
    "child pornography": "Child pornography offences or their victims (paras. 38, fn. 13).",
    "child prostitution": "Child prostitution offences or their victims (para. 38, fn. 13).",
    "child prostitution and child pornography": "Both offences together, as the judicial "
    "statistics count convicted offenders (para. 41).",
    "child prostitution and child pornography (the Act)": "Violations of the Act on the "
    "Regulation and Punishment of Acts Relating to Child Prostitution and Child Pornography "
    "(para. 41: prosecution and Supreme Court figures).",
    "child sexual exploitation": "Sexual exploitation of children as a whole (fn. 3, "
    "para. 38: victims by sex).",
    "child sexual exploitation abroad": "Sexual exploitation of children committed abroad, "
    "prosecuted under extraterritorial jurisdiction (para. 70).",
    "child sexual abuse": "Sexual abuse of children (para. 50, Naha centre).",
    "sexual abuse": "Sexual abuse handled by the Osaka centre; the report does not say that "
    "every victim was a child (para. 53).",
    "rape or indecent assault": "Rape or indecent assault (para. 53).",
    "rape, indecent assault, sexual abuse, sexual delinquency or domestic violence": "The "
    "Osaka centre's medical files, opened for any of these (para. 53).",
    "abuse": "Abuse, kind not stated (para. 56, Carillon Children Centre).",
})

#: Readings of a figure's wording.
READINGS: tuple[str, ...] = ("plain", "ambiguous")

#: Categories of numeric tokens that are not statistics (number audit).
AUDIT_CATEGORIES: tuple[str, ...] = (
    "paragraph_number",
    "heading_number",
    "footnote_marker",
    "cross_reference",
    "date",
    "year",
    "age_threshold",
    "legal_reference",
    "page_or_volume",
    "document_symbol",
    "name_or_ordinal",
    "duration_or_schedule",
    "breakdown_label",
    "not_a_quantity",
    "agenda_item",
)

#: Kinds of cross-check and what each computes.
CHECK_KINDS: Mapping[str, str] = MappingProxyType({
    "equal": "two sums of figures must be equal",
    "part_of_whole": "the sum of the parts must not exceed the whole; the remainder is "
    "reported as 'not stated'",
    "shares_within_100": "percentages of one whole for categories that cannot overlap must "
    "not add up to more than 100",
    "shares_sum": "percentages of one whole for categories that may overlap: their sum is "
    "reported, no bound applies",
    "implied_total": "a percentage given beside its count implies a total; the whole numbers "
    "consistent with the printed rounding are reported",
    "rounding_consistent_count": "a percentage of a stated count must correspond to a whole "
    "number of cases within the printed rounding",
    "comparison": "two figures of different quantities (or places) set side by side; the "
    "difference is reported",
    "implied_count": "a count with percentages applied to it in turn (left: the count, then "
    "each percentage) set beside another count (right); informational only",
})
#: What a check is expected to give, fixed by reading the report.
CHECK_EXPECTATIONS: tuple[str, ...] = ("holds", "discrepancy", "informational")
#: Computed outcomes. ``holds``/``fails`` for checks that must hold, ``consistent``/
#: ``impossible`` for rounding checks, ``agrees``/``differs``/``note`` for informational
#: checks (never ``fails``).
CHECK_OUTCOMES: tuple[str, ...] = (
    "holds", "fails", "consistent", "impossible", "agrees", "differs", "note",
)  # fmt: skip

_FACT_ID_PATTERN = "[a-z][a-z0-9_]*"


#: Dimensions along which a row may be one category of a split total (the ``breakdown``
#: column); each is also the column that holds the row's category.
BREAKDOWNS: tuple[str, ...] = ("offence", "sex", "age_group", "content_type", "sentence")

_STATISTICS_FIELDS: tuple[Field, ...] = (
    Field("fact_id", "string", "Stable, unique identifier of the figure.", required=True,
          unique=True, pattern=_FACT_ID_PATTERN),
    Field("topic", "string", "Family of figures (e.g. police_victims, sentencing).",
          required=True),
    Field("indicator", "string", "What the figure measures, in words.", required=True),
    Field("breakdown", "string", "The dimension along which the row is one category of a "
          "split total (offence, sex, age_group, content_type or sentence; that column holds "
          "the category); empty for a total or a figure the report splits along none of "
          "these. Never add rows of different breakdowns: they count the same total twice.",
          enum=BREAKDOWNS),
    Field("offence", "string", "The offence (or kind of violence) the figure counts, where "
          "the report names it; one of a controlled list.", enum=tuple(OFFENCES)),
    Field("sex", "string", "Sex breakdown (girls, boys), if any.", enum=("girls", "boys")),
    Field("age_group", "string", "Age band, if any (e.g. under 18)."),
    Field("content_type", "string", "Type of online content, if any."),
    Field("geography", "string", "Where what is measured happens or who is measured: the "
          "country, prefecture or city of the caseload or population.", required=True),
    Field("hosting_location", "string", "Where the content the figure counts is hosted, when "
          "the report says (e.g. websites outside Japan); empty otherwise."),
    Field("sentence", "string", "Sentence category, for sentencing figures."),
    Field("year", "integer", "Calendar year the figure refers to, as its sentence states it "
          "or, listed in inferred, as its paragraph dates it; empty when nothing dates it.",
          minimum=1990, maximum=2016),
    Field("period", "string", "Period the figure covers (e.g. 2010-2014, as at July 2015, "
          "since its establishment), as its sentence states it or, listed in inferred, as its "
          "paragraph dates it; empty when nothing dates it."),
    Field("value", "number", "The figure as the report gives it; a percentage as printed "
          "(62 for 62 per cent).", required=True, minimum=0),
    Field("unit", "string", "Unit of value.", required=True, enum=UNIT_CODES),
    Field("qualifier", "string", "Qualifier the report attaches to the figure (exact when "
          "none).", required=True, enum=QUALIFIER_CODES),
    Field("counting_unit", "string", "What is counted (victims, cases, offenders, "
          "convictions, reports...); for a percentage, what it is a percentage of.",
          required=True),
    Field("source_body", "string", "The body or statistical series the report cites as "
          "the source of the figure ('According to ...', 'data provided by ...'); 'not "
          "stated' when it cites none.", required=True),
    Field("subject_body", "string", "The body whose caseload, membership or activity the "
          "figure counts (the Safer Internet Association for its cases, the police for "
          "registered victims); 'not stated' when the report does not name it; empty when the "
          "figure counts no body's caseload (population, poverty, a legal time limit, a count "
          "of institutions)."),
    Field("paragraph", "integer", "Numbered paragraph of the report; for a footnote, the "
          "paragraph that cites it.", required=True, minimum=1, maximum=74),
    Field("footnote", "integer", "Footnote number when the figure is in a footnote.",
          minimum=3, maximum=13),
    Field("evidence", "string", "The exact span of the report's text the value was parsed "
          "from.", required=True),
    Field("value_text", "string", "The number as printed, with its qualifier.",
          required=True),
    Field("char_start", "integer", "Offset of the evidence in the raw text (0-based, "
          "Unicode characters).", required=True, minimum=0),
    Field("char_end", "integer", "End offset (exclusive) of the evidence.", required=True,
          minimum=1),
    Field("duplicate_of", "string", "Empty, or the fact_id of the row that states the same "
          "figure and is counted instead (the statement under the body the report cites for "
          "the series); leave such rows out of any sum.", pattern=_FACT_ID_PATTERN),
    Field("reading", "string", "plain, or ambiguous when the wording allows more than one "
          "reading (note then gives both and says which one the row records).",
          required=True, enum=READINGS),
    Field("alt_value", "number", "For an ambiguous row: the value under the other reading, "
          "when it differs.", minimum=0),
    Field("alt_qualifier", "string", "For an ambiguous row: the qualifier under the other "
          "reading, when it differs.", enum=QUALIFIER_CODES),
    Field("alt_scope", "string", "For an ambiguous row: what the figure covers under the "
          "other reading, when that differs."),
    Field("inferred", "string", "Space-separated names of the fields filled from the "
          "figure's context (its paragraph, the report's subject) rather than from its own "
          "sentence; a field of geography, year, period, offence, counting_unit, source_body "
          "or subject_body whose words the sentence lacks is always listed."),
    Field("note", "string", "Remarks on reading the figure: both readings of an ambiguous "
          "row, the context of an inferred field, a period the sentence does not state."),
)

STATISTICS = Table(
    "report-statistics",
    "report_statistics.csv",
    "Every figure the report states, one row per figure, with its provenance.",
    _STATISTICS_FIELDS,
    "fact_id",
)

AUDIT = Table(
    "number-audit",
    "number_audit.csv",
    "Every numeric token of the report with the facts that use it or the reason it is not "
    "a statistic.",
    (
        Field("token_id", "string", "Identifier of the token (text order).", required=True,
              unique=True),
        Field("token", "string", "The numeric token as printed (digits or a number word).",
              required=True),
        Field("kind", "string", "digits or word.", required=True, enum=("digits", "word")),
        Field("part", "string", "Where it is: cover, heading, paragraph or footnote.",
              required=True, enum=("cover", "heading", "paragraph", "footnote")),
        Field("paragraph", "integer", "Paragraph number (for a footnote, the citing one).",
              minimum=1, maximum=74),
        Field("footnote", "integer", "Footnote number, if in a footnote.", minimum=3,
              maximum=13),
        Field("char_start", "integer", "Offset in the raw text.", required=True, minimum=0),
        Field("char_end", "integer", "End offset (exclusive).", required=True, minimum=1),
        Field("status", "string", "value (a figure's value), label (gives a figure's year, "
              "period, age band or category) or not_statistic.", required=True,
              enum=("value", "label", "not_statistic")),
        Field("fact_id", "string", "The figure whose value the token is, or the figures "
              "(space-separated) it labels."),
        Field("category", "string", "Why a token is not a statistic, or what kind of label "
              "it is (category).", enum=AUDIT_CATEGORIES),
        Field("reason", "string", "Why, in words.", required=True),
        Field("context", "string", "Up to 40 characters either side, white space folded.",
              required=True),
    ),
    "token_id",
)

CROSS_CHECKS = Table(
    "cross-checks",
    "cross_checks.csv",
    "Cross-checks of the figures against each other (declared in data/cross_checks.yaml).",
    (
        Field("check_id", "string", "Identifier of the cross-check.", required=True,
              unique=True),
        Field("kind", "string", "; ".join(f"{k}: {v}" for k, v in CHECK_KINDS.items()) + ".",
              required=True, enum=tuple(CHECK_KINDS)),
        Field("description", "string", "What is compared.", required=True),
        Field("paragraphs", "string", "Paragraphs of the figures involved.", required=True),
        Field("left_facts", "string", "Facts summed on the left (parts, the count or the "
              "percentage), joined by ' + '; for implied_count the count and the percentages "
              "applied to it, joined by ' x '.", required=True),
        Field("right_facts", "string", "Facts summed on the right (the whole, or the "
              "percentage); empty for shares of 100."),
        Field("left_value", "number", "Sum of the left facts (for implied_count their "
              "product).", required=True),
        Field("right_value", "number", "Sum of the right facts."),
        Field("difference", "number", "Right minus left (the 'not stated' remainder of a "
              "whole)."),
        Field("expected", "string", "Outcome fixed by reading the report.", required=True,
              enum=CHECK_EXPECTATIONS),
        Field("outcome", "string", "Computed outcome.", required=True, enum=CHECK_OUTCOMES),
        Field("detail", "string", "The numbers behind the outcome.", required=True),
        Field("why", "string", "Why the check has its kind and expectation (which reading "
              "it depends on; whether it can fail).", required=True),
        Field("report_words", "string", "For a check expected to hold: the report's words "
              "that make the relation necessary, verbatim (several joined by ' | '); empty "
              "for an informational check."),
    ),
    "check_id",
)

PARAGRAPHS = Table(
    "paragraphs",
    "paragraphs.csv",
    "The report's numbered paragraphs with their section path.",
    (
        Field("paragraph", "integer", "Paragraph number.", required=True, unique=True,
              minimum=1, maximum=74),
        Field("chapter", "string", "Chapter heading.", required=True),
        Field("section", "string", "Section heading, if any."),
        Field("subsection", "string", "Sub-section heading, if any."),
        Field("footnotes", "string", "Footnotes cited, space-separated."),
        Field("char_start", "integer", "Offset in the raw text.", required=True),
        Field("char_end", "integer", "End offset (exclusive).", required=True),
        Field("text", "string", "The paragraph's text, footnotes removed, white space "
              "folded.", required=True),
    ),
    "paragraph",
)

FOOTNOTES = Table(
    "footnotes",
    "footnotes.csv",
    "The report's footnotes and the paragraphs citing them.",
    (
        Field("footnote", "integer", "Footnote number.", required=True, unique=True),
        Field("paragraph", "integer", "The paragraph that cites it.", required=True),
        Field("char_start", "integer", "Offset of its text in the raw text.", required=True),
        Field("char_end", "integer", "End offset (exclusive).", required=True),
        Field("text", "string", "The footnote's text, white space folded.", required=True),
    ),
    "footnote",
)

#: Every processed table by file name.
TABLES: Mapping[str, Table] = MappingProxyType({
    table.filename: table for table in (STATISTICS, AUDIT, CROSS_CHECKS, PARAGRAPHS, FOOTNOTES)
})

#: Columns of ``report_statistics.csv``, in order.
STATISTICS_COLUMNS: tuple[str, ...] = STATISTICS.columns

#: Columns the views (:mod:`analysis.dataset.views`) add to the statistics' own columns in the
#: tables the notebooks chart; a figure's Table Schema takes their descriptions from here.
VIEW_FIELDS: tuple[Field, ...] = (
    Field("figures", "integer", "Number of figures the report states in the paragraph (a "
          "restated figure once).", unit="count"),
    Field("in_footnotes", "integer", "Of those, the figures stated in the paragraph's "
          "footnotes.", unit="count"),
    Field("victims", "integer", "Registered child victims (the report's count).",
          unit="count"),
    Field("cases", "integer", "Cases (the report's count; the unit the report counts).",
          unit="count"),
    Field("convictions", "integer", "Convictions (the report's count, or derived by "
          "subtraction where derived is true).", unit="count"),
    Field("derived", "boolean", "Whether the row's count is derived by subtraction rather "
          "than stated by the report."),
    Field("stage", "string", "Stage of the Safer Internet Association's handling of the "
          "cases (para. 45)."),
    Field("percent", "number", "A share in per cent: as printed by the report, or a "
          "proportion × 100.", unit="percent"),
)
