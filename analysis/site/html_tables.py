"""Header cells tied to their data cells in the HTML tables pandas writes into notebooks.

``DataFrame.to_html`` (what a notebook shows for a data frame) marks its header cells as
``<th>`` but leaves the browser to guess which data cells each one heads, which is not
enough for WCAG 2 success criterion 1.3.1 once a table has more than one row or column of
headers. The site build rewrites every pandas table (class ``dataframe``) of a notebook's
HTML outputs, on the staged copy of the notebook only:

- a table with one row of column headers and at most one column of row headers, and no
  merged cells, gets ``scope="col"`` on its column headers and ``scope="row"`` on its row
  headers (WCAG technique H63);
- any other table (several levels of column labels, the extra header row pandas writes for
  the index names, several index levels, merged cells) gets an ``id`` on every ``<th>`` and,
  on every ``<td>``, ``headers`` naming the header cells above it in its column and to its
  left in its row (technique H43; ``scope`` is ambiguous there);
- an empty header cell above the row headers (pandas' top-left corner) is named, for screen
  readers only, ``index``; an empty header cell above a data column (pandas' filler in the
  row of index names) heads nothing and becomes a blank data cell.

The HTML is read with the standard library's :mod:`html.parser`; everything outside the
changed start and end tags is kept byte for byte. Tables that already carry ``scope``,
``headers`` or ``id`` on a cell, and tables of other classes, are left as they are.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nbformat

#: The class pandas gives the tables it writes.
PANDAS_TABLE_CLASS = "dataframe"
#: Screen-reader name of an empty header cell above the row headers.
CORNER_NAME = "index"
_CORNER_TEXT = f'<span class="visually-hidden">{CORNER_NAME}</span>'
#: Attributes that show a table's header cells are already tied to its data cells.
_ASSOCIATING = frozenset({"scope", "headers", "id"})
_SECTIONS = frozenset({"thead", "tbody", "tfoot"})


@dataclass
class Cell:
    """One ``<th>`` or ``<td>`` of a table, where it sits in the HTML and in the grid.

    Attributes:
        tag: ``th`` or ``td``.
        start: Offset of its start tag in the HTML.
        tag_text: The start tag as written.
        attrs: Its attributes (name, value).
        header_row: Whether its row is in ``<thead>``.
        row: Its row in the table's grid.
        col: Its first column in the grid (merged cells from rows above skipped).
        rowspan: Rows it covers.
        colspan: Columns it covers.
        empty: Whether it holds nothing but white space.
        end: Offset and text of its end tag, if it has one.
    """

    tag: str
    start: int
    tag_text: str
    attrs: tuple[tuple[str, str | None], ...]
    header_row: bool
    row: int
    col: int = 0
    rowspan: int = 1
    colspan: int = 1
    empty: bool = True
    end: tuple[int, str] | None = None


@dataclass
class HtmlTable:
    """A table's cells, row by row, and where its start tag is."""

    start: int
    attrs: tuple[tuple[str, str | None], ...]
    rows: list[list[Cell]] = field(default_factory=list)

    @property
    def cells(self) -> Iterator[Cell]:
        """Every cell, row by row."""
        return (cell for row in self.rows for cell in row)

    @property
    def is_pandas(self) -> bool:
        """Written by pandas and not yet associated by hand."""
        classes = (dict(self.attrs).get("class") or "").split()
        return PANDAS_TABLE_CLASS in classes and not any(
            name in _ASSOCIATING for cell in self.cells for name, _ in cell.attrs
        )


@dataclass(frozen=True)
class Edit:
    """Replace ``length`` characters at ``start`` with ``text``."""

    start: int
    length: int
    text: str


class _TableReader(HTMLParser):
    """Collect the tables of an HTML fragment with their cells' positions."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self._text = text
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.tables: list[HtmlTable] = []
        self._open: list[HtmlTable] = []
        self._section: list[str] = []
        self._cell: Cell | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a table, a section, a row or a cell; anything else fills the open cell."""
        start, text = self._offset(), self.get_starttag_text() or ""
        if tag == "table":
            if self._cell is not None:
                self._cell.empty = False
            table = HtmlTable(start, tuple(attrs))
            self.tables.append(table)
            self._open.append(table)
            self._section.append("")
        elif not self._open:
            return
        elif tag in _SECTIONS:
            self._section[-1] = tag
        elif tag == "tr":
            self._open[-1].rows.append([])
            self._cell = None
        elif tag in {"th", "td"}:
            table = self._open[-1]
            if not table.rows:
                table.rows.append([])
            self._cell = Cell(tag, start, text, tuple(attrs), self._section[-1] == "thead",
                              len(table.rows) - 1, rowspan=_span(attrs, "rowspan"),
                              colspan=_span(attrs, "colspan"))
            table.rows[-1].append(self._cell)
        elif self._cell is not None:
            self._cell.empty = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closing element (``<br/>``) fills the open cell."""
        if self._cell is not None:
            self._cell.empty = False

    def handle_endtag(self, tag: str) -> None:
        """Close the open cell or table."""
        if tag in {"th", "td"} and self._cell is not None and self._cell.tag == tag:
            start = self._offset()
            close = self._text.find(">", start)
            self._cell.end = (start, self._text[start:close + 1])
            self._cell = None
        elif tag == "table" and self._open:
            self._open.pop()
            self._section.pop()
            self._cell = None

    def handle_data(self, data: str) -> None:
        """Text other than white space fills the open cell."""
        if self._cell is not None and data.strip():
            self._cell.empty = False


def _span(attrs: Sequence[tuple[str, str | None]], name: str) -> int:
    """A cell's rowspan or colspan (1 when absent or not a positive number)."""
    value = dict(attrs).get(name) or "1"
    return int(value) if value.isdigit() and int(value) > 0 else 1


def read_tables(text: str) -> list[HtmlTable]:
    """The tables of an HTML fragment, each cell placed in the table's grid."""
    reader = _TableReader(text)
    reader.feed(text)
    reader.close()
    for table in reader.tables:
        _place(table)
    return reader.tables


def _place(table: HtmlTable) -> None:
    """Give every cell its grid column, skipping positions merged cells above hold."""
    taken: set[tuple[int, int]] = set()
    for row in table.rows:
        col = 0
        for cell in row:
            while (cell.row, col) in taken:
                col += 1
            cell.col = col
            taken.update((r, c) for r in range(cell.row, cell.row + cell.rowspan)
                         for c in range(col, col + cell.colspan))
            col += cell.colspan


def row_header_columns(table: HtmlTable) -> int:
    """How many grid columns of row headers the table's body rows start with."""
    widest = 0
    for row in table.rows:
        if row and not row[0].header_row:
            leading = 0
            for cell in row:
                if cell.tag != "th":
                    break
                leading = cell.col + cell.colspan
            widest = max(widest, leading)
    return widest


def is_simple(table: HtmlTable) -> bool:
    """One header row, at most one leading row-header column, no merged cells."""
    header_rows = [row for row in table.rows if row and row[0].header_row]
    body_rows = [row for row in table.rows if row and not row[0].header_row]
    return (
        len(header_rows) == 1
        and all(cell.rowspan == cell.colspan == 1 for cell in table.cells)
        and all(cell.tag == "td" for row in body_rows for cell in row[1:])
    )


def _with_attributes(tag_text: str, tag: str, extra: Sequence[tuple[str, str]]) -> str:
    """A start tag renamed to ``tag`` with attributes appended, the others as written."""
    name_end = 1 + len(tag_text[1:].split(maxsplit=1)[0].rstrip("/>"))
    close = len(tag_text) - (2 if tag_text.endswith("/>") else 1)
    added = "".join(f' {name}="{html.escape(value)}"' for name, value in extra)
    return f"<{tag}{tag_text[name_end:close]}{added}{tag_text[close:]}"


def table_edits(table: HtmlTable, prefix: str) -> list[Edit]:
    """The edits that tie a pandas table's header cells to its data cells.

    Args:
        table: A table read by :func:`read_tables`.
        prefix: Start of the ids given to its header cells (unique on the page).
    """
    corner = row_header_columns(table)
    blank = [cell for cell in table.cells
             if cell.tag == "th" and cell.empty and cell.header_row and cell.col >= corner]
    for cell in blank:
        cell.tag = "td"
    headers = [cell for cell in table.cells if cell.tag == "th"]
    simple = is_simple(table)
    ids = {id(cell): f"{prefix}-h{index}" for index, cell in enumerate(headers)}
    edits = []
    for cell in table.cells:
        if cell.tag == "th":
            extra = ([("scope", "col" if cell.header_row else "row")] if simple
                     else [("id", ids[id(cell)])])
        elif simple:
            extra = []
        else:
            above_or_left = [ids[id(header)] for header in headers if _heads(header, cell)]
            extra = [("headers", " ".join(above_or_left))] if above_or_left else []
        text = _with_attributes(cell.tag_text, cell.tag, extra)
        if cell.tag == "th" and cell.empty:
            text += _CORNER_TEXT
        if text != cell.tag_text:
            edits.append(Edit(cell.start, len(cell.tag_text), text))
        if cell in blank and cell.end is not None:
            edits.append(Edit(cell.end[0], len(cell.end[1]), "</td>"))
    return edits


def _heads(header: Cell, cell: Cell) -> bool:
    """Whether ``header`` sits above ``cell`` in its columns or left of it in its rows."""
    rows = range(cell.row, cell.row + cell.rowspan)
    cols = range(cell.col, cell.col + cell.colspan)
    above = header.row + header.rowspan <= cell.row and any(
        header.col <= c < header.col + header.colspan for c in cols)
    left = header.col + header.colspan <= cell.col and any(
        header.row <= r < header.row + header.rowspan for r in rows)
    return above or left


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with non-overlapping edits applied."""
    pieces, position = [], 0
    for edit in sorted(edits, key=lambda e: e.start):
        pieces += [text[position:edit.start], edit.text]
        position = edit.start + edit.length
    return "".join(pieces) + text[position:]


def associate_headers(text: str, prefix: str) -> str:
    """An HTML fragment with every pandas table's header cells tied to its data cells.

    Args:
        text: HTML, e.g. a notebook output's ``text/html``.
        prefix: Start of the header cells' ids; table ``n`` uses ``{prefix}-t{n}``.

    Returns:
        The fragment, changed only in the start and end tags of the pandas tables' cells.
    """
    edits = [
        edit
        for number, table in enumerate(t for t in read_tables(text) if t.is_pandas)
        for edit in table_edits(table, f"{prefix}-t{number}")
    ]
    return apply_edits(text, edits) if edits else text


def associate_cell_headers(cell: nbformat.NotebookNode) -> None:
    """Tie the header cells of the pandas tables in a notebook cell's outputs, in place.

    The ids start with the cell's id and the output's index, so they are unique on the
    notebook's page.
    """
    for index, output in enumerate(cell.get("outputs", [])):
        data = output.get("data", {})
        if "text/html" in data:
            source = data["text/html"]
            text = "".join(source) if isinstance(source, list) else source
            data["text/html"] = associate_headers(text, f"df-{cell.get('id', 'cell')}-{index}")
