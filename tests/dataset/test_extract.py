"""Tests of the extraction: values, provenance, spec errors, regeneration, atomic writes."""

from __future__ import annotations

import hashlib
import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.dataset.build import build_all
from analysis.dataset.cross_checks import CrossCheckSpecError
from analysis.dataset.extract import Extraction, SpecError, extract_statistics, load_spec
from analysis.dataset.source import Report, parse_report
from analysis.dataset.validate import DatasetValidationError
from analysis.io import atomic_write_many

# Values typed by hand from the report, with the paragraph (and footnote) they are in.
EXPECTED = [
    ("population_children_under_18", 20310400, 7, None, "count"),
    ("population_total", 127_000_000, 7, None, "count"),
    ("okinawa_child_poverty_rate_2012", 37.5, 7, None, "percent"),
    ("victims_girls_2014_fn3", 1130, 8, 3, "count"),
    ("police_victims_pornography_2010", 614, 38, None, "count"),
    ("police_victims_pornography_2014", 746, 38, None, "count"),
    ("police_victims_prostitution_2010", 741, 38, None, "count"),
    ("police_victims_prostitution_2014", 466, 38, None, "count"),
    ("referrals_pornography_2014", 1828, 38, 13, "count"),
    ("referrals_prostitution_2010", 954, 38, 13, "count"),
    ("prosecution_cases_received_2013", 2331, 41, None, "count"),
    ("sentences_suspended_2014", 106, 41, None, "count"),
    ("sentences_probation_2014", 13, 41, None, "count"),
    ("icsa_blocklist_addresses_2015", 1006, 43, None, "count"),
    ("sia_cases_received", 24003, 45, None, "count"),
    ("sia_cam_on_foreign_sites_share", 86.8, 45, None, "percent"),
    ("ihc_reports_2014", 150352, 47, None, "count"),
    ("naha_sexual_abuse_share_2013", 6.9, 50, None, "percent"),
    ("osaka_abuse_arrests", 16, 53, None, "count"),
    ("osaka_abuse_cases", 213, 53, None, "count"),
    ("carillon_share_girls_abused", 75, 56, None, "percent"),
    ("extraterritorial_referrals_2010_2014", 4, 70, None, "count"),
]


@pytest.mark.parametrize(("fact_id", "value", "paragraph", "footnote", "unit"), EXPECTED)
def test_sample_values_and_provenance(
    facts: pd.DataFrame, fact_id: str, value: float, paragraph: int, footnote: int | None,
    unit: str,
) -> None:
    """A sample of facts carries the value, paragraph, footnote and unit read by hand."""
    row = facts.set_index("fact_id").loc[fact_id]
    assert row["value"] == pytest.approx(value)
    assert row["paragraph"] == paragraph
    assert row["footnote"] == ("" if footnote is None else footnote)
    assert row["unit"] == unit


def test_qualifiers_are_kept(facts: pd.DataFrame) -> None:
    """Qualifiers the report attaches ('more than', 'some', 'approximately') are kept as data."""
    qualifiers = facts.set_index("fact_id")["qualifier"]
    assert qualifiers["osaka_telephone_calls"] == "more_than"
    assert qualifiers["sia_share_obscene"] == "approximately"
    assert qualifiers["carillon_budget_share_ministry"] == "approximately"
    assert qualifiers["okinawa_poverty_rate_vs_national"] == "nearly"
    assert qualifiers["police_victims_pornography_2010"] == "exact"


def test_evidence_is_the_exact_source_span(report: Report, extraction: Extraction) -> None:
    """Every evidence string is the raw text between its offsets and contains its value text."""
    rows = extraction.statistics.itertuples()
    for row, location in zip(rows, extraction.locations, strict=True):
        assert location.fact_id == row.fact_id
        assert report.text[row.char_start : row.char_end] == row.evidence
        assert row.value_text in row.evidence
        assert report.text[location.value.start : location.value.end] == row.value_text
        assert location.sentence.start <= location.value.start < location.sentence.end


def test_fact_ids_unique_and_order_deterministic(facts: pd.DataFrame) -> None:
    """fact_ids are unique and rows follow their position in the report."""
    assert facts["fact_id"].is_unique
    assert facts["char_start"].is_monotonic_increasing


def _spec(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


FACT = """\
words:
  counting_unit:
    victims: [victims]
facts:
  - fact_id: {fact_id}
    topic: t
    indicator: i
    unit: count
    counting_unit: victims
    source_body: not stated
    paragraph: {paragraph}
    pattern: "{pattern}"
"""


def test_pattern_matching_nowhere_is_named(report: Report, tmp_path: Path) -> None:
    """A pattern that matches 0 times names the fact, the paragraph and the count."""
    spec = _spec(tmp_path, FACT.format(fact_id="ghost", paragraph=38,
                                       pattern="increased from {value} to nowhere"))
    with pytest.raises(SpecError, match=r"'ghost'.*matched 0 times in paragraph 38"):
        extract_statistics(report, load_spec(spec))


def test_pattern_matching_twice_is_named(report: Report, tmp_path: Path) -> None:
    """A pattern that matches twice names the fact, the paragraph and the count."""
    spec = _spec(tmp_path, FACT.format(fact_id="twice", paragraph=38, pattern="{value} to"))
    with pytest.raises(SpecError, match=r"'twice'.*matched 2 times in paragraph 38"):
        extract_statistics(report, load_spec(spec))


def test_spec_without_value_placeholder_is_refused(tmp_path: Path) -> None:
    """A pattern without {value} (a value typed into the spec) is refused."""
    spec = _spec(tmp_path, FACT.format(fact_id="typed", paragraph=38, pattern="from 614 to"))
    with pytest.raises(SpecError, match=r"'typed'.*exactly one \{value\}"):
        load_spec(spec)


def test_spec_unknown_key_is_refused(tmp_path: Path) -> None:
    """An unknown key in a spec entry is refused, naming the fact and the key."""
    body = FACT.format(fact_id="odd", paragraph=38, pattern="{value}") + "    colour: red\n"
    with pytest.raises(SpecError, match=r"'odd'.*colour"):
        load_spec(_spec(tmp_path, body))


def test_spec_repeated_key_is_refused(tmp_path: Path) -> None:
    """A key given twice in one entry (YAML would keep the last silently) is refused."""
    body = FACT.format(fact_id="twice", paragraph=38, pattern="{value}") + "    topic: u\n"
    with pytest.raises(SpecError, match=r"spec.yaml, line \d+: key 'topic' given twice"):
        load_spec(_spec(tmp_path, body))


def test_changing_any_reported_number_changes_the_dataset(report: Report) -> None:
    """Editing one figure in the text (614 -> 615) changes the extracted value."""
    changed = parse_report(report.text.replace("increased from 614 to", "increased from 615 to"))
    values = extract_statistics(changed, load_spec()).statistics.set_index("fact_id")["value"]
    assert values["police_victims_pornography_2010"] == 615


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_committed_outputs_equal_regeneration(tmp_path: Path) -> None:
    """Regenerating data/processed and datapackage.json gives byte-identical files."""
    out = tmp_path / "data" / "processed"
    package = tmp_path / "data" / "datapackage.json"
    build_all(out_dir=out, datapackage_path=package)
    for name in sorted(p.name for p in out.iterdir()):
        assert (out / name).read_bytes() == (paths.PROCESSED_DIR / name).read_bytes(), name
    assert package.read_bytes() == paths.DATAPACKAGE.read_bytes()


def test_regeneration_is_deterministic(tmp_path: Path) -> None:
    """Two runs produce byte-identical outputs."""
    first, second = tmp_path / "a", tmp_path / "b"
    build_all(out_dir=first / "processed", datapackage_path=first / "datapackage.json")
    build_all(out_dir=second / "processed", datapackage_path=second / "datapackage.json")
    assert _snapshot(first / "processed") == _snapshot(second / "processed")


def test_failed_extraction_leaves_previous_dataset(tmp_path: Path) -> None:
    """A spec error midway leaves the earlier outputs byte-identical and no temp files."""
    out = tmp_path / "processed"
    package = tmp_path / "datapackage.json"
    build_all(out_dir=out, datapackage_path=package)
    before = _snapshot(out)
    bad = _spec(tmp_path, FACT.format(fact_id="ghost", paragraph=38, pattern="x {value} y"))
    with pytest.raises(SpecError):
        build_all(spec_path=bad, out_dir=out, datapackage_path=package)
    assert _snapshot(out) == before


def test_changed_raw_file_writes_nothing(tmp_path: Path) -> None:
    """With a changed raw file, extraction fails before writing anything."""
    raw = tmp_path / "raw.txt"
    raw.write_bytes(paths.RAW_REPORT.read_bytes().replace(b"746", b"747", 1))
    out = tmp_path / "processed"
    with pytest.raises(ValueError, match="SHA-256"):
        build_all(raw_path=raw, out_dir=out, datapackage_path=tmp_path / "dp.json")
    assert not out.exists()


def test_atomic_write_many_is_all_or_nothing(tmp_path: Path, monkeypatch) -> None:
    """If moving the second file into place fails, no temp file is left behind."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a\n")
    second.write_text("old b\n")

    def broken_write(*args, **kwargs):
        raise KeyboardInterrupt

    contents = {first: "new a\n", second: b"new b\n"}
    monkeypatch.setattr("analysis.io.os.fdopen", broken_write)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_many(contents)
    assert first.read_text() == "old a\n" and second.read_text() == "old b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


@pytest.mark.parametrize(
    ("original", "mutated", "error"),
    [
        # Footnote 3 and para. 38 must state the same 1,130 girls.
        ("there were 1,130 girl victims", "there were 1,131 girl victims",
         "victims_2014_girls_boys_fn3_vs_para38|duplicate_of"),
        # 30 + 106 sentences must not exceed the 141 convictions.
        ("in 106 cases, the sentence was suspended", "in 116 cases, the sentence was suspended",
         "sentences_2014_within_convictions"),
        # 16 arrests of 213 cases: a whole smaller than its part fails.
        ("only 16 of 213 cases", "only 16 of 13 cases", "cross-check .osaka_"),
        # A percentage over 100 breaks the schema.
        ("Unexpectedly, 96 per cent", "Unexpectedly, 196 per cent", "must not exceed 100"),
        # A new number the spec does not know is an unaccounted token.
        ("The Association has 93 members", "The Association has 93 members and 7 partners",
         "unaccounted for"),
    ],
)
def test_one_changed_number_fails_the_build(
    tmp_path: Path, original: str, mutated: str, error: str
) -> None:
    """Mutation test: one changed number in the raw text stops the build, writing nothing.

    The copy's checksum is passed, so it is the extraction, the cross-checks, the schema or
    the number audit that must catch the change.
    """
    text = paths.RAW_REPORT.read_text(encoding="utf-8")
    assert text.count(original) == 1
    raw = tmp_path / "raw.txt"
    raw.write_text(text.replace(original, mutated), encoding="utf-8")
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()
    out = tmp_path / "processed"
    with pytest.raises(Exception, match=error):
        build_all(raw_path=raw, out_dir=out, datapackage_path=tmp_path / "dp.json",
                  expected_sha256=digest)
    assert not out.exists() and not (tmp_path / "dp.json").exists()


def test_unknown_offence_in_spec_writes_nothing(tmp_path: Path) -> None:
    """An offence outside the controlled list stops the build; nothing is written.

    The error names the row and the column.
    """
    text = paths.EXTRACTION_SPEC.read_text(encoding="utf-8")
    text = text.replace("offence: child pornography\n", "offence: child trafficking\n", 1)
    text = text.replace("    child pornography: [pornography]\n",
                        "    child pornography: [pornography]\n    child trafficking: [victims]\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "processed"
    with pytest.raises(DatasetValidationError,
                       match=r"report_statistics.csv: row \d+ .*column 'offence'"):
        build_all(spec_path=spec, out_dir=out, datapackage_path=tmp_path / "dp.json")
    assert not out.exists()


def test_cross_check_on_unknown_fact_writes_nothing(tmp_path: Path) -> None:
    """A cross-check naming a fact the spec does not have stops the build; nothing written."""
    text = paths.CROSS_CHECKS_SPEC.read_text(encoding="utf-8")
    checks = tmp_path / "checks.yaml"
    checks.write_text(text.replace("left: [sia_cases_illegal]", "left: [sia_cases_legal]", 1),
                      encoding="utf-8")
    out = tmp_path / "processed"
    with pytest.raises(CrossCheckSpecError, match=r"field 'left': unknown fact\(s\) "
                                                  r"\['sia_cases_legal'\]"):
        build_all(checks_path=checks, out_dir=out, datapackage_path=tmp_path / "dp.json")
    assert not out.exists()


def test_atomic_write_many_puts_back_a_file_already_replaced(tmp_path: Path, monkeypatch) -> None:
    """If the second move into place fails, the first target gets its old content back."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a\n")
    second.write_text("old b\n")
    real_replace = os.replace

    def replace_failing_on_b(source, target):  # the new b fails; putting old files back works
        if Path(target) == second and Path(source).name.endswith(".tmp"):
            raise OSError(28, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr("analysis.io.os.replace", replace_failing_on_b)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_many({first: "new a\n", second: "new b\n"})
    assert first.read_text() == "old a\n" and second.read_text() == "old b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
