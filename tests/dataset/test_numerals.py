"""Tests of the number parser."""

from __future__ import annotations

import re

import pytest

from analysis.dataset.numerals import NUMBER_PATTERN, NumberParseError, parse_number


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("20,310,400", 20310400, "count", "exact"),
        ("1,130", 1130, "count", "exact"),
        ("82", 82, "count", "exact"),
        ("86.8 per cent", 86.8, "percent", "exact"),
        ("6.9 per cent", 6.9, "percent", "exact"),
        ("127 million", 127_000_000, "count", "exact"),
        ("four", 4, "count", "exact"),
        ("Two", 2, "count", "exact"),
        ("twenty-one", 21, "count", "exact"),
        ("Three quarters", 75, "percent", "exact"),
        ("one half", 50, "percent", "exact"),
        ("more than 23,000", 23000, "count", "more_than"),
        ("Approximately 9 per cent", 9, "percent", "approximately"),
        ("Some 62 per cent", 62, "percent", "approximately"),
        ("nearly double", 2, "ratio", "nearly"),
        ("up to three", 3, "count", "at_most"),
        ("Within three", 3, "count", "at_most"),
        ("third", 3, "rank", "exact"),
        ("62\u00a0per\u00a0cent", 62, "percent", "exact"),
    ],
)
def test_parse_number_forms(text: str, value: float, unit: str, qualifier: str) -> None:
    """Each written form the report uses parses to the value, unit and qualifier typed here."""
    parsed = parse_number(text)
    assert (parsed.value, parsed.unit, parsed.qualifier) == (value, unit, qualifier)
    assert parsed.text == text


def test_whole_numbers_are_ints() -> None:
    """Whole numbers come back as int, decimals as float."""
    assert isinstance(parse_number("1,006").value, int)
    assert isinstance(parse_number("34.8 per cent").value, float)


@pytest.mark.parametrize(
    "text", ["", "   ", "1,23", "12,34,567", "1.2.3", "-5", "abc", "four cases", "three halves",
             "per cent", "62 per cent per cent", "double per cent"],
)
def test_parse_number_refusals(text: str) -> None:
    """Malformed groupings, signs, unknown words and trailing words are refused."""
    with pytest.raises(NumberParseError):
        parse_number(text)


def test_non_text_refused() -> None:
    """A non-string input is refused with the type named."""
    with pytest.raises(NumberParseError, match="int"):
        parse_number(5)  # type: ignore[arg-type]


def test_number_pattern_respects_word_boundaries() -> None:
    """The search pattern finds whole numbers only, not 'one' inside 'telephone'."""
    found = re.findall(NUMBER_PATTERN, "more than 23,000 telephone calls and 3,200 visits",
                       flags=re.IGNORECASE)
    assert found == ["more than 23,000", "3,200"]
