"""Cross-checks of the report's figures against each other, declared in YAML.

``data/cross_checks.yaml`` lists every check: the facts it compares, its kind (see
:data:`analysis.dataset.schema.CHECK_KINDS`), the outcome expected from reading the report
and why. A check expected to hold (or to show a discrepancy) quotes the report's words that
make the relation necessary (``report_words``); :func:`verify_report_words` finds each in the
report (the build runs it). Without
such words a check is informational. This module loads and evaluates them. A check that
must hold and fails, or an expected discrepancy that has disappeared, stops the build
(:class:`CrossCheckError`): the data or the extraction changed. An informational check only
reports: ``agrees``/``differs`` for a comparison, ``note`` otherwise, never ``fails``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from analysis import paths
from analysis.dataset.schema import CHECK_EXPECTATIONS, CHECK_KINDS, CROSS_CHECKS
from analysis.io import YamlFileError, load_yaml

#: Columns of ``cross_checks.csv``, in order.
CROSS_CHECK_COLUMNS: tuple[str, ...] = CROSS_CHECKS.columns

#: How ``cross_checks.csv`` joins the facts of a side (``a x b`` for an implied count).
FACT_SEPARATOR = " + "
_KEYS = frozenset({"check_id", "kind", "description", "left", "right", "expected", "why"})
_OPTIONAL_KEYS = frozenset({"report_words"})
#: Outcomes that are not discrepancies (a check that holds, a rounding that is consistent,
#: an informational comparison whose figures agree).
AGREEING_OUTCOMES: frozenset[str] = frozenset({"holds", "consistent", "agrees"})
_PASSING = MappingProxyType({
    "holds": AGREEING_OUTCOMES,
    "discrepancy": {"fails", "impossible", "differs"},
    "informational": {"agrees", "differs", "note"},
})


class CrossCheckError(AssertionError):
    """A cross-check's outcome differs from what the report's figures give."""


class CrossCheckSpecError(ValueError):
    """``cross_checks.yaml`` is malformed or names an unknown fact; names check and field."""


@dataclass(frozen=True)
class CrossCheck:
    """One cross-check of ``data/cross_checks.yaml``.

    Attributes:
        check_id: Stable identifier.
        kind: One of :data:`analysis.dataset.schema.CHECK_KINDS`.
        description: What is compared, in words.
        left: Fact ids summed on the left (the parts, the count or the percentage).
        right: Fact ids summed on the right (the whole, the percentage or the count).
        expected: ``holds``, ``discrepancy`` or ``informational``.
        why: Why the check has this kind and expectation.
        report_words: The report's words that make the relation necessary (verbatim); empty
            for an informational check.
    """

    check_id: str
    kind: str
    description: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    expected: str
    why: str = ""
    report_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckOutcome:
    """What evaluating a check gives: the outcome, the numbers behind it, the remainder."""

    outcome: str
    detail: str
    difference: float | None


def load_cross_checks(
    path: Path = paths.CROSS_CHECKS_SPEC, fact_ids: Sequence[str] | None = None
) -> tuple[CrossCheck, ...]:
    """Load and check the cross-check declarations.

    Args:
        path: The YAML file.
        fact_ids: Known fact ids; when given, every fact a check names must be one of them.

    Returns:
        The checks, in file order.

    Raises:
        CrossCheckSpecError: Missing or unknown keys, a duplicate id, an unknown kind or
            expectation, an unknown fact, or a check expected to hold without the report's
            words (or an informational one with them); the message names the file, the
            check and the field.
    """
    try:
        document = load_yaml(path, top_level={"checks"})
    except YamlFileError as error:
        raise CrossCheckSpecError(str(error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("checks"), list):
        raise CrossCheckSpecError(f"{path}: expected a mapping with a 'checks' list")
    known = set(fact_ids) if fact_ids is not None else None
    checks: list[CrossCheck] = []
    for index, entry in enumerate(document["checks"]):
        check = _check_entry(entry, f"{path}: check #{index + 1}", known)
        if any(c.check_id == check.check_id for c in checks):
            raise CrossCheckSpecError(f"{path}: check {check.check_id!r}: duplicate check_id")
        checks.append(check)
    return tuple(checks)


def _check_entry(entry: Any, where: str, known: set[str] | None) -> CrossCheck:
    if not isinstance(entry, dict):
        raise CrossCheckSpecError(f"{where}: expected a mapping")
    if "check_id" in entry:
        where = f"{where.split(': check')[0]}: check {entry['check_id']!r}"
    missing, unknown = _KEYS - set(entry), set(entry) - _KEYS - _OPTIONAL_KEYS
    if missing or unknown:
        raise CrossCheckSpecError(
            f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}"
        )
    if entry["kind"] not in CHECK_KINDS:
        raise CrossCheckSpecError(f"{where}, field 'kind': unknown kind {entry['kind']!r}")
    if entry["expected"] not in CHECK_EXPECTATIONS:
        raise CrossCheckSpecError(
            f"{where}, field 'expected': must be one of {CHECK_EXPECTATIONS}"
        )
    for side in ("left", "right"):
        facts = entry[side]
        if not isinstance(facts, list):
            raise CrossCheckSpecError(f"{where}, field '{side}': must be a list of fact ids")
        strangers = [f for f in facts if known is not None and f not in known]
        if strangers:
            raise CrossCheckSpecError(f"{where}, field '{side}': unknown fact(s) {strangers}")
    if not entry["left"] or (not entry["right"]) != entry["kind"].startswith("shares"):
        raise CrossCheckSpecError(
            f"{where}, field 'right': empty exactly for the shares kinds, and left non-empty"
        )
    if entry["kind"] == "implied_count" and (
        entry["expected"] != "informational" or len(entry["left"]) < 2
    ):
        raise CrossCheckSpecError(
            f"{where}, field 'left': implied_count needs a count and at least one "
            "percentage, and is informational"
        )
    words = _report_words(entry, where)
    return CrossCheck(
        check_id=str(entry["check_id"]),
        kind=entry["kind"],
        description=" ".join(str(entry["description"]).split()),
        left=tuple(entry["left"]),
        right=tuple(entry["right"]),
        expected=entry["expected"],
        why=" ".join(str(entry["why"]).split()),
        report_words=words,
    )


def _report_words(entry: dict[str, Any], where: str) -> tuple[str, ...]:
    """The check's quoted words: required unless informational, none if informational."""
    words = entry.get("report_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise CrossCheckSpecError(f"{where}, field 'report_words': must be a list of quotes")
    if (entry["expected"] == "informational") == bool(words):
        raise CrossCheckSpecError(
            f"{where}, field 'report_words': a check expected to hold (or to show a "
            "discrepancy) quotes the report's words that make the relation necessary; an "
            "informational one quotes none"
        )
    return tuple(" ".join(w.split()) for w in words)


def verify_report_words(checks: Sequence[CrossCheck], report_text: str) -> None:
    """Check that every check's ``report_words`` are the report's words.

    Args:
        checks: The checks.
        report_text: The raw report (compared with white space folded).

    Raises:
        CrossCheckSpecError: A quote the report does not contain; names the check.
    """
    folded = " ".join(report_text.split())
    for check in checks:
        absent = [words for words in check.report_words if words not in folded]
        if absent:
            raise CrossCheckSpecError(
                f"cross-check {check.check_id!r}, field 'report_words': not in the report: "
                f"{absent}"
            )


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _decimals(value: float) -> int:
    text = _fmt(value)
    return len(text.split(".")[1]) if "." in text else 0


def _compare(check: CrossCheck, left: float, right: float) -> CheckOutcome:
    """Kinds ``equal`` and ``comparison``."""
    difference = right - left
    if check.kind == "equal" and check.expected != "informational":
        return CheckOutcome("holds" if left == right else "fails",
                       f"{_fmt(left)} vs {_fmt(right)}", difference)
    return CheckOutcome("agrees" if left == right else "differs",
                   f"{_fmt(left)} vs {_fmt(right)} (difference {_fmt(difference)})", difference)


def _bound(check: CrossCheck, left: float, right: float) -> CheckOutcome:
    """Kinds ``part_of_whole``, ``shares_within_100`` and ``shares_sum``."""
    difference = right - left
    within = left <= right
    detail = (
        f"parts {_fmt(left)} of {_fmt(right)}; not stated: {_fmt(difference)}"
        if within
        else f"parts {_fmt(left)} exceed {_fmt(right)} by {_fmt(-difference)}"
    )
    if check.kind == "shares_sum":
        return CheckOutcome("note", f"shares add up to {_fmt(left)} per cent (no bound: "
                               "categories may overlap)", None)
    if check.expected == "informational":
        return CheckOutcome("note", detail, difference)
    return CheckOutcome("holds" if within else "fails", detail, difference)


def _rounding(check: CrossCheck, left: float, right: float) -> CheckOutcome:
    """Kinds ``implied_total`` and ``rounding_consistent_count``."""
    if check.kind == "implied_total":
        count, percent = left, right
        half = 0.5 * 10 ** -_decimals(percent)
        low, high = count / ((percent + half) / 100), count / ((percent - half) / 100)
        point = count / (percent / 100)
        what = "totals"
    else:
        percent, whole = left, right
        half = 0.5 * 10 ** -_decimals(percent)
        low, high = whole * (percent - half) / 100, whole * (percent + half) / 100
        point = whole * percent / 100
        what = "counts"
    values = range(math.ceil(low), math.floor(high) + 1)
    detail = (
        f"point {point:.1f}; whole-number {what} consistent with rounding to "
        f"{_decimals(percent)} decimal(s): "
        + (f"{values.start}-{values.stop - 1}" if len(values) else "none")
    )
    if check.expected == "informational":
        return CheckOutcome("note", detail, None)
    return CheckOutcome("consistent" if len(values) else "impossible", detail, None)


def _implied_count(check: CrossCheck, values: pd.Series) -> tuple[float, str]:
    """Kind ``implied_count``: the first left fact times each following percentage."""
    count = float(values[check.left[0]])
    product = count
    for fact in check.left[1:]:
        product *= float(values[fact]) / 100
    shown = " x ".join([_fmt(count), *(f"{_fmt(float(values[f]))} %" for f in check.left[1:])])
    return product, f"{shown} = {product:.1f}"


def evaluate(check: CrossCheck, values: pd.Series) -> dict[str, object]:
    """Compute one check's outcome.

    Args:
        check: The check.
        values: Fact values indexed by ``fact_id`` (numbers).

    Returns:
        One row of the cross-check table (keys :data:`CROSS_CHECK_COLUMNS`; ``paragraphs``
        is left empty for :func:`run_cross_checks` to fill).

    Raises:
        KeyError: A fact the check uses is not in ``values``.
    """
    missing = [f for f in (*check.left, *check.right) if f not in values.index]
    if missing:
        raise KeyError(f"cross-check {check.check_id!r} uses unknown facts {missing}")
    left = float(sum(values[f] for f in check.left))
    right = float(sum(values[f] for f in check.right)) if check.right else 100.0
    if check.kind == "implied_count":
        left, shown = _implied_count(check, values)
        compared = _compare(check, left, right)
        result = CheckOutcome(compared.outcome, f"{shown} vs {_fmt(right)} (difference "
                              f"{right - left:.1f})", right - left)
    elif check.kind in {"equal", "comparison"}:
        result = _compare(check, left, right)
    elif check.kind in {"implied_total", "rounding_consistent_count"}:
        result = _rounding(check, left, right)
    else:
        result = _bound(check, left, right)
    return {
        "check_id": check.check_id,
        "kind": check.kind,
        "description": check.description,
        "paragraphs": "",
        "left_facts": (" x " if check.kind == "implied_count" else FACT_SEPARATOR).join(
            check.left),
        "right_facts": FACT_SEPARATOR.join(check.right),
        "left_value": left,
        "right_value": right if check.right else "",
        "difference": "" if result.difference is None else result.difference,
        "expected": check.expected,
        "outcome": result.outcome,
        "detail": result.detail,
        "why": check.why,
        "report_words": " | ".join(check.report_words),
    }


def run_cross_checks(
    statistics: pd.DataFrame, checks: Sequence[CrossCheck] | None = None
) -> pd.DataFrame:
    """Run the cross-checks on the statistics table.

    Args:
        statistics: The statistics table (``fact_id``, ``value``, ``paragraph``, ...).
        checks: The checks to run (default: those of ``data/cross_checks.yaml``, checked
            against the table's fact ids).

    Returns:
        One row per check (columns :data:`CROSS_CHECK_COLUMNS`), in the order given.

    Raises:
        CrossCheckError: A check expected to hold fails, or an expected discrepancy has
            disappeared; the message names the check and the numbers.
    """
    if checks is None:
        checks = load_cross_checks(fact_ids=list(statistics["fact_id"]))
    values = pd.to_numeric(statistics.set_index("fact_id")["value"])
    paragraphs = statistics.set_index("fact_id")["paragraph"].astype(str)
    rows = []
    for check in checks:
        row = evaluate(check, values)
        used = sorted({int(paragraphs[f]) for f in (*check.left, *check.right)})
        row["paragraphs"] = " ".join(str(p) for p in used)
        if row["outcome"] not in _PASSING[check.expected]:
            raise CrossCheckError(
                f"cross-check {check.check_id!r}: expected {check.expected!r}, got "
                f"{row['outcome']} ({row['detail']})"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CROSS_CHECK_COLUMNS))
