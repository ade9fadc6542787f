"""Parse numbers as the report writes them.

Handles thousands separators (``20,310,400``), decimals (``86.8``), ``per cent``,
``million``, number words (``four``, ``Three quarters``, ``double``, ``a decade``) and the
qualifiers the report puts in front of a figure (``more than``, ``approximately``,
``some``, ``nearly``, ``almost``, ``up to``). The qualifier is returned as data, never
dropped. The word tables are read-only.

Example:
    >>> parse_number("more than 23,000")
    ParsedNumber(value=23000, unit='count', qualifier='more_than', text='more than 23,000')
    >>> parse_number("Some 62 per cent").value
    62
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

#: Qualifier phrases (lower case) and the code stored in the ``qualifier`` column.
QUALIFIERS: Mapping[str, str] = MappingProxyType({
    "more than": "more_than",
    "over": "more_than",
    "approximately": "approximately",
    "about": "approximately",
    "around": "approximately",
    "some": "approximately",
    "nearly": "nearly",
    "almost": "nearly",
    "up to": "at_most",
    "within": "at_most",
    "less than": "less_than",
    "fewer than": "less_than",
})
#: Every code that may appear in the ``qualifier`` column.
QUALIFIER_CODES: tuple[str, ...] = (
    "exact",
    "approximately",
    "more_than",
    "nearly",
    "at_most",
    "less_than",
)

UNITS: Mapping[str, int] = MappingProxyType({
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
})  # fmt: skip
TENS: Mapping[str, int] = MappingProxyType({
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
})  # fmt: skip
SCALES: Mapping[str, int] = MappingProxyType({
    "hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
})  # fmt: skip
#: Fraction words, as the fraction of a whole they denote (singular and plural).
FRACTIONS: Mapping[str, Fraction] = MappingProxyType({
    "half": Fraction(1, 2), "halves": Fraction(1, 2),
    "quarter": Fraction(1, 4), "quarters": Fraction(1, 4),
    "third": Fraction(1, 3), "thirds": Fraction(1, 3),
})  # fmt: skip
#: Multiplier words (a ratio to a reference).
MULTIPLIERS: Mapping[str, int] = MappingProxyType(
    {"double": 2, "twice": 2, "triple": 3, "treble": 3}
)
#: Ordinal words, parsed as a rank (``"third-largest"`` -> 3).
ORDINALS: Mapping[str, int] = MappingProxyType({
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
})  # fmt: skip
#: Words for a length of time, written with an article ("a decade"), as a number of years.
TIME_WORDS: Mapping[str, int] = MappingProxyType({"decade": 10})

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_WORDS = rf"(?:{_WORD})(?:-(?:{'|'.join(UNITS)}))?(?:\s+(?:{'|'.join(FRACTIONS)}))?"
_MULT = "|".join([*MULTIPLIERS, *ORDINALS])
_TIME = rf"an?\s+(?:{'|'.join(TIME_WORDS)})"
_QUAL = "|".join(sorted(QUALIFIERS, key=len, reverse=True))

#: A regular expression (no groups) matching one number as the report writes it, with an
#: optional qualifier in front and an optional ``per cent``/``million`` after it.
NUMBER_PATTERN: str = (
    rf"(?<![\w.,])(?:(?:{_QUAL})\s+)?(?:{_DIGITS}|{_WORDS}|{_MULT}|{_TIME})"
    rf"(?:\s+(?:per\s+cent|million))?(?![\w])"
)
#: A regular expression matching a qualifier phrase alone.
QUALIFIER_PATTERN: str = rf"(?:{_QUAL})"


class NumberParseError(ValueError):
    """A text is not a number in any of the forms the report uses."""


@dataclass(frozen=True)
class ParsedNumber:
    """A parsed figure.

    Attributes:
        value: The number (``int`` when whole, else ``float``). A percentage is kept as
            printed (62 for "62 per cent"); a fraction word becomes a percentage (75 for
            "three quarters"); a multiplier word is a ratio (2 for "double").
        unit: ``"count"``, ``"percent"``, ``"ratio"`` (multiplier words) or ``"rank"``
            (ordinal words).
        qualifier: One of :data:`QUALIFIER_CODES`.
        text: The text that was parsed, unchanged.
    """

    value: int | float
    unit: str
    qualifier: str
    text: str


def _whole(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _parse_digits(core: str, original: str) -> Fraction:
    if not re.fullmatch(_DIGITS, core):
        raise NumberParseError(f"not a number: {original!r}")
    return Fraction(core.replace(",", ""))


def _parse_words(core: str, original: str) -> tuple[Fraction, str]:
    words = core.lower().split()
    if len(words) == 2 and words[0] in {"a", "an"} and words[1] in TIME_WORDS:
        return Fraction(TIME_WORDS[words[1]]), "count"
    fraction = None
    if len(words) == 2 and words[1] in FRACTIONS:
        fraction = FRACTIONS[words[1]]
        words = words[:1]
    if len(words) != 1:
        raise NumberParseError(f"not a number: {original!r}")
    word = words[0]
    if word in MULTIPLIERS:
        return Fraction(MULTIPLIERS[word]), "ratio"
    if word in ORDINALS:
        return Fraction(ORDINALS[word]), "rank"
    parts = word.split("-")
    if len(parts) == 1 and word in UNITS:
        number = UNITS[word]
    elif len(parts) == 1 and word in TENS:
        number = TENS[word]
    elif len(parts) == 2 and parts[0] in TENS and parts[1] in UNITS and 0 < UNITS[parts[1]] < 10:
        number = TENS[parts[0]] + UNITS[parts[1]]
    else:
        raise NumberParseError(f"not a number: {original!r}")
    if fraction is not None:
        if not 0 < number * fraction <= 1:
            raise NumberParseError(f"fraction out of range in {original!r}")
        return number * fraction * 100, "percent"
    return Fraction(number), "count"


def parse_number(text: str) -> ParsedNumber:
    """Parse one figure as printed in the report.

    Args:
        text: E.g. ``"20,310,400"``, ``"86.8 per cent"``, ``"127 million"``, ``"four"``,
            ``"Three quarters"``, ``"more than 23,000"``, ``"nearly double"``.

    Returns:
        The :class:`ParsedNumber`.

    Raises:
        NumberParseError: Empty text, a malformed thousands grouping (``"1,23"``), a sign,
            an unknown word, or trailing words.

    Example:
        >>> parse_number("Three quarters")
        ParsedNumber(value=75, unit='percent', qualifier='exact', text='Three quarters')
    """
    if not isinstance(text, str):
        raise NumberParseError(f"expected text, got {type(text).__name__}")
    core = " ".join(text.replace("\u00a0", " ").split())
    if not core:
        raise NumberParseError("empty text is not a number")
    qualifier = "exact"
    match = re.match(rf"({_QUAL})\s+", core, flags=re.IGNORECASE)
    if match:
        qualifier = QUALIFIERS[match.group(1).lower()]
        core = core[match.end() :]
    unit = "count"
    scale = 1
    if re.search(r"\s+per\s+cent$", core, flags=re.IGNORECASE):
        core = re.sub(r"\s+per\s+cent$", "", core, flags=re.IGNORECASE)
        unit = "percent"
    elif re.search(r"\s+million$", core, flags=re.IGNORECASE):
        core = re.sub(r"\s+million$", "", core, flags=re.IGNORECASE)
        scale = 1_000_000
    if core[:1].isdigit():
        value = _parse_digits(core, text)
    elif core[:1] in "+-−":
        raise NumberParseError(f"signed numbers do not occur in the report: {text!r}")
    else:
        value, word_unit = _parse_words(core, text)
        if word_unit != "count":
            if unit == "percent" or scale != 1:
                raise NumberParseError(f"conflicting units in {text!r}")
            unit = word_unit
    return ParsedNumber(_whole(value * scale), unit, qualifier, text)
