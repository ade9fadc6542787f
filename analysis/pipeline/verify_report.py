"""The replication report of ``verify``: one HTML page and the same as JSON.

:func:`write_verify_report` writes ``build/verify/report.json`` (:meth:`VerifyResult.to_json`:
the verdict, the counts per class, the shares of figures, tables and claims reproduced, the
environments, the declared tolerances, every output with its class and every claim's verdicts
committed and re-run) and ``build/verify/index.html``, a page a reviewer can file: the verdict
first, then the environment, how outputs are graded, every output with its class (and the cells
compared, for a table), the claims, and for each output that is not identical what was found.
The page is self-contained (images inlined, no script, no external style, font or request),
printable, with a language, a title, captioned tables whose headers have a scope, and alt text
on every image; every text is escaped; no date and no absolute path, so the same inputs give
the same bytes.

What an output that is not identical shows besides its differences (by row key and column
with both values for a table, by JSON path for a notebook or a record, by pixel box for a
PNG), by kind:

- a PNG figure: the committed, the re-run and the difference images side by side
  (:func:`matplotlib.testing.compare.save_diff_image`);
- an SVG figure: both drawings and the text diff (:mod:`difflib`);
- a notebook: the cell-level diff of sources, outputs and metadata (:mod:`nbdime`);
- a file that is not text: sizes, digests and the bytes around the first difference.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import io
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import matplotlib.testing.compare as mpl_compare
import nbformat
from nbdime import diff_notebooks
from nbdime.prettyprint import PrettyPrintConfig, pretty_print_diff

from analysis.io import atomic_write
from analysis.pipeline.environment import Environment, environment_changes
from analysis.pipeline.replication import (
    GRADE_MEANINGS,
    LABEL_MEANINGS,
    Comparison,
    Grade,
    VerifyResult,
)

#: Longest text diff shown per file (lines); the rest is counted, not shown.
MAX_DIFF_LINES = 400

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:110em;padding:0 1em;color:#1a1a1a;
background:#fff;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.3em;border-top:1px solid #bbb;padding-top:.8em}
h3{font-size:1.05em;font-family:monospace}
.verdict{font-size:1.2em;border:2px solid #1a1a1a;padding:.6em .9em}
.side{display:flex;gap:1em;flex-wrap:wrap}figure{margin:0;max-width:32%}
figure img{max-width:100%;border:1px solid #bbb}
pre{background:#f3f3f3;padding:.6em;overflow-x:auto;font-size:.85em;white-space:pre-wrap}
table{border-collapse:collapse;font-size:.9em;margin:.6em 0}
caption{text-align:left;font-weight:bold}
td,th{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}
thead th{background:#eee}.differs{font-weight:bold}
a{color:#0b4f9c}code{overflow-wrap:anywhere}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}
section,table,figure{break-inside:avoid}pre{white-space:pre-wrap}}
"""


@dataclass(frozen=True)
class _Files:
    """One output that is not identical: its path and its two versions."""

    comparison: Comparison
    committed: Path
    rerun: Path


def write_verify_report(
    result: VerifyResult, committed_root: Path, rerun_root: Path, out_dir: Path
) -> tuple[Path, Path]:
    """Write ``out_dir/index.html`` and ``out_dir/report.json`` for a graded re-run.

    Args:
        result: The graded re-run.
        committed_root: The committed tree (the project's working tree).
        rerun_root: The tree the re-run wrote (verify's scratch copy).
        out_dir: Folder for the two files (``build/verify``); created if needed.

    Returns:
        The page and the JSON file written.
    """
    data = result.to_json()
    page = render_page(result, committed_root, rerun_root)
    html_path, json_path = Path(out_dir) / "index.html", Path(out_dir) / "report.json"
    atomic_write(json_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    atomic_write(html_path, page)
    return html_path, json_path


def render_page(result: VerifyResult, committed_root: Path, rerun_root: Path) -> str:
    """Return the whole page: verdict, environment, grading, outputs, claims, differences."""
    verdict = result.verdict()
    title = f"Replication report: {verdict.label.value}"
    anchors = {
        c.rel: f"output-{n}"
        for n, c in enumerate((c for c in result.comparisons if c.grade is not Grade.IDENTICAL),
                              start=1)
    }
    details = "".join(
        _detail(_Files(c, committed_root / c.rel, rerun_root / c.rel), anchors[c.rel])
        for c in result.comparisons
        if c.rel in anchors
    )
    body = (
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="verdict"><strong>{_e(verdict.label.value)}</strong>: '
        f"{_e(LABEL_MEANINGS[verdict.label])}.<br>{_e(result.verdict_line())}</p></header>"
        f"<main>{_verdict_section(result)}{_environment_section(result)}"
        f"{_grading_section(result)}{_outputs_section(result, anchors)}"
        f"{_claims_section(result)}"
        + (_section("details", "Outputs that are not identical", details) if details else "")
        + "</main>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]],
           row_headers: bool = True) -> str:
    """A captioned table; cells are HTML already; the first cell of a row is its header."""
    header = "".join(f'<th scope="col">{_e(h)}</th>' for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{cell}</th>' if i == 0 and row_headers else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (f"<table><caption>{_e(caption)}</caption><thead><tr>{header}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _section(name: str, title: str, content: str) -> str:
    return (f'<section aria-labelledby="h-{name}"><h2 id="h-{name}">{_e(title)}</h2>'
            f"{content}</section>")


def _verdict_section(result: VerifyResult) -> str:
    verdict = result.verdict()
    classes = _table(
        "Outputs by class",
        ["class", "outputs", "meaning"],
        [[_e(g.value), str(n), _e(GRADE_MEANINGS[g])] for g, n in verdict.counts],
    )
    shares = _table(
        "Results reproduced (graded better than differs)",
        ["results", "reproduced", "of"],
        [[_e(s.group), str(s.reproduced), str(s.total)] for s in verdict.shares],
    )
    contract = (
        "<p>The byte-identical contract applies (<code>verify --exact</code>): only "
        "identical outputs count as reproduced.</p>" if verdict.exact else ""
    )
    return _section("verdict", "Verdict", f"{contract}{classes}{shares}")


def _environment_section(result: VerifyResult) -> str:
    lines = "".join(f"<li>{_e(line)}</li>" for line in result.environment_lines())
    columns: list[tuple[str, Environment | None]] = [
        (f"recorded ({', '.join(g.notebooks)})", g.environment) for g in result.recorded
    ] + [("this re-run", result.current)]
    names = sorted({n for _, env in columns if env for n, _ in env.packages})
    rows = [
        ["interpreter"] + [_e(f"{env.implementation} {env.python}") if env else "(not recorded)"
                           for _, env in columns],
        ["platform"] + [_e(env.platform) if env else "(not recorded)" for _, env in columns],
    ] + [
        [_e(name)] + [_e(dict(env.packages).get(name, "")) if env else "" for _, env in columns]
        for name in names
    ]
    changed = [
        f"<li>{_e(change)}</li>"
        for g in result.recorded
        if g.environment
        for change in environment_changes(g.environment, result.current)
    ]
    table = _table(
        "Recorded and re-run environments", ["component", *(c for c, _ in columns)], rows
    )
    summary = f"<ul>{lines}</ul>"
    if changed:
        summary += f"<p>Differences:</p><ul>{''.join(changed)}</ul>"
    return _section("environment", "Environment", summary + table)


def _grading_section(result: VerifyResult) -> str:
    spec = result.spec
    meanings = "".join(
        f"<dt>{_e(g.value)}</dt><dd>{_e(GRADE_MEANINGS[g])}</dd>" for g in Grade
    )
    dropped = "".join(
        f"<li><code>{_e(pattern)}</code>: {', '.join(f'<code>{_e(f)}</code>' for f in fields)}"
        "</li>"
        for pattern, fields in spec.not_results
    )
    svg = ", ".join(f"<code>&lt;{_e(name)}&gt;</code>" for name in spec.svg_elements)
    content = (
        f"<dl>{meanings}</dl><p>Declared once, in <code>{_e(spec.source)}</code>:</p><ul>"
        f"<li>decimal numbers: within tolerance when |re-run − committed| ≤ atol + rtol × "
        f"|committed|, rtol = {spec.rtol:g}, atol = {spec.atol:g}; whole numbers (counts, "
        "years, ids) and text: exactly</li>"
        f"<li>PNG images of the same size: within tolerance when the RMS difference of the "
        f"decoded pixels (0–255 per channel) is at most {spec.image_rms:g}</li>"
        f"<li>dropped before comparing, as they carry no results: <ul>{dropped}"
        f"<li>SVG elements: {svg}</li></ul></li></ul>"
    )
    return _section("grading", "How outputs are graded", content)


def _outputs_section(result: VerifyResult, anchors: Mapping[str, str]) -> str:
    rows = []
    for c in result.comparisons:
        name = f"<code>{_e(c.rel)}</code>"
        if c.rel in anchors:
            name = f'<a href="#{anchors[c.rel]}">{name}</a>'
        grade = f'<span class="differs">{_e(c.grade.value)}</span>' if c.grade is Grade.DIFFERS \
            else _e(c.grade.value)
        rows.append([name, _e(c.kind), grade, "" if c.cells is None else str(c.cells),
                     _e(c.summary)])
    table = _table("Every output, committed against re-run",
                   ["output", "kind", "class", "cells compared", "what was found"], rows)
    return _section("outputs", "Every output", table)


def _claims_section(result: VerifyResult) -> str:
    if not result.claims:
        return ""
    columns = list(result.spec.claims.verdicts)
    rows = []
    for check in result.claims:
        old, new = dict(check.committed), dict(check.rerun)
        cells = [f"<code>{_e(check.claim)}</code>"]
        for column in columns:
            cells += [_e(old.get(column, "(absent)")), _e(new.get(column, "(absent)"))]
        cells += ["yes" if check.same_verdicts else "<strong>no</strong>", _e(check.grade.value)]
        rows.append(cells)
    head = [result.spec.claims.key]
    for column in columns:
        head += [f"{column} committed", f"{column} re-run"]
    head += ["same verdicts", "class of the row"]
    table = _table(f"Each claim of {result.spec.claims.table}, committed and re-run", head, rows)
    return _section("claims", "Claims", table)


# ---- one output that is not identical ----------------------------------------------------


def _detail(files: _Files, anchor: str) -> str:
    c = files.comparison
    differences = ""
    if c.differences:
        rows = [
            [_e(d.where), f"<code>{_e(d.committed)}</code>", f"<code>{_e(d.rerun)}</code>",
             _e(d.grade.value), _e(d.measure)]
            for d in c.differences
        ]
        more = c.total_differences - len(c.differences)
        differences = _table(
            f"Differences in {c.rel}", ["where", "committed", "re-run", "class", "measure"], rows
        ) + (f"<p>… {more} more differences</p>" if more > 0 else "")
    show = BODIES.get(c.kind) if c.grade in (Grade.WITHIN_TOLERANCE, Grade.DIFFERS) else None
    body = show(files) if show and not c.absent else ""
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h"><h3 id="{anchor}-h">'
        f"{_e(c.rel)}</h3><p>{_e(c.grade.value)} ({_e(c.kind)}): {_e(c.summary)}</p>"
        f"{differences}{body}</section>"
    )


def _data_uri(data: bytes, mediatype: str) -> str:
    return f"data:{mediatype};base64,{base64.b64encode(data).decode('ascii')}"


def _figures(rel: str, items: Sequence[tuple[str, bytes | None, str]]) -> str:
    cells = []
    for caption, data, mediatype in items:
        picture = (
            f'<img alt="{_e(f"{caption} version of {rel}")}" src="{_data_uri(data, mediatype)}">'
            if data is not None
            else "<p>(none)</p>"
        )
        cells.append(f"<figure>{picture}<figcaption>{_e(caption)}</figcaption></figure>")
    return f'<div class="side">{"".join(cells)}</div>'


def _diff_image(committed: Path, new: Path) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="verify-diff-") as folder:
        output = Path(folder) / "diff.png"
        try:
            mpl_compare.save_diff_image(str(committed), str(new), str(output))
        except (ValueError, OSError, mpl_compare.ImageComparisonFailure):
            return None  # another size, or not an image: the summary says so
        return output.read_bytes()


def _show_image(files: _Files) -> str:
    rel = files.comparison.rel
    return _figures(rel, [
        ("committed", files.committed.read_bytes(), "image/png"),
        ("re-run", files.rerun.read_bytes(), "image/png"),
        ("difference", _diff_image(files.committed, files.rerun), "image/png"),
    ])


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _text_diff(files: _Files) -> str:
    rel = files.comparison.rel
    diff = list(
        difflib.unified_diff(
            _lines(files.committed), _lines(files.rerun),
            fromfile=f"committed/{rel}", tofile=f"re-run/{rel}", lineterm="", n=2,
        )
    )
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    shown = diff[:MAX_DIFF_LINES]
    more = len(diff) - len(shown)
    note = f"\n... {more} more diff lines" if more > 0 else ""
    return (f"<p>Text diff: {removed} line(s) removed, {added} added.</p>"
            f"<pre>{_e(chr(10).join(shown) + note)}</pre>")


def _show_svg(files: _Files) -> str:
    rel = files.comparison.rel
    figures = _figures(rel, [
        ("committed", files.committed.read_bytes(), "image/svg+xml"),
        ("re-run", files.rerun.read_bytes(), "image/svg+xml"),
    ])
    return figures + _text_diff(files)


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


def _show_notebook(files: _Files) -> str:
    try:
        old = nbformat.read(files.committed, as_version=4)
        new = nbformat.read(files.rerun, as_version=4)
    except (ValueError, nbformat.reader.NotJSONError):
        return _text_diff(files)
    diff = diff_notebooks(old, new)
    stream = io.StringIO()
    config = PrettyPrintConfig(out=stream, use_git=False, use_diff=False, use_color=False)
    pretty_print_diff(old, diff, "", config)
    listing = "".join(f"<li>{_e(line)}</li>" for line in _cell_changes(diff))
    return (f"<p>Cell by cell (nbdime):</p><ul>{listing}</ul>"
            f"<pre>{_e(stream.getvalue())}</pre>")


def _show_bytes(files: _Files) -> str:
    old, new = files.committed.read_bytes(), files.rerun.read_bytes()
    offset = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                  min(len(old), len(new)))
    start = max(0, offset - 4)
    rows = [
        [_e(name), str(len(data)), f"<code>{hashlib.sha256(data).hexdigest()}</code>",
         f"<code>{data[start : offset + 8].hex(' ')}</code>"]
        for name, data in (("committed", old), ("re-run", new))
    ]
    return _table(f"Bytes of {files.comparison.rel}",
                  ["version", "bytes", "SHA-256", f"bytes {start}..{offset + 7}"], rows)


#: What an output that is not identical shows besides its differences, by kind.
BODIES: Mapping[str, Callable[[_Files], str]] = MappingProxyType(
    {
        "image": _show_image,
        "svg": _show_svg,
        "notebook": _show_notebook,
        "binary": _show_bytes,
    }
)
