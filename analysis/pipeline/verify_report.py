"""Show how a re-run's outputs differ from the committed ones, as one HTML page.

:func:`write_verify_report` takes the committed tree, the re-run tree and the outputs whose
bytes differ, and writes ``build/verify/index.html``: a self-contained page (images inlined,
every text escaped, no date, no absolute path) that is byte-identical for the same inputs.
What each kind of output shows is declared once in :data:`KINDS`:

- a PNG figure: the committed, the new and the difference image side by side
  (:func:`matplotlib.testing.compare.save_diff_image`), the number of changed pixels and the
  RMS difference; a file that no longer decodes is shown by its first differing byte;
- an SVG figure: both drawings and the text diff (:mod:`difflib`);
- a CSV table: the changed cells by row key and column, committed vs new, plus added and
  removed rows and columns (the key is the table's ``primaryKey`` in ``data/datapackage.json``,
  else its first column, else the row number);
- a notebook: the cell-level diff of sources, outputs and metadata (:mod:`nbdime`);
- ``figures/MANIFEST.json``: which input digests, output digests and parameters changed;
- anything else: a text diff, or for binary files sizes, digests and the first differing byte.
"""

from __future__ import annotations

import base64
import csv
import difflib
import fnmatch
import hashlib
import html
import io
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.testing.compare as mpl_compare
import nbformat
import numpy as np
from nbdime import diff_notebooks
from nbdime.prettyprint import PrettyPrintConfig, pretty_print_diff
from PIL import Image

from analysis import paths
from analysis.io import atomic_write

#: Kind of each output, by the first matching pattern on its path relative to the root.
KINDS: tuple[tuple[str, str], ...] = (
    ("figures/MANIFEST.json", "manifest"),
    ("*.ipynb", "notebook"),
    ("*.csv", "table"),
    ("*.png", "image"),
    ("*.svg", "svg"),
    ("*.json", "text"),
    ("*.txt", "text"),
    ("*.md", "text"),
    ("*.html", "text"),
    ("*.yaml", "text"),
)
#: The data package (table schemas, primary keys), relative to a tree's root.
_DATAPACKAGE: Path = paths.DATAPACKAGE.relative_to(paths.ROOT)
#: Longest text diff shown per file (lines); the rest is counted, not shown.
MAX_DIFF_LINES = 400
#: Longest list of changed cells or rows shown per table.
MAX_TABLE_ROWS = 200

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:110em;color:#222}
h2{font-size:1.1em;font-family:monospace;border-top:1px solid #ccc;padding-top:1em}
.summary{font-weight:bold}.side{display:flex;gap:1em;flex-wrap:wrap}
figure{margin:0;max-width:32%}figure img{max-width:100%;border:1px solid #ccc}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.2em .5em}
.old{background:#fdd}.new{background:#dfd}
"""


@dataclass(frozen=True)
class Pair:
    """One differing output: its path relative to the roots and its two versions.

    Attributes:
        rel: Path relative to both roots (POSIX form), e.g. ``figures/claims.csv``.
        committed: The committed file.
        new: The re-run's file.
        committed_root: The committed tree (for ``data/datapackage.json``).
    """

    rel: str
    committed: Path
    new: Path
    committed_root: Path


@dataclass(frozen=True)
class Change:
    """A differing output, rendered.

    Attributes:
        rel: Its relative path.
        kind: Its kind (see :data:`KINDS`).
        summary: One line saying what changed.
        body: An HTML fragment showing the change (all text escaped).
    """

    rel: str
    kind: str
    summary: str
    body: str


def write_verify_report(
    committed_root: Path,
    rerun_root: Path,
    differing: Sequence[str],
    out_dir: Path,
    *,
    missing: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> Path:
    """Write ``out_dir/index.html`` showing how each differing output changed.

    Args:
        committed_root: The committed tree (the project's working tree).
        rerun_root: The tree the re-run wrote (verify's scratch copy).
        differing: Paths, relative to both roots, whose bytes differ.
        out_dir: Folder for the page (``build/verify``); created if needed.
        missing: Outputs the re-run did not produce (listed only).
        extra: Outputs only the re-run produced (listed only).

    Returns:
        The path of the page written.
    """
    pairs = [
        Pair(rel, committed_root / rel, rerun_root / rel, committed_root)
        for rel in sorted(differing)
    ]
    changes = [describe(pair) for pair in pairs]
    page = render_page(changes, sorted(missing), sorted(extra))
    target = Path(out_dir) / "index.html"
    atomic_write(target, page)
    return target


def kind_of(rel: str) -> str:
    """Return the kind of an output path, from :data:`KINDS` (``binary`` when none match)."""
    for pattern, kind in KINDS:
        if fnmatch.fnmatch(rel, pattern):
            return kind
    return "binary"


def describe(pair: Pair) -> Change:
    """Render one differing output according to its kind."""
    kind = kind_of(pair.rel)
    for side, path in (("committed", pair.committed), ("re-run", pair.new)):
        if not path.is_file():
            return Change(pair.rel, kind, f"absent from the {side} tree", "")
    summary, body = RENDERERS[kind](pair)
    return Change(pair.rel, kind, summary, body)


# ---- figures -----------------------------------------------------------------------------


def _data_uri(data: bytes, mediatype: str) -> str:
    return f"data:{mediatype};base64,{base64.b64encode(data).decode('ascii')}"


def _figures(items: Sequence[tuple[str, bytes | None, str]]) -> str:
    cells = []
    for caption, data, mediatype in items:
        picture = (
            f'<img alt="{html.escape(caption)}" src="{_data_uri(data, mediatype)}">'
            if data is not None
            else "<p>(none)</p>"
        )
        cells.append(f"<figure>{picture}<figcaption>{html.escape(caption)}</figcaption></figure>")
    return f'<div class="side">{"".join(cells)}</div>'


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def _diff_image(committed: Path, new: Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="verify-diff-") as folder:
        output = Path(folder) / "diff.png"
        mpl_compare.save_diff_image(str(committed), str(new), str(output))
        return output.read_bytes()


def _render_image(pair: Pair) -> tuple[str, str]:
    old_bytes, new_bytes = pair.committed.read_bytes(), pair.new.read_bytes()
    try:
        old, new = _pixels(pair.committed), _pixels(pair.new)
    except (OSError, SyntaxError, ValueError) as error:
        summary = (
            f"image no longer decodes ({error}); {_first_byte_difference(old_bytes, new_bytes)}"
        )
        figures = _figures([("committed", old_bytes, "image/png"), ("new", new_bytes, "image/png")])
        return summary, figures + _bytes_table(old_bytes, new_bytes)
    if old.shape != new.shape:
        summary = f"image size changed: {_size(old)} -> {_size(new)}"
        figures = _figures([("committed", old_bytes, "image/png"), ("new", new_bytes, "image/png")])
        return summary, figures
    changed = int(np.any(old != new, axis=-1).sum())
    rms = mpl_compare.calculate_rms(old.astype(float), new.astype(float))
    if changed == 0:
        summary = f"same pixels, other bytes; {_first_byte_difference(old_bytes, new_bytes)}"
    else:
        summary = f"{changed} of {old.shape[0] * old.shape[1]} pixels changed (RMS {rms:.3g})"
    figures = _figures(
        [
            ("committed", old_bytes, "image/png"),
            ("new", new_bytes, "image/png"),
            ("difference", _diff_image(pair.committed, pair.new), "image/png"),
        ]
    )
    return summary, figures


def _size(pixels: np.ndarray) -> str:
    return f"{pixels.shape[1]}x{pixels.shape[0]}"


def _render_svg(pair: Pair) -> tuple[str, str]:
    old_bytes, new_bytes = pair.committed.read_bytes(), pair.new.read_bytes()
    summary, diff = _text_diff(pair)
    figures = _figures(
        [("committed", old_bytes, "image/svg+xml"), ("new", new_bytes, "image/svg+xml")]
    )
    return summary, figures + diff


# ---- text and bytes ----------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _text_diff(pair: Pair) -> tuple[str, str]:
    diff = list(
        difflib.unified_diff(
            _lines(pair.committed),
            _lines(pair.new),
            fromfile=f"committed/{pair.rel}",
            tofile=f"re-run/{pair.rel}",
            lineterm="",
            n=2,
        )
    )
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    shown = diff[:MAX_DIFF_LINES]
    more = len(diff) - len(shown)
    note = f"\n... {more} more diff lines" if more > 0 else ""
    summary = f"text diff: {removed} line(s) removed, {added} added"
    if not diff:
        summary = "same text lines, other bytes (line endings or encoding)"
    return summary, f"<pre>{html.escape(chr(10).join(shown) + note)}</pre>"


def _first_offset(old: bytes, new: bytes) -> int:
    offset = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    return min(len(old), len(new)) if offset is None else offset


def _first_byte_difference(old: bytes, new: bytes) -> str:
    return f"first differing byte at offset {_first_offset(old, new)}"


def _bytes_table(old: bytes, new: bytes) -> str:
    sides = {"committed": old, "new": new}
    offset = _first_offset(old, new)
    rows = "".join(
        f"<tr><th>{name}</th><td>{len(data)}</td><td><code>{_sha256(data)}</code></td>"
        f"<td><code>{data[max(0, offset - 4) : offset + 8].hex(' ')}</code></td></tr>"
        for name, data in sides.items()
    )
    return (
        f"<table><tr><th></th><th>bytes</th><th>SHA-256</th>"
        f"<th>bytes {max(0, offset - 4)}..{offset + 7}</th></tr>{rows}</table>"
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _render_binary(pair: Pair) -> tuple[str, str]:
    old, new = pair.committed.read_bytes(), pair.new.read_bytes()
    return _first_byte_difference(old, new), _bytes_table(old, new)


# ---- tables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A CSV read as text: header and rows keyed by the row key."""

    header: list[str]
    key: list[str]
    rows: dict[tuple[str, ...], list[str]]


def _read_csv(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return list(csv.reader(io.StringIO(text)))


def declared_key(committed_root: Path, rel: str) -> list[str]:
    """The ``primaryKey`` that ``data/datapackage.json`` declares for a table, if any."""
    package = committed_root / _DATAPACKAGE
    try:
        resources = json.loads(package.read_text(encoding="utf-8")).get("resources", [])
    except (OSError, ValueError):
        return []
    for resource in resources:
        if f"{_DATAPACKAGE.parent.as_posix()}/{resource.get('path', '')}" == rel:
            key = resource.get("schema", {}).get("primaryKey", [])
            return [key] if isinstance(key, str) else list(key)
    return []


def _keyed(records: list[list[str]], key: list[str]) -> Table | None:
    header, body = (records[0], records[1:]) if records else ([], [])
    if not key or any(name not in header for name in key):
        return None
    where = [header.index(name) for name in key]
    rows = {tuple(row[i] if i < len(row) else "" for i in where): row for row in body}
    return Table(header, key, rows) if len(rows) == len(body) else None


def _table(records: list[list[str]], key: list[str]) -> Table:
    """Key rows by ``key``, else by the first column, else by row number (when not unique)."""
    header = records[0] if records else []
    for candidate in (key, header[:1]):
        table = _keyed(records, candidate)
        if table is not None:
            return table
    rows = {(str(number),): row for number, row in enumerate(records[1:], start=1)}
    return Table(header, ["row number"], rows)


def _cells(old: Table, new: Table) -> list[tuple[str, str, str, str]]:
    changed = []
    columns = [c for c in old.header if c in new.header]
    for key, row in old.rows.items():
        other = new.rows.get(key)
        if other is None:
            continue
        for column in columns:
            before = _cell(row, old.header.index(column))
            after = _cell(other, new.header.index(column))
            if before != after:
                changed.append((" | ".join(key), column, before, after))
    return changed


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _render_table(pair: Pair) -> tuple[str, str]:
    key = declared_key(pair.committed_root, pair.rel)
    old = _table(_read_csv(pair.committed), key)
    new = _table(_read_csv(pair.new), old.key)
    cells = _cells(old, new)
    removed = [k for k in old.rows if k not in new.rows]
    added = [k for k in new.rows if k not in old.rows]
    columns = [f"column removed: {c}" for c in old.header if c not in new.header] + [
        f"column added: {c}" for c in new.header if c not in old.header
    ]
    summary = (
        f"{len(cells)} changed cell(s), {len(added)} added row(s), {len(removed)} removed "
        f"row(s) (row key: {', '.join(old.key)})"
    )
    if columns:
        summary += "; " + "; ".join(columns)
    body = _cells_html(old.key, cells)
    body += _rows_html("removed rows", old, removed) + _rows_html("added rows", new, added)
    return summary, body


def _cells_html(key: list[str], cells: list[tuple[str, str, str, str]]) -> str:
    if not cells:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(c)}</td>"
        f'<td class="old">{html.escape(a)}</td><td class="new">{html.escape(b)}</td></tr>'
        for k, c, a, b in cells[:MAX_TABLE_ROWS]
    )
    more = len(cells) - MAX_TABLE_ROWS
    note = f"<p>... {more} more changed cells</p>" if more > 0 else ""
    head = (
        f"<tr><th>{html.escape(', '.join(key))}</th>"
        "<th>column</th><th>committed</th><th>new</th></tr>"
    )
    return f"<table>{head}{rows}</table>{note}"


def _rows_html(title: str, table: Table, keys: list[tuple[str, ...]]) -> str:
    if not keys:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in table.rows[k]) + "</tr>"
        for k in keys[:MAX_TABLE_ROWS]
    )
    return f"<h3>{html.escape(title)}</h3><table><tr>{head}</tr>{body}</table>"


# ---- notebooks and the manifest ----------------------------------------------------------


def _cell_changes(diff: list) -> list[str]:
    """One line per changed cell: inserted, deleted, or which parts were patched."""
    lines = []
    for entry in diff:
        if entry["key"] != "cells":
            lines.append(f"notebook {entry['key']}: {entry['op']}")
            continue
        for item in entry.get("diff", []):
            if item["op"] == "addrange":
                lines.append(f"cell {item['key']}: {len(item['valuelist'])} cell(s) inserted")
            elif item["op"] == "removerange":
                lines.append(f"cell {item['key']}: {item['length']} cell(s) deleted")
            else:
                parts = sorted({part["key"] for part in item.get("diff", [])})
                lines.append(f"cell {item['key']}: {', '.join(parts) or item['op']} changed")
    return lines


def _render_notebook(pair: Pair) -> tuple[str, str]:
    try:
        old = nbformat.read(pair.committed, as_version=4)
        new = nbformat.read(pair.new, as_version=4)
    except (ValueError, nbformat.reader.NotJSONError) as error:
        summary, body = _text_diff(pair)
        return f"not a readable notebook ({error}); {summary}", body
    diff = diff_notebooks(old, new)
    changes = _cell_changes(diff)
    stream = io.StringIO()
    config = PrettyPrintConfig(out=stream, use_git=False, use_diff=False, use_color=False)
    pretty_print_diff(old, diff, "", config)
    summary = "; ".join(changes) if changes else "no cell-level difference (formatting only)"
    listing = "".join(f"<li>{html.escape(line)}</li>" for line in changes)
    return summary, f"<ul>{listing}</ul><pre>{html.escape(stream.getvalue())}</pre>"


def _manifest_rows(old: dict, new: dict) -> list[tuple[str, str, str, str, str]]:
    rows = []
    notebooks = sorted(set(old.get("notebooks", {})) | set(new.get("notebooks", {})))
    for name in notebooks:
        before = old.get("notebooks", {}).get(name, {})
        after = new.get("notebooks", {}).get(name, {})
        for section in ("inputs", "parameters", "outputs"):
            a, b = before.get(section, {}), after.get(section, {})
            for item in sorted(set(a) | set(b)):
                if a.get(item) != b.get(item):
                    rows.append((name, section, item, _json(a.get(item)), _json(b.get(item))))
    return rows


def _json(value: object) -> str:
    return "(absent)" if value is None else json.dumps(value, sort_keys=True)


def _render_manifest(pair: Pair) -> tuple[str, str]:
    try:
        old = json.loads(pair.committed.read_text(encoding="utf-8"))
        new = json.loads(pair.new.read_text(encoding="utf-8"))
    except ValueError as error:
        summary, body = _text_diff(pair)
        return f"not readable JSON ({error}); {summary}", body
    rows = _manifest_rows(old, new)
    inputs = sorted({(r[0], r[2]) for r in rows if r[1] == "inputs"})
    summary = f"{len(rows)} entr(ies) changed; input digests changed: " + (
        ", ".join(f"{nb} {item}" for nb, item in inputs) if inputs else "none"
    )
    cells = "".join(
        f"<tr><td>{html.escape(nb)}</td><td>{html.escape(section)}</td><td>{html.escape(item)}</td>"
        f'<td class="old"><code>{html.escape(a)}</code></td>'
        f'<td class="new"><code>{html.escape(b)}</code></td></tr>'
        for nb, section, item, a, b in rows
    )
    head = "<tr><th>notebook</th><th>section</th><th>entry</th><th>committed</th><th>new</th></tr>"
    return summary, f"<table>{head}{cells}</table>"


#: Renderer of each kind: ``Pair -> (summary, HTML body)``.
RENDERERS: dict[str, Callable[[Pair], tuple[str, str]]] = {
    "manifest": _render_manifest,
    "notebook": _render_notebook,
    "table": _render_table,
    "image": _render_image,
    "svg": _render_svg,
    "text": _text_diff,
    "binary": _render_binary,
}


# ---- the page ----------------------------------------------------------------------------


def _listing(title: str, paths: Sequence[str]) -> str:
    if not paths:
        return ""
    items = "".join(f"<li><code>{html.escape(p)}</code></li>" for p in paths)
    return f"<h2>{html.escape(title)}</h2><ul>{items}</ul>"


def render_page(changes: Sequence[Change], missing: Sequence[str], extra: Sequence[str]) -> str:
    """Return the whole page: a contents list, then one section per changed output."""
    contents = "".join(
        f'<li><a href="#change-{n}"><code>{html.escape(c.rel)}</code></a> ({c.kind}): '
        f"{html.escape(c.summary)}</li>"
        for n, c in enumerate(changes, start=1)
    )
    sections = "".join(
        f'<section id="change-{n}"><h2>{html.escape(c.rel)}</h2>'
        f'<p class="summary">{html.escape(c.kind)}: {html.escape(c.summary)}</p>{c.body}</section>'
        for n, c in enumerate(changes, start=1)
    )
    title = f"verify: {len(changes)} output(s) differ"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Committed outputs compared with a fresh re-run "
        f"(<code>python -m analysis verify</code>): {len(changes)} differ, {len(missing)} "
        f"not reproduced, {len(extra)} produced only by the re-run.</p><ol>{contents}</ol>"
        f"{_listing('Not reproduced by the re-run', missing)}"
        f"{_listing('Produced only by the re-run', extra)}{sections}</body></html>\n"
    )
