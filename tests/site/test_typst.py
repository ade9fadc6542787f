"""The Typst translator (analysis.site.typst): text survives verbatim; unknown nodes stop it."""

from __future__ import annotations

import shutil
import string
import subprocess
from pathlib import Path

import pytest
import typst
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from analysis.site.typst import TypstError, TypstTranslator, markup, preamble
from tests.prerequisites import require

TRICKY = (
    string.punctuation + " 1. - + = // /* */ -- ... 'quoted' \"quoted\" https://example.org "
    "#let x = 1 $x$ <label> @ref [a] {b} ~ \\ 50% 1,212 0.63 φ “curly” – —"
)


def _document(text: str) -> nodes.document:
    document = new_document("<test>", get_default_settings(Parser))
    Parser().parse(text, document)
    return document


def test_every_punctuation_mark_reaches_the_pdf_as_written(tmp_path: Path) -> None:
    """Markup characters, comments, quotes and URLs are text, not Typst syntax."""
    pdftotext = shutil.which("pdftotext")
    require(pdftotext is not None, "pdftotext not found: apt-get install -y poppler-utils")
    source = tmp_path / "t.typ"
    source.write_text(preamble("T", "A", ("k",)) + markup(TRICKY) + "\n", encoding="utf-8")
    pdf = tmp_path / "t.pdf"
    typst.compile(str(source), output=str(pdf), ignore_system_fonts=True)
    text = subprocess.run([str(pdftotext), str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert " ".join(TRICKY.split()) in " ".join(text.split())


def test_a_section_title_becomes_the_title_and_headings_follow() -> None:
    """The first title is the document's; the next level is a level-one heading."""
    translator = TypstTranslator(_document("Title\n=====\n\nText.\n\nPart\n----\n\nMore.\n"),
                                 "figures", "Someone")
    out = translator.render()
    assert 'set document(title: "Title"' in out
    assert "#heading(level: 1)[Part]" in out
    assert "Text\\.\n\n" in out


def test_an_unknown_node_stops_the_translation() -> None:
    """A node without a Typst rendering is an error naming it, not a silent gap."""
    document = _document("Text.\n\n.. math:: x\n")
    with pytest.raises(TypstError, match="math_block"):
        TypstTranslator(document, "figures", "Someone").render()
