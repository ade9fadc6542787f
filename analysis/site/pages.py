"""HTML of the data pages: the dataset, the cross-checks, the claims and the figures gallery.

Every table is driven by its CSV header, so columns added to the processed tables appear
without a code change. Links are relative to the page (``up`` is ``""`` or ``"../"``).
The dataset and cross-check tables are sortable and filterable by ``_static/table.js``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence

from analysis.dataset.cross_checks import AGREEING_OUTCOMES
from analysis.site.figures import Figure
from analysis.site.viewer import Viewer, fact_ids
from analysis.stats.pvalues import format_probability

#: Columns of the processed tables not shown in the data tables (offsets into the raw text).
HIDDEN_COLUMNS = frozenset({"char_start", "char_end"})
#: Columns of figures/claims.csv shown in a claim's summary rather than its details.
CLAIM_SUMMARY = ("claim", "report_text", "metric", "estimate", "ci_low", "ci_high", "verdict")

_e = html.escape


def number(text: str) -> str:
    """A number for display: at most 4 significant digits, never a bare 0 for a p-value."""
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isnan(value):
        return ""
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if value == 0:
        return "0"
    return f"{value:.4g}" if abs(value) >= 1e-4 else f"{value:.2e}"


def p_value(text: str) -> str:
    """A p-value as stored: two significant digits, never 0 or 1 (:func:`format_probability`)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return format_probability(value)


def badge(value: str, kind: str) -> str:
    """A badge whose text carries the meaning (colour only repeats it)."""
    good = {"holds", "supported"}
    bad = {"fails", "differs", "contradicted"}
    tone = "good" if value in good else "bad" if value in bad else "neutral"
    return f'<span class="cbadge cbadge-{tone}" data-{kind}="{_e(value)}">{_e(value)}</span>'


def fact_description(row: Mapping[str, str]) -> str:
    """A figure in words: what it measures, its value, its breakdown and both bodies.

    E.g. ``police_victims_girls_2014: Child victims of sexual exploitation = 1,130 count;
    breakdown: sex (girls); body counted: Police; source cited: National Police Agency``.
    Columns a table lacks are left out.
    """
    said = (f"{row.get('fact_id', '')}: {row.get('indicator', '')} = "
            f"{number(row.get('value', ''))} {row.get('unit', '')}").strip()
    parts = [said]
    if "breakdown" in row:
        breakdown = row.get("breakdown", "")
        parts.append(f"breakdown: {breakdown} ({row.get(breakdown, '')})" if breakdown
                     else "breakdown: none (a total or a single figure)")
    if "subject_body" in row:
        parts.append(f"body counted: {row.get('subject_body') or 'none'}")
    if "source_body" in row:
        parts.append(f"source cited: {row.get('source_body', '')}")
    return "; ".join(parts)


def fact_links(text: str, viewer: Viewer, up: str) -> str:
    """Fact ids in ``text`` linked to their dataset rows; other words kept."""
    named = set(fact_ids(text, viewer.facts))
    words = text.split()
    return " ".join(
        f'<a href="{up}dataset.html#row-{_e(w)}">{_e(w)}</a>' if w in named else _e(w)
        for w in words
    )


def report_link(viewer: Viewer, fact_id: str, up: str) -> str:
    """Link from a dataset row to the fact's highlighted value in the report viewer.

    Its accessible name starts with the visible words, "in the text" (WCAG 2.5.3).
    """
    row = viewer.facts[fact_id]
    page = viewer.page_of_paragraph(int(row["paragraph"]))
    return (
        f'<a class="to-report" href="{up}{page}.html#v-{_e(fact_id)}" '
        f'aria-label="in the text of the report: {_e(fact_id)}">in the text</a>'
    )


def sortable_table(
    table_id: str,
    caption: str,
    header: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    cell: Callable[[str, Mapping[str, str]], str],
    row_id: Callable[[Mapping[str, str]], str],
) -> str:
    """A filterable, sortable table (markup expected by ``table.js``)."""
    heads = "".join(
        f'<th scope="col" aria-sort="none"><button type="button" class="sort-button">'
        f"{_e(column)}</button></th>"
        for column in header
    )
    body = "\n".join(
        f'<tr id="{_e(row_id(row))}">'
        + "".join(f'<td data-sort="{_e(row.get(c, ""))}">{cell(c, row)}</td>' for c in header)
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="table-tools"><label for="filter-{table_id}">Filter rows</label> '
        f'<input type="search" id="filter-{table_id}" class="table-filter" '
        f'data-table="{table_id}" autocomplete="off"> '
        f'<output class="table-count" data-table="{table_id}" for="filter-{table_id}" '
        f'aria-live="polite">{len(rows)} rows</output></div>\n'
        f'<div class="table-wrap" role="region" aria-label="{_e(caption)}" tabindex="0">'
        f'<table id="{table_id}" class="data-table sortable"><caption>{_e(caption)} '
        "Select a column heading to sort; select it again to reverse.</caption>"
        f"<thead><tr>{heads}</tr></thead><tbody>\n{body}\n</tbody></table></div>"
    )


def dataset_table(viewer: Viewer, header: Sequence[str], up: str = "") -> str:
    """The extracted figures, one row each, linked to their span in the report viewer."""
    columns = [c for c in header if c not in HIDDEN_COLUMNS] + ["report"]

    def cell(column: str, row: Mapping[str, str]) -> str:
        value = row.get(column, "")
        if column == "report":
            return report_link(viewer, row["fact_id"], up)
        if column == "reading" and value == "ambiguous":
            return badge(value, "reading")
        if column in {"value", "alt_value"}:
            return _e(number(value))
        return _e(value)

    rows = list(viewer.facts.values())
    return sortable_table(
        "statistics", "Figures extracted from the report.", columns, rows, cell,
        lambda row: f"row-{row['fact_id']}",
    )


def cross_check_table(
    viewer: Viewer, header: Sequence[str], rows: Sequence[Mapping[str, str]], up: str = ""
) -> str:
    """The cross-checks, facts linked to the dataset, outcomes as text badges."""

    def cell(column: str, row: Mapping[str, str]) -> str:
        value = row.get(column, "")
        if column in {"outcome", "expected"}:
            return badge(value, column)
        if column.endswith("_facts"):
            return fact_links(value, viewer, up)
        return _e(value)

    # Not "cross-checks": the page's heading has that id.
    return sortable_table(
        "checks", "Cross-checks between figures of the report.", list(header), rows,
        cell, lambda row: f"check-{row['check_id']}",
    )


def discrepancies(rows: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """Cross-checks whose outcome is not agreement."""
    return [row for row in rows if row.get("outcome", "") not in AGREEING_OUTCOMES]


def _interval(row: Mapping[str, str]) -> str:
    """``estimate [low, high]`` with the metric and confidence level."""
    estimate = number(row.get("estimate", ""))
    low, high = number(row.get("ci_low", "")), number(row.get("ci_high", ""))
    level = row.get("conf_level", "")
    ci = f" [{low}, {high}]" if low and high else ""
    label = f"{float(level):.0%} interval" if level else "interval"
    metric = row.get("metric", "").replace("_", " ")
    return f"{_e(metric)} {_e(estimate)}{_e(ci)}" + (f" <small>({label})</small>" if ci else "")


def claims_list(
    viewer: Viewer, header: Sequence[str], rows: Sequence[Mapping[str, str]], up: str = ""
) -> str:
    """Claims at a glance, every other column of claims.csv in details on demand.

    Each claim shows the claim, the report's words, the estimate with its interval and the
    verdict (a text badge).
    """
    items = []
    for row in rows:
        words = row.get("report_text") or ""
        paragraph = row.get("paragraph", "")
        where = ""
        if paragraph.isdigit():
            page = viewer.page_of_paragraph(int(paragraph))
            where = f' <a href="{up}{page}.html#para-{paragraph}">para. {paragraph}</a>'
        details = "".join(
            f"<dt>{_e(column)}</dt><dd>{detail_cell(column, row.get(column, ''), viewer, up)}</dd>"
            for column in header
            if column not in CLAIM_SUMMARY
        )
        items.append(
            f'<li class="claim" id="claim-{_e(row.get("claim_id", ""))}">'
            f'<p class="claim-text">{_e(row.get("claim", ""))}{where}</p>'
            + (f'<blockquote class="claim-words"><p>{_e(words)}</p></blockquote>' if words else "")
            + f'<p class="claim-result">{_interval(row)} — verdict: '
            f'{badge(row.get("verdict", ""), "verdict")}</p>'
            f"<details><summary>Details of {_e(row.get('claim_id', 'the claim'))}</summary>"
            f"<dl>{details}</dl></details></li>"
        )
    return f'<ul class="claims">{"".join(items)}</ul>'


def detail_cell(column: str, value: str, viewer: Viewer, up: str) -> str:
    """One detail of a claim, formatted by what the column holds."""
    if column == "p_value" or column.startswith("p_"):
        return _e(p_value(value))
    if column == "facts":
        return fact_links(value, viewer, up)
    return _e(number(value) if value[:1].isdigit() or value[:1] == "-" else value)


def gallery(figures: Sequence[Figure], up: str = "") -> str:
    """Every figure with its alt text, the cell that draws it and its data table."""
    cards = []
    for figure in figures:
        data = (
            f' Data: <a href="{up}figures/{figure.name}.csv">{figure.name}.csv</a>.'
            if figure.has_csv
            else ""
        )
        cards.append(
            f'<figure class="gallery-figure" id="figure-{_e(figure.name)}">'
            f'<img src="{up}figures/{figure.name}.png" alt="{_e(figure.alt)}">'
            f"<figcaption><strong>{_e(figure.title)}</strong>. Drawn in "
            f'<a href="{up}notebooks/{figure.notebook}.html#{figure.anchor}">notebook '
            f"{_e(figure.notebook)}, cell {figure.cell + 1}</a>.{data}"
            f' Vector image: <a href="{up}figures/{figure.name}.svg">{figure.name}.svg</a>.'
            "</figcaption></figure>"
        )
    return f'<div class="gallery">{"".join(cards)}</div>'
