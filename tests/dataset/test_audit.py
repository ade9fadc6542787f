"""Tests of the number audit: every numeric token of the report is accounted for."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import paths
from analysis.dataset.audit import AuditError, AuditRule, audit_numbers, load_audit_rules
from analysis.dataset.source import Report


@pytest.fixture(scope="module")
def audit(report: Report, facts: pd.DataFrame) -> pd.DataFrame:
    """The audit of the real report."""
    return audit_numbers(report, facts, load_audit_rules())


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


def test_unclassified_token_fails(report: Report, facts: pd.DataFrame) -> None:
    """Without the fact for 'four cases' (para. 70) the audit fails and names the token."""
    fewer = facts[facts["fact_id"] != "extraterritorial_referrals_2010_2014"]
    with pytest.raises(AuditError, match=r"'four' at \d+ \(paragraph 70\)"):
        audit_numbers(report, fewer, load_audit_rules())


def test_stale_rule_fails(report: Report, facts: pd.DataFrame) -> None:
    """A rule that matches no token is reported as stale."""
    rules = [*load_audit_rules(),
             AuditRule(re.compile("no such words"), "year", "x", (), (), False)]
    with pytest.raises(AuditError, match="classify no token"):
        audit_numbers(report, facts, rules)
