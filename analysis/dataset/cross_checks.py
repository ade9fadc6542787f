"""Cross-checks of the report's figures against each other.

Each check is computed from the statistics table. Its *expected* outcome was fixed once, by
reading the report: most are relations that must hold (a part never exceeds its whole, two
statements of the same total agree), a few are real discrepancies of the report that are
recorded, not "fixed". If a check's outcome ever differs from its expectation, the data or
the extraction changed and :func:`run_cross_checks` raises.

Kinds:
    ``equal``: two sums must be equal.
    ``part_of_whole``: the sum of the parts must not exceed the whole; the remainder
        (whole minus parts) is reported as "not stated".
    ``shares_within_100``: percentages of one whole must not add up to more than 100.
    ``implied_total``: a percentage given beside its count implies a total; the range of
        whole numbers consistent with the printed rounding is reported.
    ``same_quantity``: two sources state what may be the same quantity; any difference is
        reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

CROSS_CHECK_COLUMNS: tuple[str, ...] = (
    "check_id",
    "kind",
    "description",
    "paragraphs",
    "left_facts",
    "right_facts",
    "left_value",
    "right_value",
    "difference",
    "expected",
    "outcome",
    "detail",
)


class CrossCheckError(AssertionError):
    """A cross-check's outcome differs from what the report's figures give."""


@dataclass(frozen=True)
class CrossCheck:
    """One cross-check.

    Attributes:
        check_id: Stable identifier.
        kind: See the module docstring.
        description: What is compared, in words.
        left: Fact ids summed on the left (the parts, or the count).
        right: Fact ids summed on the right (the whole, or the percentage).
        expected: ``holds``, ``discrepancy`` or ``informational``.
    """

    check_id: str
    kind: str
    description: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    expected: str


#: The cross-checks, in the order of the report.
CROSS_CHECKS: tuple[CrossCheck, ...] = (
    CrossCheck(
        "victims_2014_girls_boys_fn3_vs_para38", "equal",
        "Girls and boys among 2014 child victims: footnote 3 and paragraph 38 agree",
        ("victims_girls_2014_fn3", "victims_boys_2014_fn3"),
        ("police_victims_girls_2014", "police_victims_boys_2014"), "holds",
    ),
    CrossCheck(
        "victims_2014_by_offence_vs_by_sex", "equal",
        "2014 victims by offence (pornography + prostitution) equal 2014 victims by sex "
        "(girls + boys)",
        ("police_victims_pornography_2014", "police_victims_prostitution_2014"),
        ("police_victims_girls_2014", "police_victims_boys_2014"), "holds",
    ),
    CrossCheck(
        "prosecution_2013_disposed_within_received", "part_of_whole",
        "2013: cases opened for prosecution plus cases dropped do not exceed cases received",
        ("prosecution_cases_opened_2013", "prosecution_cases_dropped_2013"),
        ("prosecution_cases_received_2013",), "holds",
    ),
    CrossCheck(
        "sentences_2014_within_convictions", "part_of_whole",
        "2014: unsuspended plus suspended sentences do not exceed convictions",
        ("sentences_unsuspended_2014", "sentences_suspended_2014"),
        ("sentences_convictions_2014",), "holds",
    ),
    CrossCheck(
        "probation_within_suspended_2014", "part_of_whole",
        "2014: sentences with probation are among the suspended sentences",
        ("sentences_probation_2014",), ("sentences_suspended_2014",), "holds",
    ),
    CrossCheck(
        "convictions_2014_judicial_vs_supreme_court", "same_quantity",
        "2014 convictions: judicial statistics (offenders convicted at first instance) vs "
        "Supreme Court data (convictions for violations of the Act)",
        ("convictions_first_instance_2014",), ("sentences_convictions_2014",), "discrepancy",
    ),
    CrossCheck(
        "sia_illegal_within_received", "part_of_whole",
        "Safer Internet Association: illegal cases do not exceed cases received",
        ("sia_cases_illegal",), ("sia_cases_received",), "holds",
    ),
    CrossCheck(
        "sia_hosted_abroad_within_illegal", "part_of_whole",
        "Safer Internet Association: cases hosted abroad do not exceed illegal cases",
        ("sia_cases_hosted_abroad",), ("sia_cases_illegal",), "holds",
    ),
    CrossCheck(
        "sia_content_shares_within_100", "shares_within_100",
        "Safer Internet Association: shares of content types (obscene, child abuse material, "
        "revenge porn) add up to at most 100 per cent",
        ("sia_share_obscene", "sia_share_child_abuse_material", "sia_share_revenge_porn"), (),
        "holds",
    ),
    CrossCheck(
        "sia_removal_requests_vs_illegal", "part_of_whole",
        "Safer Internet Association: removal requests compared with illegal cases (requests "
        "may also concern harmful content or several per case, so exceeding is possible)",
        ("sia_removal_requests",), ("sia_cases_illegal",), "informational",
    ),
    CrossCheck(
        "ihc_prioritized_within_reports_2014", "part_of_whole",
        "Internet Hotline Centre 2014: prioritized reports do not exceed reports received",
        ("ihc_prioritized_public_2014", "ihc_prioritized_inhope_2014"), ("ihc_reports_2014",),
        "holds",
    ),
    CrossCheck(
        "naha_sexual_abuse_implied_total_2013", "implied_total",
        "Naha centre 2013: 24 cases of sexual abuse are 6.9 per cent of all cases, which "
        "implies the centre's total caseload",
        ("naha_sexual_abuse_cases_2013",), ("naha_sexual_abuse_share_2013",), "informational",
    ),
    CrossCheck(
        "osaka_medical_files_within_visits", "part_of_whole",
        "Osaka centre: visits that led to a medical file do not exceed visits",
        ("osaka_medical_files",), ("osaka_visits",), "holds",
    ),
    CrossCheck(
        "osaka_age_shares_within_100", "shares_within_100",
        "Osaka centre: shares of victims under 9 and aged 10-19 add up to at most 100 per cent",
        ("osaka_share_victims_under_9", "osaka_share_victims_10_19"), (), "holds",
    ),
    CrossCheck(
        "osaka_arrests_within_abuse_cases", "part_of_whole",
        "Osaka centre: abuse cases with an arrest do not exceed abuse cases",
        ("osaka_abuse_arrests",), ("osaka_abuse_cases",), "holds",
    ),
    CrossCheck(
        "population_children_within_total", "part_of_whole",
        "Children under 18 do not exceed the total population",
        ("population_children_under_18",), ("population_total",), "holds",
    ),
    CrossCheck(
        "population_under_5_within_under_18", "part_of_whole",
        "Children under 5 do not exceed children under 18",
        ("population_children_under_5",), ("population_children_under_18",), "holds",
    ),
    CrossCheck(
        "okinawa_child_poverty_vs_national", "same_quantity",
        "Okinawa's 2012 child poverty rate compared with the national child poverty rate "
        "(the report compares the overall rate with a national average it does not state)",
        ("okinawa_child_poverty_rate_2012",), ("child_poverty_rate_national",),
        "informational",
    ),
)  # fmt: skip


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def evaluate(check: CrossCheck, values: pd.Series) -> dict[str, object]:
    """Compute one check's outcome.

    Args:
        check: The check.
        values: Fact values indexed by ``fact_id`` (numbers).

    Returns:
        One row of the cross-check table (keys :data:`CROSS_CHECK_COLUMNS`).

    Raises:
        KeyError: A fact the check uses is not in ``values``.
    """
    missing = [f for f in (*check.left, *check.right) if f not in values.index]
    if missing:
        raise KeyError(f"cross-check {check.check_id!r} uses unknown facts {missing}")
    left = float(sum(values[f] for f in check.left))
    right = float(sum(values[f] for f in check.right)) if check.right else 100.0
    difference = right - left
    detail = ""
    if check.kind == "equal":
        outcome = "holds" if left == right else "fails"
        detail = f"{_fmt(left)} vs {_fmt(right)}"
    elif check.kind in {"part_of_whole", "shares_within_100"}:
        outcome = "holds" if left <= right else "fails"
        detail = (
            f"parts {_fmt(left)} of {_fmt(right)}; not stated: {_fmt(difference)}"
            if outcome == "holds"
            else f"parts {_fmt(left)} exceed {_fmt(right)} by {_fmt(-difference)}"
        )
    elif check.kind == "same_quantity":
        outcome = "agrees" if left == right else "differs"
        detail = f"{_fmt(left)} vs {_fmt(right)} (difference {_fmt(difference)})"
    elif check.kind == "implied_total":
        count, percent = left, right
        decimals = _decimals(_fmt(percent))
        half = 0.5 * 10**-decimals
        low = count / ((percent + half) / 100)
        high = count / ((percent - half) / 100)
        totals = range(math.ceil(low), math.floor(high) + 1)
        outcome = "consistent" if len(totals) else "impossible"
        detail = (
            f"point {count / (percent / 100):.1f}; whole-number totals consistent with "
            f"rounding to {decimals} decimal(s): {totals.start}-{totals.stop - 1}"
        )
        difference = float("nan")
    else:  # pragma: no cover - guarded by the tests on CROSS_CHECKS
        raise ValueError(f"unknown check kind {check.kind!r}")
    return {
        "check_id": check.check_id,
        "kind": check.kind,
        "description": check.description,
        "paragraphs": "",
        "left_facts": " + ".join(check.left),
        "right_facts": " + ".join(check.right),
        "left_value": left,
        "right_value": right if check.right else "",
        "difference": "" if math.isnan(difference) else difference,
        "expected": check.expected,
        "outcome": outcome,
        "detail": detail,
    }


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _expected_outcomes(check: CrossCheck) -> set[str]:
    if check.expected == "holds":
        return {"holds", "agrees", "consistent"}
    if check.expected == "discrepancy":
        return {"fails", "differs", "impossible"}
    return {"holds", "fails", "agrees", "differs", "consistent", "impossible"}


def run_cross_checks(
    statistics: pd.DataFrame, checks: tuple[CrossCheck, ...] = CROSS_CHECKS
) -> pd.DataFrame:
    """Run the cross-checks on the statistics table.

    Args:
        statistics: The statistics table (``fact_id``, ``value``, ``paragraph``, ...).
        checks: The checks to run.

    Returns:
        One row per check (columns :data:`CROSS_CHECK_COLUMNS`), in the order given.

    Raises:
        CrossCheckError: A check expected to hold fails, or an expected discrepancy has
            disappeared; the message names the check and the numbers.
    """
    values = pd.to_numeric(statistics.set_index("fact_id")["value"])
    paragraphs = statistics.set_index("fact_id")["paragraph"].astype(str)
    rows = []
    for check in checks:
        row = evaluate(check, values)
        used = sorted({int(paragraphs[f]) for f in (*check.left, *check.right)})
        row["paragraphs"] = " ".join(str(p) for p in used)
        if row["outcome"] not in _expected_outcomes(check):
            raise CrossCheckError(
                f"cross-check {check.check_id!r}: expected it to {check.expected}, got "
                f"{row['outcome']} ({row['detail']})"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CROSS_CHECK_COLUMNS))
