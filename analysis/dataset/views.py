"""Analysis-ready views of the long statistics table.

Notebooks call these instead of filtering the long table by hand. Every view keeps the
provenance of each number (``fact_id``, ``paragraph``, ``footnote``) and names its value
column after what is counted (victims, cases, offenders...), because the report's figures
are in different units and must not be mixed.

Example:
    >>> from analysis.dataset.validate import load_statistics
    >>> victims_by_year_offence(load_statistics()).shape
    (4, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import paths
from analysis.dataset.validate import load_statistics

_PROVENANCE = ["fact_id", "paragraph", "footnote"]


def fact_value(statistics: pd.DataFrame, fact_id: str) -> float:
    """Return one fact's value.

    Args:
        statistics: The statistics table (see :func:`analysis.dataset.validate.load_statistics`).
        fact_id: The fact.

    Returns:
        Its value.

    Raises:
        KeyError: No such fact (the message names it).
    """
    match = statistics.loc[statistics["fact_id"] == fact_id, "value"]
    if match.empty:
        raise KeyError(f"fact_id {fact_id!r} is not in the statistics table")
    return float(match.iloc[0])


def facts(statistics: pd.DataFrame, fact_ids: list[str]) -> pd.DataFrame:
    """Return the rows of the given facts, in the order given.

    Args:
        statistics: The statistics table.
        fact_ids: Facts to select.

    Returns:
        The selected rows.

    Raises:
        KeyError: A fact is missing (all missing ones are named).
    """
    missing = [f for f in fact_ids if f not in set(statistics["fact_id"])]
    if missing:
        raise KeyError(f"fact_id(s) {missing} are not in the statistics table")
    indexed = statistics.set_index("fact_id", drop=False)
    return indexed.loc[fact_ids].reset_index(drop=True)


def _view(
    statistics: pd.DataFrame, labels: Mapping[str, Mapping[str, Any]], value_name: str
) -> pd.DataFrame:
    rows = facts(statistics, list(labels))
    frame = pd.DataFrame([dict(labels[f]) for f in labels])
    frame[value_name] = rows["value"].to_numpy()
    for column in _PROVENANCE:
        frame[column] = rows[column].array
    return frame


def victims_by_year_offence(statistics: pd.DataFrame) -> pd.DataFrame:
    """Police-registered child victims by year and offence (para. 38).

    Returns:
        Columns ``year``, ``offence``, ``victims`` and provenance; four rows.
    """
    labels = {
        f"police_victims_{offence}_{year}": {"year": year, "offence": f"child {offence}"}
        for offence in ("pornography", "prostitution")
        for year in (2010, 2014)
    }
    return _view(statistics, labels, "victims")


def victims_by_sex(statistics: pd.DataFrame, source: str = "paragraph") -> pd.DataFrame:
    """Child victims of sexual exploitation in 2014 by sex.

    Args:
        statistics: The statistics table.
        source: ``"paragraph"`` for para. 38 (National Police Agency) or ``"footnote"`` for
            footnote 3 (Government of Japan); the two agree (see the cross-checks).

    Returns:
        Columns ``year``, ``sex``, ``victims`` and provenance; two rows.

    Raises:
        ValueError: Unknown ``source``.
    """
    if source not in {"paragraph", "footnote"}:
        raise ValueError(f"source must be 'paragraph' or 'footnote', got {source!r}")
    suffix = "" if source == "paragraph" else "_fn3"
    prefix = "police_victims" if source == "paragraph" else "victims"
    labels = {
        f"{prefix}_{sex}_2014{suffix}": {"year": 2014, "sex": sex} for sex in ("girls", "boys")
    }
    return _view(statistics, labels, "victims")


def referrals_by_year_offence(statistics: pd.DataFrame) -> pd.DataFrame:
    """Cases referred for prosecution by year and offence (footnote 13, para. 38).

    Returns:
        Columns ``year``, ``offence``, ``cases`` and provenance; four rows.
    """
    labels = {
        f"referrals_{offence}_{year}": {"year": year, "offence": f"child {offence}"}
        for offence in ("pornography", "prostitution")
        for year in (2010, 2014)
    }
    return _view(statistics, labels, "cases")


def prosecution_outcomes_2013(statistics: pd.DataFrame) -> pd.DataFrame:
    """Cases received by prosecutors in 2013 and how they were disposed of (para. 41).

    Returns:
        Columns ``stage`` (received, opened for prosecution, dropped), ``cases`` and
        provenance.
    """
    labels = {
        "prosecution_cases_received_2013": {"stage": "received"},
        "prosecution_cases_opened_2013": {"stage": "opened for prosecution"},
        "prosecution_cases_dropped_2013": {"stage": "dropped"},
    }
    return _view(statistics, labels, "cases")


def convictions_by_year(statistics: pd.DataFrame) -> pd.DataFrame:
    """Offenders convicted at first instance, 2010 and 2014 (para. 41, judicial statistics).

    Returns:
        Columns ``year``, ``offenders`` and provenance.
    """
    labels = {f"convictions_first_instance_{y}": {"year": y} for y in (2010, 2014)}
    return _view(statistics, labels, "offenders")


def sentences_2014(statistics: pd.DataFrame) -> pd.DataFrame:
    """The 141 convictions of 2014 by sentence (para. 41, Supreme Court data).

    Returns:
        Columns ``sentence``, ``convictions``, ``derived`` and provenance. The rows are the
        convictions (total), unsuspended, suspended and probation (a subset of suspended)
        as stated, plus two derived rows: suspended without probation (suspended minus
        probation) and "not stated" (total minus unsuspended minus suspended). Derived rows
        have ``derived`` True and no ``fact_id``.
    """
    labels = {
        "sentences_convictions_2014": {"sentence": "all convictions"},
        "sentences_unsuspended_2014": {"sentence": "imprisonment, not suspended"},
        "sentences_suspended_2014": {"sentence": "suspended"},
        "sentences_probation_2014": {"sentence": "suspended, with probation"},
    }
    frame = _view(statistics, labels, "convictions")
    frame["derived"] = False
    total, unsuspended, suspended, probation = frame["convictions"].tolist()
    derived = pd.DataFrame(
        [
            {"sentence": "suspended, without probation", "convictions": suspended - probation},
            {"sentence": "not stated", "convictions": total - unsuspended - suspended},
        ]
    ).assign(fact_id="", paragraph=41, footnote=pd.NA, derived=True)
    return pd.concat([frame, derived], ignore_index=True)


def sia_funnel(statistics: pd.DataFrame) -> pd.DataFrame:
    """Safer Internet Association cases as at July 2015: received, illegal, hosted abroad.

    Returns:
        Columns ``stage``, ``cases`` and provenance (para. 45).
    """
    labels = {
        "sia_cases_received": {"stage": "received and monitored"},
        "sia_cases_illegal": {"stage": "found illegal"},
        "sia_cases_hosted_abroad": {"stage": "hosted outside Japan"},
    }
    return _view(statistics, labels, "cases")


def sia_content_shares(statistics: pd.DataFrame) -> pd.DataFrame:
    """Shares of illegal and harmful content by type reported to the Association (para. 45).

    Returns:
        Columns ``content_type``, ``percent``, ``qualifier`` and provenance.
    """
    labels = {
        "sia_share_obscene": {"content_type": "obscene expressions"},
        "sia_share_child_abuse_material": {"content_type": "child abuse material"},
        "sia_share_revenge_porn": {"content_type": "revenge porn"},
    }
    frame = _view(statistics, labels, "percent")
    frame.insert(2, "qualifier", facts(statistics, list(labels))["qualifier"].to_numpy())
    return frame


def topic_table(statistics: pd.DataFrame, topic: str) -> pd.DataFrame:
    """All facts of one topic with their indicator, value, unit and provenance.

    Args:
        statistics: The statistics table.
        topic: E.g. ``"internet_hotline_centre"``, ``"blocking_list"``,
            ``"osaka_crisis_centre"``, ``"institutions"``.

    Returns:
        Columns ``fact_id``, ``indicator``, ``value``, ``unit``, ``qualifier``,
        ``counting_unit``, ``year``, ``period``, ``paragraph``, ``footnote``, in report order.

    Raises:
        KeyError: No fact has that topic (the known topics are listed).
    """
    rows = statistics[statistics["topic"] == topic]
    if rows.empty:
        known = sorted(statistics["topic"].unique())
        raise KeyError(f"topic {topic!r} not found; known topics: {known}")
    columns = ["fact_id", "indicator", "value", "unit", "qualifier", "counting_unit", "year",
               "period", "paragraph", "footnote"]
    return rows.loc[:, columns].reset_index(drop=True)


def load(path: str | None = None) -> pd.DataFrame:
    """Load the validated statistics table (a notebook's ``data_path`` parameter).

    Args:
        path: CSV path; empty or ``None`` means ``data/processed/report_statistics.csv``.

    Returns:
        The typed table (see :func:`analysis.dataset.validate.load_statistics`).
    """
    return load_statistics(paths.STATISTICS_CSV if not path else paths.ROOT / path)


def load_table(path: str | Path) -> pd.DataFrame:
    """Read one of the processed tables (audit, cross-checks...) as strings.

    Args:
        path: The CSV file.

    Returns:
        The table, every column as text, empty cells as ``""``.
    """
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def topic_summary(statistics: pd.DataFrame) -> pd.DataFrame:
    """How many figures each topic has, in which paragraphs and units.

    Returns:
        Columns ``topic``, ``figures``, ``paragraphs`` (e.g. ``"38, 41"``), ``units``;
        topics in order of first appearance in the report.
    """
    rows = []
    for topic, part in statistics.groupby("topic", sort=False):
        rows.append(
            {
                "topic": topic,
                "figures": len(part),
                "paragraphs": ", ".join(str(p) for p in sorted(part["paragraph"].unique())),
                "units": ", ".join(sorted(part["unit"].unique())),
            }
        )
    return pd.DataFrame(rows)


def figures_by_paragraph(statistics: pd.DataFrame) -> pd.DataFrame:
    """Number of figures per paragraph (footnote figures counted at the citing paragraph).

    Returns:
        Columns ``paragraph`` (label such as ``"para. 38"``), ``figures``, ``in_footnotes``.
    """
    grouped = statistics.assign(in_footnote=statistics["footnote"].notna()).groupby(
        "paragraph", sort=True
    )
    return pd.DataFrame(
        {
            "paragraph": [f"para. {p}" for p in grouped.size().index],
            "figures": grouped.size().to_numpy(),
            "in_footnotes": grouped["in_footnote"].sum().to_numpy().astype(int),
        }
    )


def check_years(frame: pd.DataFrame, **years: int) -> None:
    """Check that year parameters name years present in a view.

    Args:
        frame: A view with a ``year`` column.
        **years: Parameter name -> year, e.g. ``baseline_year=2010``.

    Raises:
        ValueError: A year the view has no data for; the message names the parameter, the
            value and the available years.
    """
    available = sorted(int(y) for y in frame["year"].unique())
    for name, year in years.items():
        if year not in available:
            raise ValueError(f"{name}={year!r}: the report gives figures for {available} only")
