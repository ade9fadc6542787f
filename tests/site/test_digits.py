"""The digit lint (analysis.site.digits): the note types no number; mutations are caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.site import paper
from analysis.site.build import SiteBuildError, source_date_epoch
from analysis.site.digits import typed_numbers

NOTE = paper.SOURCE_DIR / "note.md"


def _found(text: str) -> list[tuple[int, int, str]]:
    return [(n.line, n.column, n.text) for n in typed_numbers(text)]


def test_the_note_types_no_number() -> None:
    """Every digit of site/note.md is in an insertion or an allowed reference."""
    assert typed_numbers(NOTE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("victims rose from 614 to 746", ["614", "746"]),
        ("a rate ratio of 1.21 (p 0.00019)", ["1.21", "0.00019"]),
        ("the 95% interval", ["95"]),
        ("nearly 20,310,400 children", ["20,310,400"]),
        ("a flip at φ ≈ 3.2", ["3.2"]),
        ("`746` victims", ["746"]),
        ("![chart](x.png) with 12 bars", ["12"]),
        ("in 19 of the cases", ["19"]),
        ("the 2014 count was 1212", ["1212"]),
        ("see paragraph 38 and then 41", ["41"]),
        ("9 per cent of victims under nine", ["9", "nine"]),
        ("Three quarters of the girls", ["Three", "quarters"]),
        ("the count rose twice as fast, to 746", ["twice", "746"]),
        ("cited by twelve bodies, half of them", ["twelve", "half"]),
        ('the report says "under 9", not nine', ["9", "nine"]),
    ],
)
def test_a_typed_number_is_found(line: str, found: list[str]) -> None:
    """Digits in prose, in inline code, after an image, number words: each is reported.

    A quotation of the report lets its number words pass, not its digits.
    """
    assert [text for _, _, text in _found(line)] == found


@pytest.mark.parametrize(
    "line",
    [
        "para. 38, paras. 50\u201358, paragraphs 41 and 43, footnote 3, footnotes 3 and 13",
        "Para. 38 says; Paras. 43\u201347 report; Footnote 13 adds",
        "between 2010 and 2014",
        "the visit of 19\u201326 October 2015",
        "the report (A/HRC/31/58/Add.1)",
        "1. The first step",
        "rose from {value}`fact:victims_2010:value:,d` to {value}`fact:victims_2014:value:,d`",
        "[the police notebook](notebooks/02-police-victims.ipynb)",
        "(note-section-2)=",
        "% a comment with 42",
        "<!-- 42 -->",
        'Okinawa\'s poverty "nearly double" the national average',
        "a \u201cthree quarters\u201d share, as the report puts it",
        "two counts can differ; one reading of two",
        "First, second, third: the steps; often, many, several",
    ],
)
def test_what_may_hold_digits_passes(line: str) -> None:
    """References, years, dates, the symbol, list numbers, insertions and markup pass."""
    assert _found(line) == []


def test_directive_arguments_options_and_table_specs_are_not_prose() -> None:
    """Directive arguments, options and a value-table's column formats are not prose.

    A header or caption line of prose is.
    """
    text = (
        ":::{note-figure} sentences_2014\n"
        ":width: 80%\n"
        "The caption says 30.\n"
        ":::\n"
        ":::{value-table} claims:kind!=not_testable\n"
        ":caption: Tested claims\n"
        "Estimate | estimate:.3g\n"
        "Top 3 | ci_high:.3g\n"
        ":::\n"
    )
    assert _found(text) == [(3, 18, "30"), (8, 5, "3")]


def test_positions_are_line_and_column() -> None:
    """The finding names where it is."""
    assert _found("ok\nthe 746 victims") == [(2, 5, "746")]
    (finding,) = typed_numbers("x 7")
    assert finding.message("site/note.md") == (
        "site/note.md:1:3: typed number '7' in the note (insert it with "
        "{value}`table:rows:column:format`)"
    )


@pytest.mark.slow
def test_a_typed_number_in_the_note_fails_its_build(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Mutation: one number typed into the real note stops the Sphinx build (-W)."""
    stage = tmp_path / "src"
    paper.stage(stage)
    text = (stage / "note.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    prose = next(i for i, line in enumerate(lines) if line and line[0].isalpha() and i > 2)
    lines[prose] += " Exactly 746 victims."
    (stage / "note.md").write_text("\n".join(lines), encoding="utf-8")
    assert [n.text for n in typed_numbers((stage / "note.md").read_text("utf-8"))] == ["746"]
    with source_date_epoch(), pytest.raises(SiteBuildError):
        paper.render_typst(stage, tmp_path / "typst", tmp_path / "doctrees",
                           paper.PaperInputs())
    assert "typed number '746' in the note" in capfd.readouterr().err
    shutil.rmtree(stage)
