"""Analysis-ready views of the long statistics table.

Notebooks call these instead of filtering the long table by hand. Every view keeps the
provenance of each number (``fact_id``, ``paragraph``, ``footnote``) and names its value
column after what is counted (victims, cases, offenders...), because the report's figures
are in different units and must not be mixed. Counts are whole numbers (integers).

No view double counts: a figure the report states twice (``duplicate_of``) appears at most
once in a view, and summaries count it once (:func:`distinct`). Figures are added only by
:func:`sum_figures` (and :func:`totals_by_breakdown`), which refuse what would count one
total twice: a restated row, rows of different units, counting units or breakdowns (the
2014 victims by offence and by sex are the same 1,212 children), rows that split nothing,
and a category with the category it belongs to. Rows whose wording allows two readings
(``reading == "ambiguous"``) are listed by :func:`ambiguous_readings`.

Every fact id a view reads is written out literally, so that searching the code for a fact
id finds every reader.

Example:
    >>> from analysis.dataset.validate import load_statistics
    >>> victims_by_year_offence(load_statistics()).shape
    (4, 6)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from analysis import paths
from analysis.dataset.cross_checks import FACT_SEPARATOR
from analysis.dataset.schema import OFFENCES
from analysis.dataset.validate import load_statistics

_PROVENANCE = ("fact_id", "paragraph", "footnote")
_WHOLE_UNITS = frozenset({"count", "rank", "years", "days"})
#: Columns :func:`topic_table` shows by default.
TOPIC_COLUMNS: tuple[str, ...] = (
    "fact_id", "indicator", "value", "unit", "qualifier", "counting_unit", "year", "period",
    "paragraph", "footnote",
)  # fmt: skip


def display_values(frame: pd.DataFrame, column: str = "value") -> pd.Series:
    """Return a value column with whole counts as integers, other values as floats.

    Args:
        frame: Rows of the statistics table (``unit`` and the value column).
        column: The value column.

    Returns:
        An object column: ``3844`` for a count, ``86.8`` for a percentage.
    """
    return pd.Series(
        [
            int(v) if unit in _WHOLE_UNITS and float(v).is_integer() else float(v)
            for v, unit in zip(frame[column], frame["unit"], strict=True)
        ],
        index=frame.index,
        dtype=object,
        name=column,
    )


def fact_count(statistics: pd.DataFrame, fact_id: str) -> int:
    """Return one fact's value as a whole number (a count).

    Args:
        statistics: The statistics table.
        fact_id: A fact whose unit is ``count``.

    Returns:
        Its value as an integer.

    Raises:
        KeyError: No such fact.
        ValueError: The fact is not a whole count.
    """
    value = fact_value(statistics, fact_id)
    unit = statistics.loc[statistics["fact_id"] == fact_id, "unit"].iloc[0]
    if unit != "count" or not value.is_integer():
        raise ValueError(f"fact_id {fact_id!r} is not a whole count ({value:g} {unit})")
    return int(value)


def distinct(statistics: pd.DataFrame) -> pd.DataFrame:
    """Return the table without the rows that restate a figure (``duplicate_of`` filled).

    Sum or count figures only over this table: the report states the 2014 girls and boys
    twice (footnote 3 and para. 38).
    """
    return statistics[statistics["duplicate_of"] == ""].reset_index(drop=True)


def ambiguous_readings(statistics: pd.DataFrame) -> pd.DataFrame:
    """The rows whose wording allows two readings, with both.

    Returns:
        Columns ``fact_id``, ``paragraph``, ``value`` and ``qualifier`` (the reading the row
        records), ``alt_value``, ``alt_qualifier``, ``alt_scope`` (the other reading) and
        ``note``.
    """
    rows = statistics[statistics["reading"] == "ambiguous"].reset_index(drop=True)
    frame = rows.loc[:, ["fact_id", "paragraph", "value", "qualifier", "alt_value",
                         "alt_qualifier", "alt_scope", "note"]].copy()
    frame["value"] = display_values(rows)
    frame["alt_value"] = [
        "" if pd.isna(v) else (int(v) if float(v).is_integer() else v) for v in rows["alt_value"]
    ]
    return frame


def restatements(statistics: pd.DataFrame) -> pd.DataFrame:
    """Rows that restate a figure, beside the statement that is counted instead.

    Returns:
        Columns ``fact_id``, ``paragraph``, ``footnote``, ``source_body`` (of the restating
        row), ``duplicate_of`` (the counted row), ``kept_paragraph``, ``kept_footnote``,
        ``kept_source_body``, ``value``.
    """
    kept = statistics.set_index("fact_id")
    rows = statistics[statistics["duplicate_of"] != ""].reset_index(drop=True)
    return pd.DataFrame(
        {
            "fact_id": rows["fact_id"],
            "paragraph": rows["paragraph"],
            "footnote": rows["footnote"],
            "source_body": rows["source_body"],
            "duplicate_of": rows["duplicate_of"],
            "kept_paragraph": [kept.loc[f, "paragraph"] for f in rows["duplicate_of"]],
            "kept_footnote": pd.array([kept.loc[f, "footnote"] for f in rows["duplicate_of"]],
                                      dtype="Int64"),
            "kept_source_body": [kept.loc[f, "source_body"] for f in rows["duplicate_of"]],
            "value": display_values(rows).to_numpy(),
        }
    )


def _nested_pairs(relations: pd.DataFrame) -> set[frozenset[str]]:
    """Pairs of facts one of which is part of the other, or whose categories may overlap.

    From the cross-checks: each part of a ``part_of_whole`` check with each fact of its
    whole, and the shares of a ``shares_sum`` check with one another (both sides of such
    checks are facts joined by :data:`~analysis.dataset.cross_checks.FACT_SEPARATOR`).
    """
    pairs: set[frozenset[str]] = set()
    for row in relations.to_dict("records"):
        left = row["left_facts"].split(FACT_SEPARATOR)
        right = row["right_facts"].split(FACT_SEPARATOR)
        if row["kind"] == "part_of_whole":
            pairs |= {frozenset((a, b)) for a in left for b in right}
        elif row["kind"] == "shares_sum":
            pairs |= {frozenset((a, b)) for a in left for b in left if a != b}
    return pairs


def sum_figures(
    statistics: pd.DataFrame, fact_ids: list[str], relations: pd.DataFrame | None = None
) -> float:
    """Add figures, refusing every sum that would count one total twice.

    Args:
        statistics: The statistics table.
        fact_ids: The figures to add.
        relations: The cross-check table (default: ``data/processed/cross_checks.csv``),
            whose ``part_of_whole`` and ``shares_sum`` checks say which figures nest or may
            overlap.

    Returns:
        The sum of their values.

    Raises:
        KeyError: A fact is missing.
        ValueError: A row restates another (``duplicate_of``); the rows differ in unit,
            counting unit or breakdown (the 2014 victims by offence and by sex are one total
            split two ways); two or more rows have no breakdown (they are not categories of
            one split); or one figure is part of another or may overlap it (the cross-checks
            say so: probation within the suspended sentences, children under 5 within those
            under 18). The message names the rows.
    """
    rows = facts(statistics, list(fact_ids))
    restated = rows.loc[rows["duplicate_of"] != "", "fact_id"].tolist()
    if restated:
        raise ValueError(f"{restated} restate other rows (duplicate_of): add the rows they name")
    for column in ("unit", "counting_unit", "breakdown"):
        values = dict(zip(rows["fact_id"], rows[column], strict=True))
        if len(set(values.values())) > 1:
            raise ValueError(
                f"cannot add rows of different {column}s ({values}): "
                + ("they split one total along different dimensions and count it twice"
                   if column == "breakdown" else "they count different things")
            )
    if len(rows) > 1 and (rows["breakdown"] == "").all():
        raise ValueError(
            f"{rows['fact_id'].tolist()} have no breakdown: the data records them as no "
            "categories of one split (a part-of-whole cross-check says what they are part of)"
        )
    table = relations if relations is not None else load_table(paths.CROSS_CHECKS_CSV)
    nested = _nested_pairs(table)
    clash = [sorted(pair) for pair in nested if pair <= set(rows["fact_id"])]
    if clash:
        raise ValueError(
            f"{sorted(clash)}: one is part of the other or they may overlap (see the "
            "cross-checks); their sum counts some cases twice"
        )
    return float(rows["value"].sum())


def totals_by_breakdown(
    statistics: pd.DataFrame, fact_ids: list[str], relations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The sum of the given figures within each breakdown, never across breakdowns.

    Args:
        statistics: The statistics table.
        fact_ids: Figures with a breakdown (e.g. the distinct 2014 police_victims rows).
        relations: See :func:`sum_figures`.

    Returns:
        Columns ``breakdown``, ``facts`` (space-separated), ``total``; one row per breakdown,
        in order of first appearance. Each total is checked by :func:`sum_figures`.

    Raises:
        ValueError: See :func:`sum_figures` (for the figures of one breakdown).
    """
    rows = facts(statistics, list(fact_ids))
    out = []
    for breakdown, part in rows.groupby("breakdown", sort=False):
        ids = part["fact_id"].tolist()
        total = sum_figures(statistics, ids, relations)
        out.append({"breakdown": breakdown, "facts": " ".join(ids),
                    "total": int(total) if total.is_integer() else total})
    return pd.DataFrame(out)


def offence_summary(statistics: pd.DataFrame) -> pd.DataFrame:
    """How many distinct figures each offence of the controlled list has.

    Returns:
        Columns ``offence``, ``figures``, ``paragraphs``, ``covers`` (what the label
        covers); offences in the order of the controlled list, those without figures left
        out.
    """
    rows = []
    table = distinct(statistics)
    for offence, covers in OFFENCES.items():
        part = table[table["offence"] == offence]
        if len(part):
            rows.append({
                "offence": offence,
                "figures": len(part),
                "paragraphs": ", ".join(str(p) for p in sorted(part["paragraph"].unique())),
                "covers": covers,
            })
    return pd.DataFrame(rows)


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


def facts(
    statistics: pd.DataFrame, fact_ids: list[str], columns: list[str] | None = None
) -> pd.DataFrame:
    """Return the rows of the given facts, in the order given.

    Args:
        statistics: The statistics table.
        fact_ids: Facts to select.
        columns: Columns to keep (default: all); ``value`` shows counts as integers.

    Returns:
        The selected rows.

    Raises:
        KeyError: A fact is missing (all missing ones are named).
    """
    missing = [f for f in fact_ids if f not in set(statistics["fact_id"])]
    if missing:
        raise KeyError(f"fact_id(s) {missing} are not in the statistics table")
    indexed = statistics.set_index("fact_id", drop=False)
    rows = indexed.loc[fact_ids].reset_index(drop=True)
    if columns is None:
        return rows
    shown = rows.loc[:, list(columns)].copy()
    if "value" in shown:
        shown["value"] = display_values(rows)
    return shown


def _view(
    statistics: pd.DataFrame, labels: Mapping[str, Mapping[str, Any]], value_name: str
) -> pd.DataFrame:
    rows = facts(statistics, list(labels))
    frame = pd.DataFrame([dict(labels[f]) for f in labels])
    whole = rows["unit"].isin(_WHOLE_UNITS).all() and (rows["value"] % 1 == 0).all()
    frame[value_name] = rows["value"].astype(int if whole else float).to_numpy()
    for column in _PROVENANCE:
        frame[column] = rows[column].array
    return frame


def victims_by_year_offence(statistics: pd.DataFrame) -> pd.DataFrame:
    """Police-registered child victims by year and offence (para. 38).

    Returns:
        Columns ``year``, ``offence``, ``victims`` and provenance; four rows.
    """
    labels = {
        "police_victims_pornography_2010": {"year": 2010, "offence": "child pornography"},
        "police_victims_pornography_2014": {"year": 2014, "offence": "child pornography"},
        "police_victims_prostitution_2010": {"year": 2010, "offence": "child prostitution"},
        "police_victims_prostitution_2014": {"year": 2014, "offence": "child prostitution"},
    }
    return _view(statistics, labels, "victims")


#: The 2014 victims by sex, by where the report states them.
_VICTIMS_BY_SEX: Mapping[str, Mapping[str, Mapping[str, Any]]] = MappingProxyType({
    "paragraph": {
        "police_victims_girls_2014": {"year": 2014, "sex": "girls"},
        "police_victims_boys_2014": {"year": 2014, "sex": "boys"},
    },
    "footnote": {
        "victims_girls_2014_fn3": {"year": 2014, "sex": "girls"},
        "victims_boys_2014_fn3": {"year": 2014, "sex": "boys"},
    },
})


def victims_by_sex(statistics: pd.DataFrame, source: str = "paragraph") -> pd.DataFrame:
    """Child victims of sexual exploitation in 2014 by sex.

    Args:
        statistics: The statistics table.
        source: ``"paragraph"`` for para. 38 (National Police Agency; the rows counted) or
            ``"footnote"`` for footnote 3 (Government of Japan; marked duplicate_of them);
            the two agree (see the cross-checks).

    Returns:
        Columns ``year``, ``sex``, ``victims`` and provenance; two rows.

    Raises:
        ValueError: Unknown ``source``.
    """
    if source not in _VICTIMS_BY_SEX:
        raise ValueError(f"source must be 'paragraph' or 'footnote', got {source!r}")
    return _view(statistics, _VICTIMS_BY_SEX[source], "victims")


def referrals_by_year_offence(statistics: pd.DataFrame) -> pd.DataFrame:
    """Cases referred for prosecution by year and offence (footnote 13, para. 38).

    Returns:
        Columns ``year``, ``offence``, ``cases`` and provenance; four rows.
    """
    labels = {
        "referrals_pornography_2010": {"year": 2010, "offence": "child pornography"},
        "referrals_pornography_2014": {"year": 2014, "offence": "child pornography"},
        "referrals_prostitution_2010": {"year": 2010, "offence": "child prostitution"},
        "referrals_prostitution_2014": {"year": 2014, "offence": "child prostitution"},
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
    labels = {
        "convictions_first_instance_2010": {"year": 2010},
        "convictions_first_instance_2014": {"year": 2014},
    }
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


def topic_table(
    statistics: pd.DataFrame,
    topic: str,
    columns: list[str] | tuple[str, ...] = TOPIC_COLUMNS,
    unit: str | None = None,
) -> pd.DataFrame:
    """The facts of one topic with their indicator, value, unit and provenance.

    Args:
        statistics: The statistics table.
        topic: E.g. ``"internet_hotline_centre"``, ``"blocking_list"``,
            ``"osaka_crisis_centre"``, ``"institutions"``.
        columns: Columns to show (default :data:`TOPIC_COLUMNS`).
        unit: Keep only facts of this unit (e.g. ``"count"``, ``"percent"``).

    Returns:
        The rows in report order; ``value`` shows counts as integers. Restated figures
        (``duplicate_of``) are left out.

    Raises:
        KeyError: No fact has that topic (the known topics are listed), or no fact of the
            topic has that unit.
    """
    rows = distinct(statistics)
    rows = rows[rows["topic"] == topic]
    if rows.empty:
        known = sorted(statistics["topic"].unique())
        raise KeyError(f"topic {topic!r} not found; known topics: {known}")
    if unit is not None:
        rows = rows[rows["unit"] == unit]
        if rows.empty:
            raise KeyError(f"topic {topic!r} has no figure in unit {unit!r}")
    shown = rows.loc[:, list(columns)].reset_index(drop=True)
    if "value" in shown:
        shown["value"] = display_values(rows.reset_index(drop=True))
    return shown


def load(path: str | None = None) -> pd.DataFrame:
    """Load the validated statistics table (a notebook's ``data_path`` parameter).

    Args:
        path: CSV path; empty or ``None`` means ``data/processed/report_statistics.csv``.

    Returns:
        The typed table (see :func:`analysis.dataset.validate.load_statistics`).
    """
    return load_statistics(paths.STATISTICS_CSV if not path else paths.ROOT / path)


def load_table(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one of the processed tables (audit, cross-checks...) as strings.

    Args:
        path: The CSV file.
        columns: Columns to keep (default: all).

    Returns:
        The table, every column as text, empty cells as ``""``.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return table if columns is None else table.loc[:, list(columns)]


def topic_summary(statistics: pd.DataFrame) -> pd.DataFrame:
    """How many figures each topic has, in which paragraphs and units.

    Returns:
        Columns ``topic``, ``figures`` (distinct figures: a restated one counts once),
        ``restated`` (rows that restate a figure counted in another row), ``paragraphs`` (e.g.
        ``"38, 41"``), ``units``; topics in order of first appearance in the report.
    """
    rows = []
    for topic, part in statistics.groupby("topic", sort=False):
        restated = int((part["duplicate_of"] != "").sum())
        rows.append(
            {
                "topic": topic,
                "figures": len(part) - restated,
                "restated": restated,
                "paragraphs": ", ".join(str(p) for p in sorted(part["paragraph"].unique())),
                "units": ", ".join(sorted(part["unit"].unique())),
            }
        )
    return pd.DataFrame(rows)


def figures_by_paragraph(statistics: pd.DataFrame) -> pd.DataFrame:
    """Number of figures per paragraph (footnote figures counted at the citing paragraph).

    A figure the report states twice is counted once, at the row that is counted (the one
    ``duplicate_of`` names).

    Returns:
        Columns ``paragraph`` (label such as ``"para. 38"``), ``figures``, ``in_footnotes``.
    """
    table = distinct(statistics)
    grouped = table.assign(in_footnote=table["footnote"].notna()).groupby(
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
