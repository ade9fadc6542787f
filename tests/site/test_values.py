"""The note's value references: parsing, selection, formats and links (analysis.site.values).

Tables here are small hand-made CSVs; every expected string is typed by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.pipeline.manifest import Manifest, ManifestEntry, OutputRecord
from analysis.site.values import Link, Reference, Tables, ValueReferenceError, format_cell

STATISTICS = """fact_id,indicator,value,paragraph,footnote,evidence,reading
victims_2010,Victims,614,38,,from 614 to 746,plain
victims_2014,Victims,746,38,,from 614 to 746,ambiguous
population,Children,20310400,7,3,20.3 million children,plain
"""
CHECKS = """check_id,description,outcome,expected
sum_2014,Parts add up,holds,holds
"""
CLAIMS = """claim_id,label,paragraph,footnote,report_text,kind,estimate,p_value,verdict,conf_level
rose,Victims rose,38,,increased from 614 to 746,change,1.2149837,0.00018915,supported,0.95
girls,Mostly girls,38,,The vast majority,proportion,0.932343,1.9e-38,supported,0.95
cause,Caused by X,8,,due to X,not_testable,,,not_testable,
"""
FIGURE = """offence,year,victims,percent_change
pornography,2010,614,
pornography,2014,746,21.498
prostitution,2014,466,-37.112
"""


@pytest.fixture()
def tables(tmp_path: Path) -> Tables:
    """Scratch tables: a dataset, cross-checks, claims and one figure's data."""
    processed, figures = tmp_path / "processed", tmp_path / "figures"
    processed.mkdir()
    figures.mkdir()
    (processed / "report_statistics.csv").write_text(STATISTICS, encoding="utf-8")
    (processed / "cross_checks.csv").write_text(CHECKS, encoding="utf-8")
    (figures / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    (figures / "victims.csv").write_text(FIGURE, encoding="utf-8")
    declared = {
        name: OutputRecord(name, kind, name, "", (f"figures/{name}.csv",), {}, 1, "c1")
        for name, kind in (("claims", "table"), ("victims", "figure"))
    }
    entry = ManifestEntry("notebooks/01-demo.ipynb", {}, {}, {}, declared)
    Manifest(figures / "MANIFEST.json", {"01-demo": entry}).save()
    return Tables(processed, figures)


@pytest.mark.parametrize(
    ("reference", "text", "page", "anchor"),
    [
        ("fact:victims_2014:value:,d", "746", "dataset", "row-victims_2014"),
        ("fact:population:value:,d", "20,310,400", "dataset", "row-population"),
        ("claims:rose:estimate:.3g", "1.21", "claims", "claim-rose"),
        ("claims:rose:verdict", "supported", "claims", "claim-rose"),
        ("claims:girls:conf_level:.0%", "95%", "claims", "claim-girls"),
        ("check:sum_2014:outcome", "holds", "cross-checks", "check-sum_2014"),
        ("figure/victims:offence=prostitution:percent_change:abs.1f", "37.1", "figures",
         "figure-victims"),
        ("figure/victims:offence=pornography&year=2014:victims:d", "746", "figures",
         "figure-victims"),
        ("claims:kind!=not_testable:#:words", "two", "claims", ""),
        ("fact:reading=ambiguous:#:Words", "One", "dataset", "statistics"),
        ("check:*:#:d", "1", "cross-checks", "cross-checks"),
    ],
)
def test_a_reference_gives_its_cell_and_the_link_to_its_row(
    tables: Tables, reference: str, text: str, page: str, anchor: str
) -> None:
    """The formatted cell, and the page and anchor of the row (or table) it comes from."""
    value = tables.resolve(reference)
    assert value.text == text
    (link,) = value.parts
    assert (link.page, link.anchor) == (page, anchor)


def test_a_list_links_each_row_and_joins_them(tables: Tables) -> None:
    """``list``: every selected row, each its own link, joined with commas and "and"."""
    value = tables.resolve("fact:*:fact_id:list")
    assert value.text == "victims_2010, victims_2014 and population"
    links = [part for part in value.parts if isinstance(part, Link)]
    assert [link.anchor for link in links] == [
        "row-victims_2010", "row-victims_2014", "row-population"
    ]
    assert tables.resolve("claims:verdict=supported:label:list").text == (
        "Victims rose and Mostly girls"
    )


def test_every_file_read_is_remembered(tables: Tables, tmp_path: Path) -> None:
    """The tables a note's values came from are its inputs."""
    tables.resolve("claims:rose:estimate:.2f")
    tables.resolve("figure/victims:year=2010:victims:d")
    assert tables.files == {
        (tmp_path / "figures" / "claims.csv").resolve(),
        (tmp_path / "figures" / "victims.csv").resolve(),
    }


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("claims:rose", "is not table:rows:column[:format]"),
        ("claim:rose:estimate", "unknown table 'claim'"),
        ("claims:rose:estimate:.2q", "bad format '.2q'"),
        ("claims:nobody:estimate", "no row of claims.csv matches 'nobody'"),
        ("claims:rose:estmate", "no column 'estmate'"),
        ("claims:verdict=supported:label", "2 rows of claims.csv match"),
        ("claims:cause:estimate:.2f", "the cell is empty"),
        ("claims:rose:verdict:.2f", "'supported' is not a number"),
        ("claims:rose:estimate:d", "is not a whole number"),
        ("figure/victims:pornography:victims", "has no key column"),
        ("figure/nothing:*:#", "no figure or table 'nothing' declared"),
        ("claims:colour=red:#", "no column 'colour' to filter on"),
        ("claims:*:#:list", "a row count cannot be listed"),
    ],
)
def test_a_bad_reference_is_refused_with_its_reason(
    tables: Tables, reference: str, message: str
) -> None:
    """Each problem gives one message naming the reference."""
    with pytest.raises(ValueReferenceError) as caught:
        tables.resolve(reference)
    assert message in str(caught.value)
    assert reference.split(":")[0] in str(caught.value)


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        ("0.6288798920377867", ".3g", "0.629"),
        ("0.6288798920377867", ".2f", "0.63"),
        ("0.95", ".0%", "95%"),
        ("1130", ",d", "1,130"),
        ("1130.0", ",d", "1,130"),
        ("-37.11201079622133", "abs.1f", "37.1"),
        ("-37.11201079622133", ".1f", "-37.1"),
        ("6", "words", "six"),
        ("6", "Words", "Six"),
        ("0", "words", "zero"),
        ("21", "words", "21"),
        ("1212", "words", "1,212"),
        ("0.00018915234751133735", "p", "0.00019"),
        ("1.1809919531957222e-15", "p", "1.2e-15"),
        ("0", "p", "< 1e-300"),
        ("0.9999999999999991", "p", "> 0.99"),
        ("0.994", "p", "0.99"),
        ("741 -> 466", "", "741 -> 466"),
    ],
)
def test_formats(text: str, spec: str, expected: str) -> None:
    """Python format specifications and the named formats, on typed inputs."""
    assert format_cell(text, spec) == expected


def test_a_probability_is_never_printed_as_zero_or_one() -> None:
    """Across the whole range, ``p`` never prints 0 or 1."""
    for exponent in range(-320, 1):
        for mantissa in (1.0, 4.9, 9.99):
            value = min(mantissa * 10.0**exponent, 1.0)
            shown = format_cell(repr(value), "p")
            assert shown not in {"0", "1", "0.0", "1.0"}, value


def test_a_reference_parses_into_its_parts() -> None:
    """``table:rows:column:format``; the format may be left out."""
    reference = Reference.parse(" claims:verdict=supported:#:words ")
    assert (reference.table, reference.rows, reference.column, reference.format) == (
        "claims", "verdict=supported", "#", "words"
    )
    assert Reference.parse("fact:victims_2014:value").format == ""
    assert Reference.parse("figure/x:a=b:c").source.page == "figures"


def test_source_entries_describe_their_rows(tables: Tables) -> None:
    """A dataset row gives its paragraph, footnote and words; a claim its label."""
    fact = tables.entry("fact:population")
    assert fact.title == "population: Children"
    assert fact.detail == "para. 7, footnote 3: \u201c20.3 million children\u201d"
    assert (fact.page, fact.anchor) == ("dataset", "row-population")
    claim = tables.entry("claims:rose")
    assert claim.title == "rose: Victims rose"
    assert claim.detail.startswith("para. 38: ")
    check = tables.entry("check:sum_2014")
    assert check.detail == "outcome holds (expected holds)"
    assert tables.entry("claims").anchor == ""
