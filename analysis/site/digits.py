"""The digit lint of the note: no number in its source that is not inserted from data.

Every number of the note's prose comes from a computed value through the ``value`` role
(:mod:`analysis.site.values`). This lint reads the note's MyST source and reports every
digit that is neither inside such an insertion nor part of a reference the text is allowed
to type (:data:`ALLOWED`: paragraph and footnote references, years, dates, the report's
document symbol, list numbering). What is not prose is left out first (:data:`MASKED`):
the insertions themselves, link destinations, MyST targets and comments, directive
arguments and options, and the column specifications of a ``value-table``.

A number written as a word is a typed number too (:data:`NUMBER_WORDS`: "nine", "three
quarters", "twice"), unless it stands in a quotation of the report's words ("nearly
double"). "One" and "two" are not looked for: the prose uses them for the shape of an
argument (two counts, one of two readings), which no table holds; the ``words`` format
inserts them where they are a count of the data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from analysis.dataset.numerals import FRACTIONS, MULTIPLIERS, ORDINALS, SCALES, TENS, UNITS

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)

#: Spans that may hold digits in prose, each with the reason.
ALLOWED: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {
        "a paragraph or footnote reference (para. 38, Paras. 50-58, footnotes 3 and 13)":
            re.compile(
                r"\b(?i:paras?\.|paragraphs?|footnotes?)\s*\d+"
                r"(?:\s*(?:[-\u2013]|,|and|or|to)\s*\d+)*"
            ),
        "a year (1950-2049)": re.compile(r"\b(?:19[5-9]\d|20[0-4]\d)\b"),
        "a date (19\u201326 October)": re.compile(
            rf"\b\d{{1,2}}(?:\s*[-\u2013]\s*\d{{1,2}})?\s+(?:{_MONTHS})\b"
        ),
        "the report's document symbol": re.compile(r"\bA/HRC/\d+/\d+/Add\.\d+"),
        "list numbering at the start of a line": re.compile(r"^\s*\d+[.)](?=\s)", re.M),
    }
)

#: What is not prose, blanked out before the digits are looked for.
MASKED: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {
        "an insertion (the value role)": re.compile(r"\{value\}`[^`]*`"),
        "a link destination": re.compile(r"(?<=\])\([^)\s]*\)"),
        "a MyST target or comment line": re.compile(r"^(?:\([\w.-]+\)=|%.*)$", re.M),
        "an HTML comment": re.compile(r"<!--.*?-->", re.S),
        "a directive's name and argument": re.compile(r"^(?:```+|:::+)\{[\w-]+\}.*$", re.M),
        "a directive option": re.compile(r"^:[\w-]+:.*$", re.M),
    }
)

#: Number words from three up, fractions and multiples: the dataset's numerals vocabulary
#: (:mod:`analysis.dataset.numerals`) less "zero", "one", "two" (see above) and the words that
#: are ordinals too ("third"), with the scales' plurals and a few words the report never uses.
NUMBER_WORDS: re.Pattern[str] = re.compile(
    r"\b(?i:"
    + "|".join(sorted(
        {*UNITS, *TENS, *SCALES, *(f"{scale}s" for scale in SCALES), *FRACTIONS, *MULTIPLIERS,
         "dozen", "dozens", "twofold", "threefold"}
        - {"zero", "one", "two"} - set(ORDINALS),
        key=lambda word: (-len(word), word),
    ))
    + r")\b"
)
#: A quotation of the report's words, where number words are the report's, not the note's.
_QUOTATION = re.compile(r'"[^"\n]*"|\u201c[^\u201d\n]*\u201d')

_FENCE = re.compile(r"^(?P<fence>```+|:::+)\{(?P<name>[\w-]+)\}")
_DIGIT = re.compile(r"\d[\d.,]*")


@dataclass(frozen=True)
class TypedNumber:
    """A digit run or number word in the note's prose that no insertion produced.

    Attributes:
        line: 1-based line of the source.
        column: 1-based column.
        text: The number as written (``746``, ``0.63``, ``nine``).
    """

    line: int
    column: int
    text: str

    def message(self, source: str) -> str:
        """``source:line:column: ...`` in one line."""
        return (
            f"{source}:{self.line}:{self.column}: typed number {self.text!r} in the note "
            "(insert it with {value}`table:rows:column:format`)"
        )


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` replaced by spaces (newlines kept)."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _mask_table_specs(text: str) -> str:
    """Blank the column specifications (after ``|``) inside every ``value-table``."""
    lines = text.split("\n")
    inside: str | None = None
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if inside is None and opened and opened["name"] == "value-table":
            inside = opened["fence"]
        elif inside is not None and line.strip() == inside:
            inside = None
        elif inside is not None and "|" in line:
            head, _, spec = line.partition("|")
            lines[index] = head + "|" + " " * len(spec)
    return "\n".join(lines)


def prose(text: str) -> str:
    """The note's source with everything that is not prose blanked (offsets kept)."""
    text = _mask_table_specs(text)
    for pattern in MASKED.values():
        for match in reversed(list(pattern.finditer(text))):
            text = _blank(text, match.start(), match.end())
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            text = _blank(text, 0, end + 4)
    return text


def typed_numbers(text: str) -> list[TypedNumber]:
    """Every digit run and number word of the prose outside insertions and allowed spans.

    Number words inside a quotation of the report pass.

    Args:
        text: The note's MyST source.

    Returns:
        The typed numbers, in source order (empty when the note is clean).
    """
    masked = prose(text)
    for pattern in ALLOWED.values():
        for match in reversed(list(pattern.finditer(masked))):
            masked = _blank(masked, match.start(), match.end())
    unquoted = masked
    for match in reversed(list(_QUOTATION.finditer(unquoted))):
        unquoted = _blank(unquoted, match.start(), match.end())
    matches = [(m.start(), m.group().rstrip(".,")) for m in _DIGIT.finditer(masked)]
    matches += [(m.start(), m.group()) for m in NUMBER_WORDS.finditer(unquoted)]
    found = []
    for start, number in sorted(matches):
        line = masked.count("\n", 0, start) + 1
        column = start - (masked.rfind("\n", 0, start) + 1) + 1
        found.append(TypedNumber(line, column, number))
    return found
