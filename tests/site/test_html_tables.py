"""Tests of analysis.site.html_tables on tables written by pandas itself.

The expected ``scope``, ``id`` and ``headers`` values are typed by hand from the tables'
layout; HTML_CodeSniffer checks the same associations in the browser test of every page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nbformat
import pandas as pd

from analysis.site.html_tables import associate_cell_headers, associate_headers


class _Cells(HTMLParser):
    """Every th/td of an HTML fragment: tag, attributes and text, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, dict[str, str | None], str]]] = []
        self._cell: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in {"th", "td"}:
            self._cell = [tag, dict(attrs), ""]
            self.rows[-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"th", "td"} and self._cell is not None:
            self.rows[-1][-1] = tuple(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[2] += data.strip()


def _cells(text: str) -> list[list[tuple[str, dict[str, str | None], str]]]:
    parser = _Cells()
    parser.feed(text)
    return parser.rows


def _undo(text: str) -> str:
    """The fragment without what associate_headers adds (to compare the rest byte for byte)."""
    text = re.sub(r' (?:scope|id|headers)="[^"]*"', "", text)
    return text.replace('<span class="visually-hidden">index</span>', "")


def test_a_simple_table_gets_scopes() -> None:
    """One header row and one index column: scope col/row; the corner named; rest unchanged."""
    source = pd.DataFrame({"year": [2010, 2014], "victims": [614, 746]}).to_html()
    result = associate_headers(source, "p")
    rows = _cells(result)
    assert [(tag, attrs.get("scope"), text) for tag, attrs, text in rows[0]] == [
        ("th", "col", "index"), ("th", "col", "year"), ("th", "col", "victims")]
    assert [(tag, attrs.get("scope"), text) for tag, attrs, text in rows[1]] == [
        ("th", "row", "0"), ("td", None, "2010"), ("td", None, "614")]
    assert not any("headers" in attrs or "id" in attrs for row in rows for _, attrs, _ in row)
    assert _undo(result) == source


def test_a_named_index_gets_ids_and_headers() -> None:
    """The index-names row makes two header rows: ids and headers; the filler is a blank td."""
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="k"))
    rows = _cells(associate_headers(frame.to_html(), "p"))
    assert [(tag, attrs, text) for tag, attrs, text in rows[0]] == [
        ("th", {"id": "p-t0-h0"}, "index"), ("th", {"id": "p-t0-h1"}, "a")]
    assert rows[1] == [("th", {"id": "p-t0-h2"}, "k"),
                       ("td", {"headers": "p-t0-h1 p-t0-h2"}, "")]
    assert rows[2] == [("th", {"id": "p-t0-h3"}, "x"),
                       ("td", {"headers": "p-t0-h1 p-t0-h3"}, "1")]
    assert rows[3] == [("th", {"id": "p-t0-h4"}, "y"),
                       ("td", {"headers": "p-t0-h1 p-t0-h4"}, "2")]


def test_merged_header_cells_head_every_cell_they_span() -> None:
    """Column levels (colspan) and index levels (rowspan): each td names all its headers."""
    frame = pd.DataFrame(
        [[1, 2], [3, 4], [5, 6]],
        index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)]),
        columns=pd.MultiIndex.from_product([["A"], ["x", "y"]]),
    )
    source = frame.to_html()
    assert 'rowspan="2"' in source and 'colspan="2"' in source
    result = associate_headers(source, "p")
    rows = _cells(result)
    headers = {text: attrs["headers"] for row in rows for tag, attrs, text in row if tag == "td"}
    # ids: row 0 corner h0 h1, A h2; row 1 corner h3 h4, x h5, y h6; a h7 (2 rows), 1 h8;
    # 2 h9; b h10, 1 h11.
    assert headers == {
        "1": "p-t0-h2 p-t0-h5 p-t0-h7 p-t0-h8", "2": "p-t0-h2 p-t0-h6 p-t0-h7 p-t0-h8",
        "3": "p-t0-h2 p-t0-h5 p-t0-h7 p-t0-h9", "4": "p-t0-h2 p-t0-h6 p-t0-h7 p-t0-h9",
        "5": "p-t0-h2 p-t0-h5 p-t0-h10 p-t0-h11", "6": "p-t0-h2 p-t0-h6 p-t0-h10 p-t0-h11",
    }
    assert [text for _, _, text in rows[1]] == ["index", "index", "x", "y"]
    assert not any("scope" in attrs for row in rows for _, attrs, _ in row)
    assert _undo(result) == source


def test_other_tables_and_the_rest_of_the_html_are_kept() -> None:
    """A table of another class, or already associated, is left as it is; ids are per table."""
    own = '<table class="data-table"><tr><th>a</th></tr><tr><td>1</td></tr></table>'
    scoped = pd.DataFrame({"a": [1]}).to_html().replace("<th>a</th>", '<th scope="col">a</th>')
    two = pd.DataFrame({"a": [1]}).to_html()
    text = f"<p>before &amp; <b>after</b></p>{own}{scoped}{two}{two}<br/>end"
    result = associate_headers(text, "p")
    assert result.startswith(f"<p>before &amp; <b>after</b></p>{own}{scoped}")
    assert result.endswith("<br/>end")
    assert result.count('scope="col"') == 1 + 2 * 2 and result.count('scope="row"') == 2
    frame = pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name="k")).to_html()
    both = associate_headers(frame + frame, "p")
    assert 'id="p-t0-h0"' in both and 'id="p-t1-h0"' in both
    assert len(re.findall(r'id="([^"]+)"', both)) == len(set(re.findall(r'id="([^"]+)"', both)))


def test_a_notebook_cell_is_rewritten_in_place_with_its_id() -> None:
    """Each HTML output (string or list of lines) is rewritten; ids carry cell id and output."""
    frame = pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name="k")).to_html()
    cell = nbformat.v4.new_code_cell("frame")
    cell.id = "c1"
    cell.outputs = [
        nbformat.v4.new_output("stream", text="no table"),
        nbformat.v4.new_output("execute_result", data={"text/html": frame.splitlines(True)}),
    ]
    associate_cell_headers(cell)
    html = cell.outputs[1]["data"]["text/html"]
    assert isinstance(html, str) and 'id="df-c1-1-t0-h0"' in html
    assert cell.outputs[0]["text"] == "no table"
