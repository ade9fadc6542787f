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
