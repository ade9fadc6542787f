"""Read the report's raw text: checksum, cover note, headings, paragraphs and footnotes.

The raw file (``data/raw/``) is immutable input. Its quirks, as described in
``data/raw/README.md``: a Russian cover note precedes the English report; headings are lines
``<tab>II.<tab>Title`` (roman chapter), ``<tab>A.<tab>Title`` (section) and ``<tab>1.<tab>Title``
(sub-section); numbered paragraphs start a line with ``N.<tab>``; footnote references are
``[footnoteRef:N]`` and the note's text follows inline, later in the same paragraph, as
``[N: text]``.

All character offsets in this module are offsets into the decoded text of the raw file
(Python string indices), so that any span can be cut back out of the source unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from analysis import paths
from analysis.io import sha256_file

_HEADING = re.compile(r"^[ ]?\t(?P<label>[IVX]+|[A-Z]|\d+)\.\t(?P<title>.*?)\s*$")
_PARAGRAPH = re.compile(r"^(?P<number>\d+)\.\t")
_FOOTNOTE_BODY = re.compile(r"\[(?P<number>\d+):(?P<text>[^\]]*)\]")
#: A footnote marker in the raw text, as the conversion left it: ``[footnoteRef:N]``.
FOOTNOTE_REF = re.compile(r"\[footnoteRef:(?P<number>\d+)\]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
#: A full stop (or ! ?) that may end a sentence: closing quotes or brackets and a footnote
#: marker may follow it, then white space and a capital letter (or an opening quote).
_SENTENCE_END = re.compile(r"[.!?][”’\"')\]]*(?:\[footnoteRef:\d+\])?(?=\s+[“‘\"(]?[A-Z])")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")
#: Abbreviations of the report's text and citations whose full stop ends no sentence.
ABBREVIATIONS: frozenset[str] = frozenset(
    {"para", "paras", "art", "arts", "p", "pp", "vol", "No", "e.g", "i.e", "U.S", "Mr", "Ms",
     "Dr"}
)

#: Numbered paragraphs the report is known to contain.
EXPECTED_PARAGRAPHS = range(1, 75)


class SourceError(ValueError):
    """The raw report is not what the code expects (changed file, broken structure)."""


class ChecksumMismatchError(SourceError):
    """The raw file's SHA-256 differs from the recorded one."""


def read_raw_text(path: Path = paths.RAW_REPORT, expected_sha256: str | None = None) -> str:
    """Read the raw report after checking its checksum.

    Args:
        path: The raw text file.
        expected_sha256: Expected digest; defaults to :data:`analysis.paths.RAW_REPORT_SHA256`
            whatever ``path`` is (a copy of the report must be the same bytes). The check
            always runs.

    Returns:
        The decoded UTF-8 text, unchanged (no newline translation).

    Raises:
        ChecksumMismatchError: The file's digest differs; the message names the file and
            both digests.
    """
    path = Path(path)
    if expected_sha256 is None:
        expected_sha256 = paths.RAW_REPORT_SHA256
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ChecksumMismatchError(
            f"{path}: SHA-256 is {actual}, expected {expected_sha256}. The raw report "
            "must not change; restore it from data/raw (see data/raw/README.md)."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


@dataclass(frozen=True)
class Sentence:
    """A sentence of a paragraph's own text (footnote blocks left out) or of a footnote.

    Attributes:
        start: Offset of its first character in the raw text.
        end: End offset (exclusive), after its full stop and any footnote marker.
        text: Its text, white space folded (footnote blocks inside it removed).
    """

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Footnote:
    """A footnote: its number, text and the paragraph that cites it.

    Attributes:
        number: Footnote number as printed.
        text: The note's text, whitespace-trimmed.
        paragraph: Number of the paragraph whose text contains the reference.
        start: Offset of the note's text (after trimming) in the raw text.
        end: End offset (exclusive) of the note's text.
        block_start: Offset of the whole ``[N: ...]`` block.
        block_end: End offset of the whole block.
    """

    number: int
    text: str
    paragraph: int
    start: int
    end: int
    block_start: int
    block_end: int


@dataclass(frozen=True)
class Paragraph:
    """A numbered paragraph of the English report.

    Attributes:
        number: Paragraph number (1-74).
        start: Offset of the paragraph's first character (its number) in the raw text.
        end: End offset (exclusive), before the next heading or paragraph.
        chapter: Chapter heading, e.g. ``"II. Situational analysis"``.
        section: Section heading, e.g. ``"A. Scope of sexual exploitation and sale of
            children"``, or ``""``.
        subsection: Sub-section heading, e.g. ``"1. Prostitution of children"``, or ``""``.
        footnote_refs: Numbers of the footnotes the paragraph cites, in order.
        masked: The paragraph's raw text with every footnote's ``[N: ...]`` block replaced
            by spaces of the same length, so offsets stay aligned with the raw text.
    """

    number: int
    start: int
    end: int
    chapter: str
    section: str
    subsection: str
    footnote_refs: tuple[int, ...]
    masked: str = field(repr=False)

    def body_text(self) -> str:
        """The paragraph's own text: footnote blocks removed, white space folded."""
        return " ".join(self.masked.split())


@dataclass(frozen=True)
class Heading:
    """A heading line: its level (chapter, section, subsection), label and title."""

    level: str
    label: str
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Report:
    """The parsed report.

    Attributes:
        text: The raw text, unchanged.
        cover_end: End offset of the Russian cover note (the English report starts here).
        headings: The heading lines, in order.
        paragraphs: The numbered paragraphs, in order.
        footnotes: The footnotes, in order of number.
    """

    text: str
    cover_end: int
    headings: tuple[Heading, ...]
    paragraphs: tuple[Paragraph, ...]
    footnotes: tuple[Footnote, ...]

    def paragraph(self, number: int) -> Paragraph:
        """Return paragraph ``number``.

        Raises:
            KeyError: No such paragraph.
        """
        for paragraph in self.paragraphs:
            if paragraph.number == number:
                return paragraph
        raise KeyError(f"paragraph {number} is not in the report")

    def footnote(self, number: int) -> Footnote:
        """Return footnote ``number``.

        Raises:
            KeyError: No such footnote.
        """
        for footnote in self.footnotes:
            if footnote.number == number:
                return footnote
        raise KeyError(f"footnote {number} is not in the report")

    @property
    def cover(self) -> str:
        """The Secretariat's cover note (Russian), kept apart from the report."""
        return self.text[: self.cover_end]

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence of the numbered paragraphs and of the footnotes, in text order.

        A paragraph's sentences are cut from its own text (footnote blocks masked, the
        paragraph number left out); a footnote's from its text. A sentence ends at a full
        stop (or ``!``, ``?``) followed, after any closing quote, bracket or footnote marker,
        by white space and a capital letter; the full stop of an abbreviation
        (:data:`ABBREVIATIONS`) ends none. Semicolons do not end sentences.
        """
        found: list[Sentence] = []
        for paragraph in self.paragraphs:
            number = _PARAGRAPH.match(paragraph.masked)
            skip = number.end() if number else 0
            found.extend(_split_sentences(paragraph.masked, paragraph.start, skip))
        for note in self.footnotes:
            found.extend(_split_sentences(self.text[note.start : note.end], note.start, 0))
        return tuple(sorted(found, key=lambda sentence: sentence.start))

    def sentence_at(self, offset: int) -> Sentence:
        """The sentence holding the character at ``offset`` (a paragraph's or a footnote's).

        A footnote's sentence wins over the paragraph sentence whose span holds the
        footnote's block.

        Raises:
            KeyError: ``offset`` lies in no sentence (the cover note, a heading, a paragraph
                number, or white space between sentences).
        """
        holding = [s for s in self.sentences if s.start <= offset < s.end]
        if not holding:
            raise KeyError(f"offset {offset} is in no sentence of the report")
        return max(holding, key=lambda sentence: sentence.start)


def _split_sentences(text: str, offset: int, skip: int) -> list[Sentence]:
    """Cut ``text[skip:]`` into sentences; offsets are shifted by ``offset``."""
    cuts = [skip]
    for end in _SENTENCE_END.finditer(text, skip):
        word = _WORD_BEFORE.search(text, 0, end.start())
        if word is None or word.group(1) not in ABBREVIATIONS:
            cuts.append(end.end())
    cuts.append(len(text))
    sentences = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        chunk = text[start:end]
        if not chunk.strip():
            continue
        lead = len(chunk) - len(chunk.lstrip())
        sentences.append(
            Sentence(offset + start + lead, offset + start + len(chunk.rstrip()),
                     " ".join(chunk.split()))
        )
    return sentences


def _heading_level(label: str) -> str:
    """Classify a heading label: digits are sub-sections, roman numerals chapters."""
    if label.isdigit():
        return "subsection"
    if re.fullmatch(r"[IVX]+", label):
        # Sections in this report run A-C only, so a roman-numeral label is a chapter.
        return "chapter"
    return "section"


@dataclass
class _Scan:
    """What one pass over the lines finds: cover end, headings, paragraph starts."""

    cover_end: int | None = None
    headings: list[Heading] = field(default_factory=list)
    starts: list[tuple[int, int]] = field(default_factory=list)  # (number, start offset)
    contexts: dict[int, dict[str, str]] = field(default_factory=dict)
    boundaries: list[int] = field(default_factory=list)  # where a paragraph may end


def _scan_lines(text: str) -> _Scan:
    """Find the headings (with the section path they open) and the paragraph starts."""
    scan = _Scan()
    context = {"chapter": "", "section": "", "subsection": ""}
    offset = 0
    for raw_line in text.splitlines(keepends=True):
        start, line = offset, raw_line.rstrip("\r\n")
        offset += len(raw_line)
        heading = _HEADING.match(line)
        if heading and not _CYRILLIC.search(line):
            if scan.cover_end is None:
                scan.cover_end = start
            level = _heading_level(heading["label"])
            title = " ".join(heading["title"].split())
            scan.headings.append(Heading(level, heading["label"], title, start,
                                         start + len(line)))
            label = f"{heading['label']}. {title}"
            if level == "chapter":
                context = {"chapter": label, "section": "", "subsection": ""}
            elif level == "section":
                context = {**context, "section": label, "subsection": ""}
            else:
                context = {**context, "subsection": label}
            scan.boundaries.append(start)
            continue
        number = _PARAGRAPH.match(line)
        if number and scan.cover_end is not None:
            scan.starts.append((int(number["number"]), start))
            scan.contexts[int(number["number"])] = dict(context)
            scan.boundaries.append(start)
    scan.boundaries.append(len(text))
    return scan


def _paragraph_and_notes(
    text: str, number: int, start: int, end: int, context: dict[str, str]
) -> tuple[Paragraph, list[Footnote]]:
    """Build one paragraph (footnote bodies masked) and the footnotes whose text it holds."""
    raw = text[start:end]
    masked = list(raw)
    notes = []
    for body in _FOOTNOTE_BODY.finditer(raw):
        note_text = body["text"]
        stripped = note_text.strip()
        text_start = start + body.start("text") + len(note_text) - len(note_text.lstrip())
        notes.append(
            Footnote(
                number=int(body["number"]),
                text=" ".join(stripped.split()),
                paragraph=number,
                start=text_start,
                end=text_start + len(stripped),
                block_start=start + body.start(),
                block_end=start + body.end(),
            )
        )
        masked[body.start() : body.end()] = " " * (body.end() - body.start())
    paragraph = Paragraph(
        number=number,
        start=start,
        end=end,
        chapter=context["chapter"],
        section=context["section"],
        subsection=context["subsection"],
        footnote_refs=tuple(int(ref["number"]) for ref in FOOTNOTE_REF.finditer(raw)),
        masked="".join(masked),
    )
    return paragraph, notes


def _check_footnotes(paragraphs: list[Paragraph], footnotes: list[Footnote]) -> None:
    """Every footnote's text sits in the paragraph that cites it, and every cited one exists."""
    cited = {ref: p.number for p in paragraphs for ref in p.footnote_refs}
    for note in footnotes:
        if cited.get(note.number) != note.paragraph:
            raise SourceError(
                f"footnote {note.number}: its text is in paragraph {note.paragraph} but it is "
                f"cited in paragraph {cited.get(note.number)}"
            )
    absent = sorted(set(cited) - {note.number for note in footnotes})
    if absent:
        raise SourceError(f"footnotes cited but without text: {absent}")


def parse_report(text: str) -> Report:
    """Split the raw text into cover note, headings, paragraphs and footnotes.

    Args:
        text: The raw report text (see :func:`read_raw_text`).

    Returns:
        The parsed :class:`Report`.

    Raises:
        SourceError: The paragraphs are not numbered 1..74 in order, a footnote is cited but
            missing (or present but not cited), or no English heading follows the cover note.
    """
    scan = _scan_lines(text)
    if scan.cover_end is None:
        raise SourceError("no English heading found after the cover note")
    numbers = [number for number, _ in scan.starts]
    if numbers != list(EXPECTED_PARAGRAPHS):
        missing = sorted(set(EXPECTED_PARAGRAPHS) - set(numbers))
        extra = [n for n in numbers if n not in EXPECTED_PARAGRAPHS]
        raise SourceError(
            f"paragraphs must run 1..74 in order; missing {missing}, unexpected {extra}"
        )
    paragraphs: list[Paragraph] = []
    footnotes: list[Footnote] = []
    for number, start in scan.starts:
        end = min(b for b in scan.boundaries if b > start)
        paragraph, notes = _paragraph_and_notes(text, number, start, end, scan.contexts[number])
        paragraphs.append(paragraph)
        footnotes.extend(notes)
    footnotes.sort(key=lambda note: note.number)
    _check_footnotes(paragraphs, footnotes)
    return Report(text, scan.cover_end, tuple(scan.headings), tuple(paragraphs),
                  tuple(footnotes))


def load_report(path: Path = paths.RAW_REPORT, expected_sha256: str | None = None) -> Report:
    """Check, read and parse the raw report.

    Args:
        path: The raw text file.
        expected_sha256: See :func:`read_raw_text`.

    Returns:
        The parsed :class:`Report`.
    """
    return parse_report(read_raw_text(path, expected_sha256))
