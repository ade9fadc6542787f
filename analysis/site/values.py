"""Computed values for the note's prose: references, the tables behind them, formats.

The note never types a number. It writes a *reference* instead, inside the ``value`` role
of :mod:`analysis.site.note`::

    {value}`claims:pornography_victims_increased:estimate:.3g`

A reference is ``table:rows:column[:format]``:

- ``table``: ``fact`` (``data/processed/report_statistics.csv``, keyed by ``fact_id``),
  ``claims`` (``figures/claims.csv``, keyed by ``claim_id``), ``check``
  (``data/processed/cross_checks.csv``, keyed by ``check_id``) or ``figure/<name>`` (the
  data of one figure, ``figures/<name>.csv``, read through :func:`figure_table`);
- ``rows``: a key (one row of a keyed table), a filter ``column=value`` or
  ``column!=value`` (several joined by ``&``), or ``*`` (every row);
- ``column``: a column of the table, or ``#`` for the number of rows the filter selects;
- ``format``: how to print it (:func:`format_cell`); empty means the cell's text as stored.

A reference to a cell must select exactly one row with a non-empty cell, unless its format
is ``list`` (every selected row's cell, joined: "a, b and c"). Each resolved value knows
where it came from: the site page and anchor of its row (the dataset row, the claim, the
cross-check, or the figure in the gallery) and the file it was read from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from analysis import paths
from analysis.dataset.numerals import TENS, UNITS
from analysis.pipeline.manifest import load_manifest
from analysis.site.viewer import CsvTable, read_table
from analysis.stats.pvalues import format_probability


class ValueReferenceError(ValueError):
    """A reference that cannot be resolved or formatted (the message names it)."""


@dataclass(frozen=True)
class Source:
    """A table the note may take values from.

    Attributes:
        prefix: The reference's first part (``fact``, ``claims``, ``check``; figures use
            ``figure/<name>``).
        title: What the table is, for the list of sources.
        key: Its key column (empty for a figure's data, whose rows are selected by filter).
        page: The site page that shows it (docname).
        row_anchor: The id of a row on that page, ``{key}`` standing for the row's key.
        table_anchor: The id of the whole table on that page (empty: the page itself).
        link_text: What a link to a row of it says (``the dataset row``).
    """

    prefix: str
    title: str
    key: str
    page: str
    row_anchor: str
    table_anchor: str
    link_text: str


#: The keyed tables, by reference prefix. A figure's data is ``figure/<name>``.
SOURCES: Mapping[str, Source] = MappingProxyType(
    {
        "fact": Source("fact", "the dataset (data/processed/report_statistics.csv)", "fact_id",
                       "dataset", "row-{key}", "statistics", "the row in the dataset"),
        "claims": Source("claims", "the claims table (figures/claims.csv)", "claim_id",
                         "claims", "claim-{key}", "", "the claim on the claims page"),
        "check": Source("check", "the cross-checks (data/processed/cross_checks.csv)",
                        "check_id", "cross-checks", "check-{key}", "cross-checks",
                        "the check on the cross-checks page"),
    }
)
FIGURE_PREFIX = "figure/"
#: The pseudo-column that counts the selected rows.
ROW_COUNT = "#"
#: Formats that are not Python format specifications.
NAMED_FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "words": "a whole number in words up to twenty (\"six\"), in digits above",
        "Words": "the same, capitalised (at the start of a sentence)",
        "p": "a probability: two significant digits, never 0 or 1 (\"< 1e-300\", \"> 0.99\")",
        "list": "the cells of every selected row, joined: \"a, b and c\"",
    }
)
#: Whole numbers in words, zero to twenty (the dataset's numerals).
_WORDS: tuple[str, ...] = (*UNITS, *list(TENS)[:1])
_FILTER = re.compile(r"^(?P<column>[^=!&]+?)(?P<op>!?=)(?P<value>[^&]*)$")


def figure_table(figures_dir: Path, name: str) -> tuple[CsvTable, Path]:
    """The data table of the declared output ``name`` (a figure's data, or a table).

    The one place that knows where an output's data lives: the CSV its notebook declared
    when it saved it, as ``figures/MANIFEST.json`` records it.

    Raises:
        ValueReferenceError: No figure or table of that name is declared, or its CSV is
            missing.
    """
    manifest = load_manifest(Path(figures_dir) / paths.MANIFEST.name)
    record = manifest.record(name)
    if record is None or record.data is None:
        raise ValueReferenceError(f"no figure or table {name!r} declared in {manifest.path}")
    path = Path(figures_dir).parent / record.data
    if not path.is_file():
        raise ValueReferenceError(f"no data {path} for the declared output {name!r}")
    return read_table(path), path


@dataclass(frozen=True)
class Reference:
    """A parsed reference ``table:rows:column[:format]`` (see the module docstring)."""

    table: str
    rows: str
    column: str
    format: str
    text: str

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Parse a reference, checking its shape (not yet its table).

        Raises:
            ValueReferenceError: Not ``table:rows:column[:format]``, an unknown table or format.
        """
        parts = text.strip().split(":")
        if len(parts) not in (3, 4) or not all(part.strip() for part in parts[:3]):
            raise ValueReferenceError(f"{text!r} is not table:rows:column[:format]")
        table, rows, column = (part.strip() for part in parts[:3])
        spec = parts[3].strip() if len(parts) == 4 else ""
        if table not in SOURCES and not (
            table.startswith(FIGURE_PREFIX) and len(table) > len(FIGURE_PREFIX)
        ):
            known = ", ".join([*SOURCES, f"{FIGURE_PREFIX}<name>"])
            raise ValueReferenceError(f"{text!r}: unknown table {table!r} (known: {known})")
        if spec and spec not in NAMED_FORMATS:
            _check_spec(spec, text)
        return cls(table, rows, column, spec, text.strip())

    @property
    def source(self) -> Source:
        """The table's :class:`Source` (a figure's is made from its name)."""
        if self.table in SOURCES:
            return SOURCES[self.table]
        name = self.table[len(FIGURE_PREFIX):]
        return Source(self.table, f"the data of figure {name} (figures/{name}.csv)", "",
                      "figures", f"figure-{name}", f"figure-{name}", "the figure in the gallery")


def _check_spec(spec: str, text: str) -> None:
    """Refuse a format that Python cannot apply to a number."""
    try:
        format(1.5 if not spec.rstrip().endswith(("d", "n")) else 1, spec.removeprefix("abs"))
    except ValueError as exc:
        raise ValueReferenceError(f"{text!r}: bad format {spec!r} ({exc})") from None


@dataclass(frozen=True)
class Link:
    """One linked piece of an inserted value: its text and where it comes from.

    Attributes:
        text: The formatted value.
        page: The site page that shows its source (docname).
        anchor: The id on that page (empty: the page itself).
        source_id: The id of its entry in the list of sources (``fact:<fact_id>``,
            ``claims:<claim_id>``, ``figure/<name>``, or a whole table's prefix).
    """

    text: str
    page: str
    anchor: str
    source_id: str


@dataclass(frozen=True)
class Value:
    """A resolved reference: its links and separators, and the file it was read from."""

    reference: Reference
    parts: tuple[Link | str, ...]
    file: Path

    @property
    def text(self) -> str:
        """The value as printed."""
        return "".join(part if isinstance(part, str) else part.text for part in self.parts)


@dataclass(frozen=True)
class SourceEntry:
    """One entry of the note's list of sources: a row (or a whole table) values came from."""

    source_id: str
    title: str
    detail: str
    page: str
    anchor: str
    link_text: str


def whole(text: str) -> int:
    """``text`` as a whole number (``"6"``, ``"6.0"``).

    Raises:
        ValueReferenceError: Not a whole number.
    """
    try:
        number = float(text)
    except ValueError:
        raise ValueReferenceError(f"{text!r} is not a number") from None
    if not number.is_integer():
        raise ValueReferenceError(f"{text!r} is not a whole number")
    return int(number)


def format_cell(text: str, spec: str) -> str:
    """Format one cell.

    Args:
        text: The cell as stored.
        spec: Empty (the text as stored), a named format (:data:`NAMED_FORMATS`, ``list``
            excepted: it joins cells, see :meth:`Tables.resolve`) or a Python format
            specification applied to the number, optionally prefixed by ``abs`` (its
            absolute value: ``abs.1f``); ``d`` and ``n`` specifications need a whole number.

    Raises:
        ValueReferenceError: The cell is empty, or not a number where one is needed.
    """
    if not text.strip():
        raise ValueReferenceError("the cell is empty")
    if spec in ("", "list"):
        return text
    if spec in ("words", "Words"):
        number = whole(text)
        word = _WORDS[number] if 0 <= number < len(_WORDS) else f"{number:,}"
        return word[:1].upper() + word[1:] if spec == "Words" else word
    if spec == "p":
        return _probability(text)
    absolute = spec.startswith("abs")
    spec = spec.removeprefix("abs")
    try:
        number = float(text)
    except ValueError:
        raise ValueReferenceError(f"{text!r} is not a number (format {spec!r})") from None
    if math.isnan(number):
        raise ValueReferenceError("the cell is not a number (NaN)")
    number = abs(number) if absolute else number
    if spec.endswith(("d", "n")):
        return format(whole(str(number)), spec)
    return format(number, spec)


def _probability(text: str) -> str:
    """A p-value or probability: two significant digits, never printed as 0 or 1."""
    try:
        value = float(text)
    except ValueError:
        raise ValueReferenceError(f"{text!r} is not a probability") from None
    if not 0 <= value <= 1:
        raise ValueReferenceError(f"{text!r} is not a probability")
    return format_probability(value)


def join_words(items: list[str]) -> list[str]:
    """Separators between listed items: ``["", ", ", " and "]`` for three items."""
    return ["" if i == 0 else (" and " if i == len(items) - 1 else ", ") for i in range(len(items))]


@dataclass
class Tables:
    """The tables references read, each loaded once; remembers every file it read.

    Attributes:
        processed: The folder of the processed tables (``data/processed``).
        figures: The folder of the figures and their data (``figures``).
        files: Every file read so far (the note's inputs).
    """

    processed: Path = paths.PROCESSED_DIR
    figures: Path = paths.FIGURES_DIR
    files: set[Path] = field(default_factory=set)
    _loaded: dict[str, tuple[CsvTable, Path]] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> tuple[CsvTable, Path]:
        """The table named by a reference's first part, and its file."""
        if name not in self._loaded:
            if name == "fact":
                path = Path(self.processed) / "report_statistics.csv"
                loaded = (read_table(path), path)
            elif name == "check":
                path = Path(self.processed) / "cross_checks.csv"
                loaded = (read_table(path), path)
            elif name == "claims":
                loaded = figure_table(self.figures, "claims")
            else:
                loaded = figure_table(self.figures, name[len(FIGURE_PREFIX):])
            self._loaded[name] = loaded
            self.files.add(loaded[1].resolve())
        return self._loaded[name]

    def resolve(self, text: str) -> Value:
        """Resolve and format one reference.

        Raises:
            ValueReferenceError: The reference is malformed, names an unknown table, column or row,
                selects no row (or several, for a single cell), or its cell cannot be
                formatted; the message names the reference.
        """
        reference = Reference.parse(text)
        try:
            return self._resolve(reference)
        except ValueReferenceError as exc:
            message = str(exc)
            if reference.text not in message:
                message = f"{reference.text!r}: {message}"
            raise ValueReferenceError(message) from None

    def _resolve(self, reference: Reference) -> Value:
        table, path = self.table(reference.table)
        source = reference.source
        rows = self._select(table, reference, source)
        if reference.column == ROW_COUNT:
            if reference.format == "list":
                raise ValueReferenceError("a row count cannot be listed")
            text = format_cell(str(len(rows)), reference.format)
            link = Link(text, source.page, source.table_anchor, source.prefix)
            return Value(reference, (link,), path)
        if reference.column not in table.header:
            raise ValueReferenceError(
                f"no column {reference.column!r} in {path.name} (columns: "
                f"{', '.join(table.header)})"
            )
        if not rows:
            raise ValueReferenceError(f"no row of {path.name} matches {reference.rows!r}")
        if len(rows) > 1 and reference.format != "list":
            raise ValueReferenceError(
                f"{len(rows)} rows of {path.name} match {reference.rows!r}; a cell needs one "
                "(or the format 'list')"
            )
        links = [self._link(row, reference, source) for row in rows]
        parts: list[Link | str] = []
        for separator, link in zip(join_words([link.text for link in links]), links,
                                   strict=True):
            parts += [separator, link] if separator else [link]
        return Value(reference, tuple(parts), path)

    @staticmethod
    def _select(table: CsvTable, reference: Reference, source: Source) -> list[dict[str, str]]:
        """The rows a reference selects."""
        selector = reference.rows
        if selector == "*":
            return list(table.rows)
        if "=" not in selector:
            if not source.key:
                raise ValueReferenceError(
                    f"{reference.table} has no key column: select rows with column=value"
                )
            return [row for row in table.rows if row.get(source.key) == selector]
        chosen = list(table.rows)
        for condition in selector.split("&"):
            match = _FILTER.match(condition.strip())
            if match is None:
                raise ValueReferenceError(
                    f"bad filter {condition!r} (column=value or column!=value)"
                )
            column, value = match["column"].strip(), match["value"].strip()
            if column not in table.header:
                raise ValueReferenceError(f"no column {column!r} to filter on")
            equal = match["op"] == "="
            chosen = [row for row in chosen if (row.get(column, "") == value) == equal]
        return chosen

    @staticmethod
    def _link(row: Mapping[str, str], reference: Reference, source: Source) -> Link:
        """The link of one selected row's cell."""
        text = format_cell(row.get(reference.column, ""), reference.format)
        if source.key:
            key = row[source.key]
            return Link(text, source.page, source.row_anchor.format(key=key),
                        f"{source.prefix}:{key}")
        return Link(text, source.page, source.row_anchor, source.prefix)

    def keys(self, name: str, rows: str) -> list[str]:
        """The keys of the rows ``rows`` selects in the keyed table ``name``, in table order.

        Raises:
            ValueReferenceError: The table has no key, or the selection is malformed.
        """
        reference = Reference.parse(f"{name}:{rows}:{ROW_COUNT}")
        source = reference.source
        if not source.key:
            raise ValueReferenceError(f"{name} has no key column: a value-table needs one")
        table, _ = self.table(name)
        return [row[source.key] for row in self._select(table, reference, source)]

    def entry(self, source_id: str) -> SourceEntry:
        """The list-of-sources entry of ``source_id`` (a :attr:`Link.source_id`).

        A dataset row gives its paragraph, footnote and the report's words it was parsed
        from; a claim its label, paragraph and the report's words; a cross-check its
        description and outcome; a figure or a whole table its file.
        """
        prefix, _, key = source_id.partition(":")
        source = (Reference(prefix, "*", ROW_COUNT, "", source_id).source)
        if not key:
            anchor = source.table_anchor
            return SourceEntry(source_id, source.title[:1].upper() + source.title[1:], "",
                               source.page, anchor, f"{source.page} page")
        table, _ = self.table(prefix)
        row = next(row for row in table.rows if row.get(source.key) == key)
        where = _where(row)
        if prefix == "fact":
            title, detail = row["indicator"], f"{where}: \u201c{row['evidence']}\u201d"
        elif prefix == "claims":
            title, detail = row["label"], f"{where}: \u201c{row['report_text']}\u201d"
        else:
            title = row["description"]
            detail = f"outcome {row['outcome'] or 'none'} (expected {row['expected']})"
        return SourceEntry(source_id, f"{key}: {title}", detail, source.page,
                           source.row_anchor.format(key=key), source.link_text)


def _where(row: Mapping[str, str]) -> str:
    """``para. 38`` or ``para. 8, footnote 3`` of a row."""
    where = f"para. {row.get('paragraph', '')}".strip()
    footnote = row.get("footnote", "")
    return f"{where}, footnote {footnote}" if footnote else where
