"""Tests of the number audit: every numeric token of the report is accounted for."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from analysis import paths
from analysis.dataset.audit import (
    AuditError,
    AuditRule,
    audit_numbers,
    load_audit_rules,
    unlinked_labels,
)
from analysis.dataset.extract import Extraction, Spec, extract_statistics, load_spec
from analysis.dataset.source import Report


@pytest.fixture(scope="module")
def audit(report: Report, extraction: Extraction) -> pd.DataFrame:
    """The audit of the real report."""
    return audit_numbers(report, extraction, load_audit_rules())


def test_every_token_is_classified(audit: pd.DataFrame) -> None:
    """Each token has a fact_id (value or label) or a non-statistic category and reason."""
    for row in audit.itertuples():
        if row.status in {"value", "label"}:
            assert row.fact_id, row
        else:
            assert row.status == "not_statistic" and row.category and row.reason, row


def test_digit_tokens_match_an_independent_count(report: Report, audit: pd.DataFrame) -> None:
    """The audit lists as many digit runs as a plain regex finds in the raw text."""
    independent = re.findall(r"[0-9]+(?:[.,][0-9]+)*", report.text)
    assert (audit["kind"] == "digits").sum() == len(independent)


def test_every_fact_value_is_audited(audit: pd.DataFrame, facts: pd.DataFrame) -> None:
    """Every extracted fact appears in the audit as the owner of a value token."""
    assert set(audit.loc[audit["status"] == "value", "fact_id"]) == set(facts["fact_id"])


def test_committed_audit_matches(audit: pd.DataFrame) -> None:
    """The committed number_audit.csv lists the same tokens and classifications."""
    committed = pd.read_csv(paths.AUDIT_CSV, dtype=str, keep_default_na=False)
    assert committed["token"].tolist() == audit["token"].tolist()
    assert committed["status"].tolist() == audit["status"].tolist()


def test_known_tokens(audit: pd.DataFrame) -> None:
    """Spot checks: a year, an age threshold in law, a page number and a footnote marker."""
    by_context = audit.set_index(["token", "paragraph"])
    assert by_context.loc[("13", 28), "category"] == "age_threshold"  # age of consent
    assert by_context.loc[("1996", 17), "category"] == "year"
    assert "page_or_volume" in set(audit.loc[audit["token"] == "198", "category"])
    assert "footnote_marker" in set(audit.loc[audit["token"] == "13", "category"])


def _without(extraction: Extraction, fact_id: str) -> Extraction:
    keep = extraction.statistics["fact_id"] != fact_id
    locations = tuple(loc for loc in extraction.locations if loc.fact_id != fact_id)
    return Extraction(extraction.statistics[keep].reset_index(drop=True), locations)


def test_unclassified_token_fails(report: Report, extraction: Extraction) -> None:
    """Without the fact for 'four cases' (para. 70) the audit fails and names the token."""
    fewer = _without(extraction, "extraterritorial_referrals_2010_2014")
    with pytest.raises(AuditError, match=r"'four' at \d+ \(paragraph 70\)"):
        audit_numbers(report, fewer, load_audit_rules())


def test_stale_rule_fails(report: Report, extraction: Extraction) -> None:
    """A rule that matches no token is reported as stale."""
    rules = [*load_audit_rules(),
             AuditRule(re.compile("no such words"), "year", "x", (), (), False)]
    with pytest.raises(AuditError, match="classify no token"):
        audit_numbers(report, extraction, rules)


# --- the label rule (issue 22, "rules as checks, not memory") --------------------------------


def test_no_label_link_is_missing(report: Report, extraction: Extraction,
                                  audit: pd.DataFrame) -> None:
    """On the real report every label token links every figure of its sentence it qualifies."""
    assert unlinked_labels(report, audit, extraction) == []


def _linked(audit: pd.DataFrame, token: str, start: int) -> set[str]:
    row = audit[(audit["token"] == token) & (audit["char_start"] == start)]
    assert len(row) == 1
    return set(row["fact_id"].iloc[0].split())


@pytest.mark.parametrize(
    ("words", "token", "fact_ids"),
    [
        # Footnote 3: "in 2014" qualifies the girls and the boys alike.
        ("in 2014 there were 1,130 girl victims of sexual exploitation as compared to 82 boy "
         "victims", "2014", {"victims_girls_2014_fn3", "victims_boys_2014_fn3"}),
        # Para. 47: "In 2014" dates the reports received and, from context, the prioritized ones.
        ("In 2014, the Internet Hotline Centre received a total of 150,352 reports", "2014",
         {"ihc_reports_2014", "ihc_prioritized_public_2014", "ihc_prioritized_inhope_2014",
          "ihc_prioritized_referral_days_2014"}),
        # Para. 45: "As at July 2015" dates all nine figures of the paragraph.
        ("As at July 2015, the Safer Internet Association", "2015",
         {"sia_cases_received", "sia_cases_illegal", "sia_cases_hosted_abroad",
          "sia_share_obscene", "sia_share_child_abuse_material", "sia_share_revenge_porn",
          "sia_cam_on_foreign_sites_share", "sia_removal_requests",
          "sia_removal_success_foreign_cam"}),
        # Para. 26: the provision "entered into force in July 2015, giving ... one year".
        ("entered into force in July 2015, giving those in possession", "2015",
         {"possession_disposal_period"}),
        # Para. 41: "up to three years of imprisonment" is the unsuspended sentences' category.
        ("30 of them were convictions of up to three years of imprisonment", "three",
         {"sentences_unsuspended_2014"}),
    ],
)
def test_label_links_typed_from_the_report(
    report: Report, audit: pd.DataFrame, words: str, token: str, fact_ids: set[str]
) -> None:
    """Finding 7: a label token links exactly the figures it qualifies (typed)."""
    start = report.text.index(words) + words.index(token)
    assert report.text.count(words) == 1
    assert _linked(audit, token, start) == fact_ids


def _without_labels(spec: Spec, fact_id: str) -> Spec:
    facts = tuple(dataclasses.replace(f, labels=()) if f.fact_id == fact_id else f
                  for f in spec.facts)
    assert facts != spec.facts
    return Spec(facts, spec.words, spec.path)


@pytest.mark.parametrize(
    ("fact_id", "message"),
    [
        # Footnote 3's "in 2014" then labels the girls only (the boys' evidence lacks it).
        ("victims_boys_2014_fn3", r"'2014' at \d+ qualifies victims_boys_2014_fn3 in its "
                                  r"sentence \('According to statistics provided by the "
                                  r"Government of Japan"),
        ("ihc_reports_2014", r"'2014' at \d+ qualifies ihc_reports_2014"),
        ("possession_disposal_period", r"'2015' at \d+ qualifies possession_disposal_period"),
        # A period filled from context must still be labelled by the token that dates it.
        ("sia_removal_requests", r"sia_removal_requests: its year or period names \[2015\]"),
    ],
)
def test_a_dropped_label_stops_the_audit(
    report: Report, fact_id: str, message: str
) -> None:
    """Mutation: without its label phrases a figure its sentence qualifies is unlinked."""
    extraction = extract_statistics(report, _without_labels(load_spec(), fact_id))
    with pytest.raises(AuditError, match=message):
        audit_numbers(report, extraction, load_audit_rules())
