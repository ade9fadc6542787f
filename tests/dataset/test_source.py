"""Tests of the raw-text reader: checksum, cover note, paragraphs, headings, footnotes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from analysis import paths
from analysis.dataset.source import (
    ChecksumMismatchError,
    Report,
    SourceError,
    load_report,
    parse_report,
    read_raw_text,
)


def test_raw_file_matches_recorded_checksum() -> None:
    """The committed raw file hashes to the SHA-256 recorded in paths and data/raw/README.md."""
    digest = hashlib.sha256(paths.RAW_REPORT.read_bytes()).hexdigest()
    assert digest == paths.RAW_REPORT_SHA256
    assert digest in (paths.RAW_DIR / "README.md").read_text(encoding="utf-8")


def test_changed_raw_file_is_refused(tmp_path: Path) -> None:
    """A raw file differing by one digit is refused; the error names the file and both hashes."""
    changed = tmp_path / "report.txt"
    text = paths.RAW_REPORT.read_text(encoding="utf-8")
    changed.write_text(text.replace("614", "615", 1), encoding="utf-8")
    actual = hashlib.sha256(changed.read_bytes()).hexdigest()
    with pytest.raises(ChecksumMismatchError) as error:
        read_raw_text(changed, paths.RAW_REPORT_SHA256)
    message = str(error.value)
    assert str(changed) in message and actual in message and paths.RAW_REPORT_SHA256 in message


def test_seventy_four_paragraphs(report: Report) -> None:
    """The reader yields paragraphs numbered 1 to 74 in order."""
    assert [p.number for p in report.paragraphs] == list(range(1, 75))


def test_paragraph_text_starts_with_its_number(report: Report) -> None:
    """Each paragraph's span in the raw text starts with 'N.' and a tab."""
    for paragraph in report.paragraphs:
        assert report.text[paragraph.start :].startswith(f"{paragraph.number}.\t")


def test_footnotes_and_citing_paragraphs(report: Report) -> None:
    """Footnotes 3-13 are present; 13 belongs to paragraph 38 and 3 to paragraph 8."""
    assert [f.number for f in report.footnotes] == list(range(3, 14))
    assert report.footnote(13).paragraph == 38
    assert report.footnote(3).paragraph == 8
    assert report.footnote(13).text.startswith("The number of cases referred for prosecution")
    assert report.footnote(6).text.endswith("(see footnote 2).")


def test_footnote_bodies_are_masked_from_paragraph_text(report: Report) -> None:
    """Paragraph 38's own text no longer contains footnote 13's figures, offsets unchanged."""
    paragraph = report.paragraph(38)
    assert "1,828" not in paragraph.masked
    assert "1,828" in report.text[paragraph.start : paragraph.end]
    assert len(paragraph.masked) == paragraph.end - paragraph.start


def test_cover_note_is_kept_apart(report: Report) -> None:
    """The Russian cover note precedes the first English heading and holds no paragraph."""
    assert re.search("[А-Яа-я]", report.cover)
    assert "Introduction" not in report.cover
    assert report.paragraphs[0].start > report.cover_end


def test_section_paths(report: Report) -> None:
    """Paragraphs carry their chapter, section and sub-section headings."""
    p38 = report.paragraph(38)
    assert p38.chapter.startswith("III. Measures to combat")
    assert p38.section.startswith("C. Policies and programmes")
    assert p38.subsection == "2. Investigation, prosecution and sanctions"
    p7 = report.paragraph(7)
    assert (p7.chapter, p7.section, p7.subsection) == ("I. Introduction", "B. Context", "")
    assert report.paragraph(74).chapter == "III. Conclusions and recommendations"


def test_paragraph_74_keeps_its_sub_items(report: Report) -> None:
    """The lettered and roman sub-items after paragraph 74 belong to it."""
    body = report.paragraph(74).body_text()
    assert "(a) Strengthen" in body and "across borders." in body


def test_missing_paragraph_is_an_error() -> None:
    """A text whose paragraphs skip a number is refused with the missing number named."""
    text = paths.RAW_REPORT.read_text(encoding="utf-8").replace("\n41.\t", "\nXX.\t")
    with pytest.raises(SourceError, match=r"missing \[41\]"):
        parse_report(text)


def test_load_report_checks_the_hash(tmp_path: Path) -> None:
    """load_report refuses a copy whose bytes differ (a trailing space)."""
    copy = tmp_path / "r.txt"
    copy.write_bytes(paths.RAW_REPORT.read_bytes() + b" ")
    with pytest.raises(ChecksumMismatchError):
        load_report(copy, paths.RAW_REPORT_SHA256)


def test_an_empty_digest_is_not_a_way_to_skip_the_check() -> None:
    """An empty expected digest is compared like any other: the real file is refused."""
    with pytest.raises(ChecksumMismatchError, match=r"expected \. The raw report"):
        read_raw_text(paths.RAW_REPORT, "")


@pytest.mark.parametrize(
    ("words", "sentence"),
    [
        # Para. 7: the child poverty rate's sentence names no place.
        ("16 per cent", "The current rate of child poverty is 16 per cent."),
        # Para. 26: "(art. 7, para.1)." ends the sentence before; abbreviations end none.
        ("one year", "This provision entered into force in July 2015, giving those in "
         "possession of child abuse material one year to dispose of it."),
        # Para. 38: the footnote marker stays with the sentence that cites it.
        ("82 boys", "The vast majority of child victims of sexual exploitation are girls "
         "(1,130, as against 82 boys in 2014).[footnoteRef:13]"),
        # Footnote 13, cited inside para. 38, is a sentence of its own.
        ("1,828", "The number of cases referred for prosecution in relation to child "
         "prostitution decreased from 954 in 2010 to 661 in 2014, while child pornography "
         "cases referred for prosecution increased from 1,342 to 1,828 over the same "
         "period."),
        # Para. 41: semicolons do not end a sentence.
        ("13 cases", "According to data facilitated by the Supreme Court, in 2014, 141 "
         "convictions were handed down for violations of the Act; 30 of them were "
         "convictions of up to three years of imprisonment, without suspension; in 106 "
         "cases, the sentence was suspended, including 13 cases on probation."),
        # Para. 53: "; In the other cases" (a capital after a semicolon) is one sentence.
        ("16 of 213", "Perpetrators were arrested in only 16 of 213 cases of sexual abuse; In "
         "the other cases, the perpetrator received a reprimand, was defended by the mother "
         "or filed for divorce."),
        # Footnote 4: "U.S." is an abbreviation.
        ("p. 198", "See also U.S. Department of State, Trafficking in Persons Report, July "
         "2015, p. 198."),
    ],
)
def test_sentence_at(report: Report, words: str, sentence: str) -> None:
    """The sentence holding a figure, typed from the report."""
    offset = report.text.index(words)
    assert report.sentence_at(offset).text == sentence


def test_sentences_cover_paragraph_text_only(report: Report) -> None:
    """Paragraph numbers, headings and the cover note are in no sentence."""
    with pytest.raises(KeyError, match="in no sentence"):
        report.sentence_at(report.paragraph(38).start)
    with pytest.raises(KeyError, match="in no sentence"):
        report.sentence_at(10)
    assert report.sentence_at(report.paragraph(38).start + 5).text.startswith(
        "According to statistics facilitated by the National Police Agency")
