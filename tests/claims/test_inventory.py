"""The claims inventory: every sentence the inclusion rule finds is a claim or excluded.

The rule and its words are in ``data/claims.yaml`` (``inventory:``). These tests apply it to
the whole report (the 74 paragraphs and the footnotes) and fail on any sentence it finds that
is neither a claim nor explicitly excluded with a reason; the mutation tests show that the
check fails when a claim or an exclusion is taken away.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from analysis.claims import (
    ClaimSpecError,
    inventory_summary,
    inventory_table,
    load_spec,
    require_complete,
    sentences,
    take_inventory,
)
from analysis.dataset.source import FOOTNOTE_REF, Report


@pytest.fixture(scope="module")
def statistics(facts: pd.DataFrame) -> pd.DataFrame:
    """The extracted facts (fact_id, footnote, char_start of each figure's evidence)."""
    return facts


def test_every_sentence_the_rule_finds_is_covered(report: Report,
                                                  statistics: pd.DataFrame) -> None:
    """No sentence matching the rule's words or stating a figure is left unexplained."""
    inventory = take_inventory(report, statistics, load_spec())
    require_complete(inventory)
    table = inventory_table(inventory)
    assert set(table["status"]) == {"claim", "excluded"}
    assert (table.loc[table["status"] == "excluded", "covered_by"] != "").all()


def test_removing_a_claim_fails_the_check(report: Report, statistics: pd.DataFrame) -> None:
    """Mutation: removing a claim fails the check, naming the sentence.

    Mutation: without the claim for para. 50's "Most offenders go unpunished" the check
    fails and names the sentence.
    """
    spec = load_spec()
    mutated = dataclasses.replace(spec, claims=tuple(
        c for c in spec.claims if c.claim_id != "most_offenders_unpunished"))
    with pytest.raises(ClaimSpecError, match=r"para\. 50: 'Most offenders go unpunished"):
        require_complete(take_inventory(report, statistics, mutated))


def test_removing_an_exclusion_fails_the_check(report: Report,
                                               statistics: pd.DataFrame) -> None:
    """Mutation: without the exclusion of para. 74's recommendations the check fails."""
    spec = load_spec()
    mutated = dataclasses.replace(spec, excluded=tuple(e for e in spec.excluded
                                                       if e.paragraph != 74))
    with pytest.raises(ClaimSpecError, match=r"para\. 74: .*neither a claim nor excluded"):
        require_complete(take_inventory(report, statistics, mutated))


def test_removing_a_rule_word_changes_what_is_found(report: Report,
                                                    statistics: pd.DataFrame) -> None:
    """Mutation: without a rule word its claims lie in no found sentence.

    Mutation of the rule: without "often" the claims resting on it lie in no sentence the
    rule finds, and the check names them.
    """
    spec = load_spec()
    assert spec.inventory is not None
    rule = dataclasses.replace(spec.inventory, words=tuple(
        w for w in spec.inventory.words if w != "often"))
    with pytest.raises(ClaimSpecError, match="'shelters_often_full': its report_text lies in "
                                             "no sentence the rule finds"):
        require_complete(take_inventory(report, statistics,
                                        dataclasses.replace(spec, inventory=rule)))


def test_an_exclusion_of_a_claimed_sentence_is_refused(report: Report,
                                                       statistics: pd.DataFrame) -> None:
    """An exclusion must not cover a sentence that holds a claim (nor one the rule skips)."""
    spec = load_spec()
    extra = dataclasses.replace(spec.excluded[0], paragraph=50, text="Most offenders")
    mutated = dataclasses.replace(spec, excluded=(*spec.excluded, extra))
    with pytest.raises(ClaimSpecError, match=r"excluded \(para\. 50\) 'Most offenders'"):
        require_complete(take_inventory(report, statistics, mutated))


@pytest.mark.parametrize(("paragraph", "words"), [
    (50, "Most offenders go unpunished"),
    (53, "In 77 per cent, of the cases, the perpetrator was a family member"),
    (53, "in 42 per cent of cases, the abuse had lasted from one to four years"),
    (18, "has higher unemployment, divorce and teenage pregnancy rates"),
])
def test_the_referees_examples_are_claims(paragraph: int, words: str) -> None:
    """The claims a referee found missing (paras. 50, 53, 18) each have a row."""
    assert any(c.paragraph == paragraph and words in c.report_text
               for c in load_spec().claims), words


def test_sentences_reassemble_each_paragraph(report: Report) -> None:
    """A paragraph's sentences, joined, give back its text.

    A paragraph's sentences, joined, are its own text without the number and the footnote
    markers (so the splitter loses nothing and splits nothing twice).
    """
    found = sentences(report)
    for paragraph in report.paragraphs:
        own = [s.text for s in found if s.paragraph == paragraph.number and s.footnote is None]
        body = re.sub(r"^\d+\.\s*", "", FOOTNOTE_REF.sub("", paragraph.body_text()))
        assert " ".join(own) == " ".join(body.split()), paragraph.number
    for footnote in report.footnotes:
        own = [s.text for s in found if s.footnote == footnote.number]
        assert " ".join(own) == " ".join(footnote.text.split()), footnote.number


def test_splitter_keeps_abbreviations_and_breaks_after_markers(report: Report) -> None:
    """Abbreviations do not end a sentence; a marker after a full stop does.

    "U.S. Department" and "para. 42" do not end a sentence; a full stop followed by a
    footnote marker does (para. 8's "majority of victims.[footnoteRef:3] According").
    """
    found = sentences(report)
    assert any(s.text.startswith("See also U.S. Department of State") for s in found)
    assert any("(see para. 42 below)" in s.text for s in found)
    assert any(s.paragraph == 8 and s.text == "Girls continue to account for the majority of "
               "victims." for s in found)


def test_names_and_set_phrases_are_not_counted(report: Report,
                                               statistics: pd.DataFrame) -> None:
    """Names and set phrases do not make a sentence a candidate.

    "high school", "court of first instance" and "fall victim" find no sentence by
    themselves: para. 5's list of visits is not a candidate.
    """
    table = inventory_table(take_inventory(report, statistics, load_spec()))
    assert not table["sentence"].str.startswith("The Special Rapporteur visited a support "
                                                "centre for high school girls").any()
    assert "first" not in table.loc[table["sentence"].str.contains("court of first instance"),
                                    "words"].iloc[0].split()


def test_summary_counts_the_found_sentences(report: Report, statistics: pd.DataFrame) -> None:
    """The summary's counts add up to the number of sentences found, none uncovered."""
    inventory = take_inventory(report, statistics, load_spec())
    summary = inventory_summary(inventory)
    assert summary["sentences"].sum() == len(inventory.candidates)
    assert summary.loc["uncovered", "sentences"] == 0
    assert (summary["with a figure"] + summary["by a word only"]).equals(summary["sentences"])
