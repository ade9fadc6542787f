"""The note as a PDF (``make paper``, analysis.site.paper): values, metadata, staleness.

The PDF is read back with Poppler's ``pdftotext`` and ``pdfinfo`` (Debian ``poppler-utils``;
skipped locally without them, failing in CI). Expected values are computed here from the
CSVs with Python's own ``format`` and from counts typed from the report, not through the
note's resolver.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.site import paper
from analysis.site.build import SiteBuildError
from tests.prerequisites import require
from tests.site.note_support import expected, rows

NOTE = paper.SOURCE_DIR / "note.md"
_VALUE_TABLE = re.compile(
    r"^:::\{value-table\} claims:(?P<rows>\S+)\n(?P<body>.*?)^:::$", re.M | re.S
)
_ROLE = re.compile(r"\{value\}`claims:(?P<key>[\w]+):(?P<column>\w+)(?::(?P<spec>[^`]*))?`")


def _tool(name: str) -> str:
    found = shutil.which(name)
    require(found is not None, f"{name} not found: apt-get install -y poppler-utils")
    return str(found)


def pdf_text(pdf: Path) -> str:
    """The PDF's text (``pdftotext``), white space folded."""
    out = subprocess.run([_tool("pdftotext"), str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return " ".join(out.split())


def _claims() -> dict[str, dict[str, str]]:
    return {row["claim_id"]: row for row in rows(paths.FIGURES_DIR / "claims.csv")}


#: Every test here builds the PDF (or reads the one a fixture built).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The note's PDF, built from the committed tables."""
    return paper.build_paper(tmp_path_factory.mktemp("paper") / "paper" / "note.pdf")


@pytest.fixture(scope="module")
def text(built: Path) -> str:
    """Its text."""
    return pdf_text(built)


def test_the_claims_table_is_in_the_pdf_as_the_note_formats_it(text: str) -> None:
    """Every cell of the note's claims table, formatted as its column declares."""
    source = NOTE.read_text(encoding="utf-8")
    tables = list(_VALUE_TABLE.finditer(source))
    assert tables, "the note has no value-table of the claims"
    claims = _claims()
    checked = 0
    for table in tables:
        selector = re.fullmatch(r"(\w+)(!?=)(.*)", table["rows"])
        assert selector, "the test reads tables of the form claims:column=value or !=value"
        column, operator, value = selector.groups()
        rows = [row for row in claims.values() if (row[column] == value) == (operator == "=")]
        assert rows
        specs = [line.partition("|")[2].strip() for line in table["body"].splitlines()
                 if "|" in line and not line.startswith(":")]
        for row in rows:
            for spec in specs:
                name, _, fmt = spec.partition(":")
                shown = expected(row[name], fmt)
                assert shown in text, (row["claim_id"], name, shown)
                checked += 1
    # the tested claims' table, the year-noise table of the claims of change, the causal claims
    assert checked >= 8 * 10 + 6 * 7 + 11 * 3


def test_inline_claim_values_are_in_the_pdf(text: str) -> None:
    """Every claims cell the prose inserts is in the PDF as its format declares."""
    claims = _claims()
    found = list(_ROLE.finditer(NOTE.read_text(encoding="utf-8")))
    assert found
    for match in found:
        spec = match["spec"] or ""
        if spec in {"list", "words", "Words"}:
            continue
        shown = expected(claims[match["key"]][match["column"]], spec)
        assert shown in text, match.group()


def test_rate_ratios_and_counts_from_the_report_are_in_the_pdf(text: str) -> None:
    """Closed forms on counts typed from para. 38, and the counts themselves.

    746/614 and 466/741 as the note prints them (three significant digits).
    """
    for count in ("614", "746", "741", "466", "1,130", "1,212"):
        assert count in text
    assert f"{746 / 614:.3g}" in text
    assert f"{466 / 741:.3g}" in text


def test_references_and_citation_follow_the_lock_and_the_citation_file(text: str) -> None:
    """References and the citation come from the lock and ``CITATION.cff``.

    The report with its symbol; each package named in the references with the version
    pinned in requirements.lock; the citation's title, version and authors.
    """
    cff = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    (report,) = [r for r in cff["references"] if r["type"] == "report"]
    assert "A/HRC/31/58/Add.1" in text
    assert " ".join(report["title"].split()) in text
    assert " ".join(cff["title"].split()) in text
    assert f"version {cff['version']}" in text
    assert cff["authors"][0]["name"] in text
    lock = paths.LOCK_FILE.read_text(encoding="utf-8")
    listed = re.search(r":::\{note-references\}\n(.*?)^:::", NOTE.read_text("utf-8"),
                       re.S | re.M)
    assert listed
    packages = listed.group(1).split()
    assert "typst" in packages and "pandas" in packages
    for package in packages:
        pins = re.findall(rf"^{re.escape(package)}==(\S+)(?: ; (.*?))? \\$", lock,
                          re.M | re.I)
        versions = [v for v, marker in pins if not marker or "< '3.12'" in marker]
        assert len(versions) == 1, package
        assert f"{package} {versions[0]}" in text


def _pdf_objects(pdf: Path) -> bytes:
    """The PDF's bytes and every deflated stream, inflated."""
    data = pdf.read_bytes()
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_metadata_title_language_headings_alt_text_pages(built: Path) -> None:
    """The PDF's metadata, tags, alt text and page numbers.

    Title (the note's heading), language, tagged structure with the note's headings,
    every figure's alt text, and a page number on every page.
    """
    info = subprocess.run([_tool("pdfinfo"), str(built)], capture_output=True, text=True,
                          check=True).stdout
    source = NOTE.read_text(encoding="utf-8")
    title = source.splitlines()[0].removeprefix("# ").strip()
    assert re.search(rf"^Title:\s+{re.escape(title)}$", info, re.M)
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    objects = _pdf_objects(built)
    assert b"/Lang(en)" in objects
    structure = subprocess.run([_tool("pdfinfo"), "-struct", str(built)], capture_output=True,
                               text=True, check=True).stdout
    headings = re.findall(r"^## (.+)$", source, re.M)
    tagged = re.findall(r'^\s*H1 "(.+)" \(block\)$', structure, re.M)
    assert tagged[: len(headings)] == headings
    figures = re.findall(r"^:::\{note-figure\} (\S+)$", source, re.M)
    assert figures
    assert len(set(re.findall(rb"/Alt\((Chart: [^)]*)\)", objects))) == len(figures)
    for page in range(1, pages + 1):
        out = subprocess.run([_tool("pdftotext"), "-f", str(page), "-l", str(page),
                              str(built), "-"], capture_output=True, text=True,
                             check=True).stdout
        assert re.search(rf"(?<!\d){page}\s*/\s*{pages}(?!\d)", out), page


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    """Same text and the same bytes (Typst with SOURCE_DATE_EPOCH and its own fonts)."""
    again = paper.build_paper(tmp_path / "paper" / "note.pdf")
    assert pdf_text(again) == pdf_text(built)
    assert again.read_bytes() == built.read_bytes()


def test_the_dependency_file_names_the_inputs(built: Path) -> None:
    """``<pdf>.d`` names every input.

    The note, the tables its values come from, its figures, the citation file, the lock
    and the code.
    """
    rule = (built.parent / "note.pdf.d").read_text(encoding="utf-8")
    for name in ("site/note.md", "site/conf.py", "figures/claims.csv",
                 "data/processed/report_statistics.csv", "data/processed/cross_checks.csv",
                 "CITATION.cff", "requirements.lock", "analysis/site/values.py"):
        assert f"  {name} \\" in rule and f"\n{name}:" in rule, name
    for figure in re.findall(r"^:::\{note-figure\} (\S+)$", NOTE.read_text("utf-8"), re.M):
        assert f"  figures/{figure}.svg \\" in rule


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-C", str(paths.ROOT), "--no-print-directory", *args],
                          capture_output=True, text=True, check=False)


def test_a_changed_claim_count_rebuilds_the_note_and_changes_it(tmp_path: Path) -> None:
    """Stale numbers cannot ship: a changed claim count rebuilds the PDF.

    In a scratch copy, change a claim's count; ``make`` sees the PDF out of date, rebuilds
    it, and the new count is in its text.
    """
    require(shutil.which("make") is not None, "GNU make not found")
    figures, processed = tmp_path / "figures", tmp_path / "processed"
    shutil.copytree(paths.FIGURES_DIR, figures)
    shutil.copytree(paths.PROCESSED_DIR, processed)
    pdf = tmp_path / "paper" / "note.pdf"
    settings = [f"PAPER={pdf}", f"PAPER_ARGS=--figures {figures} --processed {processed}"]
    first = _make("paper", *settings)
    assert first.returncode == 0, first.stderr
    assert _make("-q", str(pdf), *settings).returncode == 0
    before = pdf_text(pdf)
    claims_csv = figures / "claims.csv"
    table = rows(claims_csv)
    header = list(table[0])
    (osaka,) = [row for row in table if row["claim_id"] == "osaka_arrests_rare"]
    assert osaka["counts"] == "16 of 213"  # typed from para. 53
    shown = before.count("16 of 213")  # the claims table, and the report's words
    assert shown >= 2 and "19 of 213" not in before
    osaka["counts"] = "19 of 213"
    with claims_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    assert _make("-q", str(pdf), *settings).returncode == 1
    again = _make("paper", *settings)
    assert again.returncode == 0, again.stderr
    after = pdf_text(pdf)
    assert after.count("19 of 213") == 1 and after.count("16 of 213") == shown - 1
    assert _make("-q", str(pdf), *settings).returncode == 0


def test_a_failed_build_keeps_the_previous_pdf(built: Path, tmp_path: Path) -> None:
    """A reference to a missing figure data file fails the build; the old PDF stays."""
    out = tmp_path / "paper" / "note.pdf"
    shutil.copytree(built.parent, out.parent)
    figures = tmp_path / "figures"
    shutil.copytree(paths.FIGURES_DIR, figures)
    (figures / "claims.csv").unlink()
    with pytest.raises(SiteBuildError):
        paper.build_paper(out, paper.PaperInputs(figures=figures))
    assert out.read_bytes() == built.read_bytes()
