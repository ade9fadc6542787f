"""The rule that nothing is inferred silently (issue 22, "rules as checks, not memory").

A field of geography, year, period, offence, counting unit, source or subject body that a row
fills while its own sentence lacks the words of the value must be listed in ``inferred``. The
build enforces it (:func:`analysis.dataset.extract.extract_statistics`); these tests show it
holds for the real spec, that the words table is not vacuous (typed cases, stated and not),
and that taking one field out of a row's ``inferred`` stops the extraction.
"""

from __future__ import annotations

import dataclasses

import pytest

from analysis.dataset.extract import (
    Extraction,
    FactSpec,
    Spec,
    SpecError,
    extract_statistics,
    load_spec,
)
from analysis.dataset.source import Report
from analysis.dataset.wording import STATED_FIELDS, WordingError, context_fields


def test_rule_covers_the_fields_of_the_issue() -> None:
    """The rule covers geography, year, period, offence, counting unit and both bodies."""
    assert set(STATED_FIELDS) == {"geography", "year", "period", "offence", "counting_unit",
                                  "source_body", "subject_body"}


def test_every_context_filled_field_is_listed(extraction: Extraction) -> None:
    """On the real spec, every field whose words are not in its sentence is in inferred."""
    words = load_spec().words
    rows = extraction.statistics.to_dict("records")
    found = [field for row, loc in zip(rows, extraction.locations, strict=True)
             for field in context_fields(row, loc.sentence.text, words)]
    assert len(found) > 90  # the rule has work to do: about a hundred context fields
    assert [f.message() for f in found if not f.listed] == []


# (fact_id, field, stated in its own sentence?), each decided by reading the sentence.
TYPED = [
    # "Japan has a population of 127 million" -- stated.
    ("population_total", "geography", True),
    # "The current rate of child poverty is 16 per cent." -- no place.
    ("child_poverty_rate_national", "geography", False),
    ("child_poverty_rate_national", "period", True),  # "current"
    # "In 2012, it was 34.8 per cent, while the child poverty rate was 37.5 per cent."
    ("okinawa_poverty_rate_2012", "year", True),
    ("okinawa_poverty_rate_2012", "counting_unit", False),  # "it"
    ("okinawa_poverty_rate_2012", "geography", False),
    # "According to statistics facilitated by the National Police Agency, between 2010 and
    # 2014, ... registered by the police dropped from 741 to 466."
    ("police_victims_prostitution_2014", "source_body", True),
    ("police_victims_prostitution_2014", "subject_body", True),
    ("police_victims_prostitution_2014", "offence", True),
    # "The vast majority of child victims of sexual exploitation are girls (1,130, ...)"
    ("police_victims_girls_2014", "source_body", False),
    ("police_victims_girls_2014", "offence", True),
    # "A total of 1,806 reports received from the public and 778 reports ... were processed"
    ("ihc_prioritized_public_2014", "year", False),
    ("ihc_prioritized_public_2014", "counting_unit", True),
    # "Some 62 per cent of all illegal and harmful content contained obscene expressions, ..."
    ("sia_share_obscene", "period", False),
    ("sia_share_obscene", "subject_body", False),
    # "As at July 2015, the Safer Internet Association had received and monitored 24,003 cases"
    ("sia_cases_received", "period", True),
    ("sia_cases_received", "subject_body", True),
    # "In 77 per cent, of the cases, the perpetrator was a family member; ..."
    ("osaka_abuse_share_family_perpetrator", "offence", False),
    ("osaka_abuse_share_family_perpetrator", "counting_unit", True),
    # "Perpetrators were arrested in only 16 of 213 cases of sexual abuse; ..."
    ("osaka_abuse_arrests", "offence", True),
    ("osaka_abuse_arrests", "geography", False),
    # "Between 2010 and 2014, law enforcement agencies, on the basis of the principle of
    # extraterritorial jurisdiction, referred four cases ... child sexual exploitation charges."
    ("extraterritorial_referrals_2010_2014", "offence", True),
    ("extraterritorial_referrals_2010_2014", "subject_body", True),
    ("extraterritorial_referrals_2010_2014", "period", True),
]


@pytest.mark.parametrize(("fact_id", "field", "stated"), TYPED)
def test_words_decide_as_a_reader_does(
    extraction: Extraction, fact_id: str, field: str, stated: bool
) -> None:
    """The words table says stated or context exactly where a reader of the sentence does."""
    rows = {row["fact_id"]: row for row in extraction.statistics.to_dict("records")}
    location = next(loc for loc in extraction.locations if loc.fact_id == fact_id)
    context = {f.field for f in context_fields(rows[fact_id], location.sentence.text,
                                               load_spec().words)}
    assert (field not in context) is stated


def _without_inferred(spec: Spec, fact_id: str, field: str) -> Spec:
    def change(fact: FactSpec) -> FactSpec:
        if fact.fact_id != fact_id:
            return fact
        listed = fact.fields["inferred"].split()
        assert field in listed
        kept = " ".join(name for name in listed if name != field)
        return dataclasses.replace(fact, fields={**fact.fields, "inferred": kept})

    return Spec(tuple(change(fact) for fact in spec.facts), spec.words, spec.path)


@pytest.mark.parametrize(
    ("fact_id", "field"),
    [
        ("child_poverty_rate_national", "geography"),
        ("ihc_prioritized_public_2014", "year"),
        ("sia_share_obscene", "period"),
        ("osaka_abuse_share_lasting_1_4_years", "offence"),
        ("okinawa_poverty_rate_2012", "counting_unit"),
        ("police_victims_boys_2014", "source_body"),
        ("carillon_adolescent_homes", "subject_body"),
    ],
)
def test_a_field_taken_out_of_inferred_stops_extraction(
    report: Report, fact_id: str, field: str
) -> None:
    """Mutation: one field dropped from one row's inferred fails, naming fact and field."""
    spec = _without_inferred(load_spec(), fact_id, field)
    with pytest.raises(SpecError, match=rf"fact '{fact_id}': {field} .* list '{field}' in "
                                        "inferred"):
        extract_statistics(report, spec)


def test_a_value_without_words_is_refused() -> None:
    """A new value of a checked field needs its words in the spec's words section."""
    spec = load_spec()
    with pytest.raises(WordingError, match="geography 'Kyoto' has no words"):
        spec.words.wording("geography", "Kyoto")
    assert spec.words.wording("geography", "") is None
    assert spec.words.wording("source_body", "not stated") is None
