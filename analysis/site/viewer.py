"""The report viewer: the report's whole text with every number marked as the audit saw it.

Built from the raw text (parsed by :mod:`analysis.dataset.source`) and the processed tables:
``number_audit.csv`` gives every numeric token with its offsets, status (``value``,
``label``, ``not_statistic``), fact(s), category and reason; ``report_statistics.csv`` the
extracted figures; ``cross_checks.csv`` the checks between them. Nothing here knows a column
list beyond the columns it reads by name; extra columns (``reading``, ``alt_value`` ...) are
used when present.

:func:`pieces` cuts a span of the text into plain text, marked tokens and footnote
references; :func:`page_markdown` writes one MyST page per part of the report (the cover
note, then one per chapter), whose paragraphs are rendered by the ``report-paragraph``
directive of :mod:`analysis.site.sphinxext`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.dataset.cross_checks import AGREEING_OUTCOMES
from analysis.dataset.source import FOOTNOTE_REF, Heading, Report, load_report
from analysis.dataset.views import load_table

_FACT_ID = re.compile(r"[A-Za-z0-9_]+")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Mark:
    """A numeric token of the report as the audit classified it.

    Attributes:
        token_id: The audit's id (``T0001`` ...).
        start: Offset of the token in the raw text.
        end: End offset (exclusive).
        text: The token as printed.
        status: ``value`` (an extracted figure), ``label`` (part of a figure's label) or
            ``not_statistic``.
        fact_ids: The figures the token gives or labels.
        category: The audit category (empty for values).
        reason: The audit's reason (empty for values).
        flags: What a reader must know at this spot: ambiguous readings, cross-check
            discrepancies (one short sentence each).
    """

    token_id: str
    start: int
    end: int
    text: str
    status: str
    fact_ids: tuple[str, ...]
    category: str
    reason: str
    flags: tuple[tuple[str, str], ...] = ()

    @property
    def is_value(self) -> bool:
        """Whether the token is an extracted figure."""
        return self.status == "value"


@dataclass(frozen=True)
class Piece:
    """A run of text, a marked token or a footnote reference."""

    text: str
    mark: Mark | None = None
    footnote: int | None = None


@dataclass(frozen=True)
class ViewerPage:
    """One page of the viewer: the cover note or a chapter."""

    docname: str
    title: str
    start: int
    end: int
    headings: tuple[Heading, ...]
    paragraphs: tuple[int, ...]


@dataclass(frozen=True)
class CsvTable:
    """A CSV table as text: its header, and its rows keyed by the header."""

    header: tuple[str, ...]
    rows: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Viewer:
    """Everything the viewer shows, and the processed tables it was built from."""

    report: Report
    marks: tuple[Mark, ...]
    facts: Mapping[str, Mapping[str, str]]
    pages: tuple[ViewerPage, ...]
    statistics: CsvTable
    checks: CsvTable

    def page_of_paragraph(self, number: int) -> str:
        """Docname of the page showing paragraph ``number``."""
        for page in self.pages:
            if number in page.paragraphs:
                return page.docname
        raise KeyError(f"paragraph {number} is on no viewer page")

    def anchors(self) -> dict[str, str]:
        """Fact id -> token id of the value token that carries the fact's anchor."""
        first: dict[str, str] = {}
        for mark in self.marks:
            if mark.is_value:
                for fact in mark.fact_ids:
                    first.setdefault(fact, mark.token_id)
        return first


def read_table(path: Path) -> CsvTable:
    """A processed table as text (:func:`analysis.dataset.views.load_table`)."""
    frame = load_table(path)
    return CsvTable(tuple(frame.columns), tuple(frame.to_dict("records")))


def fact_ids(text: str, known: Iterable[str]) -> tuple[str, ...]:
    """The known fact ids named in ``text`` (any separator), in order."""
    known = set(known)
    return tuple(word for word in _FACT_ID.findall(text or "") if word in known)


def fact_flags(
    facts: Mapping[str, Mapping[str, str]], checks: Sequence[Mapping[str, str]]
) -> dict[str, list[tuple[str, str]]]:
    """Fact id -> (kind, sentence) flags: ambiguous readings and discrepant cross-checks."""
    flags: dict[str, list[tuple[str, str]]] = {}
    for fact_id, row in facts.items():
        if row.get("reading", "").strip() == "ambiguous":
            alt = row.get("alt_value", "").strip()
            sentence = "Ambiguous reading" + (f"; the other reading gives {alt}" if alt else "")
            note = row.get("note", "").strip()
            flags.setdefault(fact_id, []).append(
                ("ambiguous", sentence + (f" ({note})" if note else "") + ".")
            )
    for check in checks:
        outcome = check.get("outcome", "").strip()
        if outcome in AGREEING_OUTCOMES or not outcome:
            continue
        named = fact_ids(f"{check.get('left_facts', '')} {check.get('right_facts', '')}", facts)
        sentence = (
            f"Cross-check {check.get('check_id', '')}: {outcome} "
            f"({check.get('detail', '').strip()})."
        )
        for fact_id in dict.fromkeys(named):
            flags.setdefault(fact_id, []).append(
                (f"check:{check.get('check_id', '')}:{outcome}", sentence)
            )
    return flags


def load_marks(
    audit: Sequence[Mapping[str, str]],
    facts: Mapping[str, Mapping[str, str]],
    flags: Mapping[str, Sequence[tuple[str, str]]],
) -> tuple[Mark, ...]:
    """The audit's tokens as marks, in text order, values carrying their facts' flags."""
    marks = []
    for row in audit:
        ids = fact_ids(row.get("fact_id", ""), facts)
        status = row["status"].strip()
        found = (
            tuple(flag for fact in ids for flag in flags.get(fact, ())) if status == "value" else ()
        )
        marks.append(
            Mark(
                row["token_id"], int(row["char_start"]), int(row["char_end"]), row["token"],
                status, ids, row.get("category", ""), row.get("reason", ""), found,
            )
        )
    return tuple(sorted(marks, key=lambda mark: (mark.start, mark.end)))


def viewer_pages(report: Report) -> tuple[ViewerPage, ...]:
    """The cover note, then one page per chapter (in text order)."""
    chapters = [heading for heading in report.headings if heading.level == "chapter"]
    pages = [ViewerPage("report/cover", "Cover note (Russian)", 0, report.cover_end, (), ())]
    for index, chapter in enumerate(chapters):
        end = chapters[index + 1].start if index + 1 < len(chapters) else len(report.text)
        pages.append(
            ViewerPage(
                f"report/chapter-{index + 1}",
                f"{chapter.label}. {chapter.title}",
                chapter.start,
                end,
                tuple(h for h in report.headings if chapter.start <= h.start < end),
                tuple(p.number for p in report.paragraphs if chapter.start <= p.start < end),
            )
        )
    return tuple(pages)


def load_viewer(
    raw: Path = paths.RAW_REPORT, processed: Path = paths.PROCESSED_DIR
) -> Viewer:
    """Read the raw report and the processed tables into a :class:`Viewer`."""
    report = load_report(raw)
    statistics = read_table(processed / "report_statistics.csv")
    checks = read_table(processed / "cross_checks.csv")
    facts = {row["fact_id"]: row for row in statistics.rows}
    flags = fact_flags(facts, checks.rows)
    marks = load_marks(read_table(processed / "number_audit.csv").rows, facts, flags)
    return Viewer(report, marks, facts, viewer_pages(report), statistics, checks)


def pieces(
    text: str, start: int, end: int, marks: Sequence[Mark], skip: Sequence[tuple[int, int]] = ()
) -> list[Piece]:
    """Cut ``text[start:end]`` into plain runs, marks and footnote references.

    Args:
        text: The raw text.
        start: Start offset.
        end: End offset (exclusive).
        marks: All marks (those inside the span are used).
        skip: Spans left out (footnote blocks, shown as footnotes instead).

    Returns:
        The pieces in order; a ``[footnoteRef:N]`` becomes one piece with ``footnote=N``
        (its marker token is the reference itself).
    """
    items: list[tuple[int, int, Piece | None]] = [(s, e, None) for s, e in skip]
    for match in FOOTNOTE_REF.finditer(text, start, end):
        reference = Piece(match["number"], footnote=int(match["number"]))
        items.append((match.start(), match.end(), reference))
    taken = [(s, e) for s, e, _ in items]
    for mark in marks:
        inside = start <= mark.start and mark.end <= end
        if inside and not any(s <= mark.start < e for s, e in taken):
            items.append((mark.start, mark.end, Piece(mark.text, mark=mark)))
    result: list[Piece] = []
    position = start
    for s, e, piece in sorted(items, key=lambda item: item[0]):
        if s > position:
            result.append(Piece(text[position:s]))
        if piece is not None:
            result.append(piece)
        position = max(position, e)
    if position < end:
        result.append(Piece(text[position:end]))
    return result


def _escape(text: str) -> str:
    """Text as MyST inline content: white space folded, ASCII punctuation escaped."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def heading_markdown(viewer: Viewer, heading: Heading) -> str:
    """A heading line in MyST, its numeric tokens marked with the ``report-mark`` role."""
    level = {"chapter": "#", "section": "##", "subsection": "###"}[heading.level]
    parts = []
    for piece in pieces(viewer.report.text, heading.start, heading.end, viewer.marks):
        if piece.mark is not None:
            parts.append(f"{{report-mark}}`{piece.mark.token_id}`")
        else:
            parts.append(_escape(piece.text))
    return f"{level} {' '.join(''.join(parts).split())}"


def page_markdown(viewer: Viewer, page: ViewerPage) -> str:
    """The MyST source of one viewer page."""
    if not page.paragraphs:
        return (
            f"# {page.title}\n\nThe Secretariat's note that transmits the report to the Human "
            "Rights Council, in Russian as it is in the source file. Its one number is the "
            "agenda item.\n\n```{report-cover}\n```\n"
        )
    blocks: list[tuple[int, str]] = [(h.start, heading_markdown(viewer, h)) for h in page.headings]
    for number in page.paragraphs:
        paragraph = viewer.report.paragraph(number)
        blocks.append((paragraph.start, f"```{{report-paragraph}} {number}\n```"))
    notes = [f.number for f in viewer.report.footnotes if f.paragraph in page.paragraphs]
    text = "\n\n".join(block for _, block in sorted(blocks))
    if notes:
        text += "\n\n## Footnotes\n\n```{report-footnotes} " + " ".join(map(str, notes)) + "\n```"
    return text + "\n"
