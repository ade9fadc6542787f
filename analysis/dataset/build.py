"""The extraction stage, end to end: raw report -> processed tables and data package.

:func:`build_all` reads like the stage: load the report, the spec, the audit rules and the
cross-checks; extract, audit and cross-check; render and validate every table; write them
all at once. Every output is first written to a temporary file beside its target and the
targets are replaced only after all were produced and validated, so a failed run leaves the
previous dataset intact and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.dataset.audit import AuditRule, audit_numbers, load_audit_rules
from analysis.dataset.cross_checks import (
    CrossCheck,
    load_cross_checks,
    run_cross_checks,
    verify_report_words,
)
from analysis.dataset.datapackage import build_datapackage
from analysis.dataset.extract import Spec, extract_statistics, load_spec
from analysis.dataset.schema import TABLES
from analysis.dataset.source import Report, load_report
from analysis.dataset.validate import validate_statistics_text, validate_table_text
from analysis.io import atomic_write_many, frame_to_csv_text


@dataclass(frozen=True)
class Inputs:
    """Everything the stage reads, checked."""

    report: Report
    spec: Spec
    rules: list[AuditRule]
    checks_path: Path


@dataclass(frozen=True)
class Tables:
    """The processed tables, as frames."""

    statistics: pd.DataFrame
    audit: pd.DataFrame
    checks: pd.DataFrame
    paragraphs: pd.DataFrame
    footnotes: pd.DataFrame


def load_inputs(
    raw_path: Path = paths.RAW_REPORT,
    spec_path: Path = paths.EXTRACTION_SPEC,
    audit_rules_path: Path = paths.AUDIT_RULES,
    checks_path: Path = paths.CROSS_CHECKS_SPEC,
    expected_sha256: str | None = None,
) -> Inputs:
    """Read and check the raw report (checksum), the spec and the audit rules."""
    return Inputs(
        report=load_report(raw_path, expected_sha256),
        spec=load_spec(spec_path),
        rules=load_audit_rules(audit_rules_path),
        checks_path=checks_path,
    )


def process(inputs: Inputs) -> Tables:
    """Extract the facts, audit every number, run the cross-checks, tabulate the text.

    Raises:
        SpecError, AuditError, CrossCheckSpecError, CrossCheckError: See the modules.
    """
    extraction = extract_statistics(inputs.report, inputs.spec)
    statistics = extraction.statistics
    checks: tuple[CrossCheck, ...] = load_cross_checks(
        inputs.checks_path, fact_ids=list(statistics["fact_id"])
    )
    checked = run_cross_checks(statistics, checks)
    verify_report_words(checks, inputs.report.text)
    return Tables(
        statistics=statistics,
        audit=audit_numbers(inputs.report, extraction, inputs.rules),
        checks=checked,
        paragraphs=paragraphs_frame(inputs.report),
        footnotes=footnotes_frame(inputs.report),
    )


def render(tables: Tables, out_dir: Path) -> dict[Path, str]:
    """Render every table as CSV text and validate it against its schema.

    Raises:
        DatasetValidationError: A table breaks its schema (file, row and column named).
    """
    frames = {
        "report_statistics.csv": tables.statistics,
        "number_audit.csv": tables.audit,
        "cross_checks.csv": tables.checks,
        "paragraphs.csv": tables.paragraphs,
        "footnotes.csv": tables.footnotes,
    }
    texts = {}
    for name, frame in frames.items():
        text = frame_to_csv_text(frame.loc[:, list(TABLES[name].columns)])
        if name == "report_statistics.csv":
            validate_statistics_text(text, source=name)
        else:
            validate_table_text(text, TABLES[name], source=name)
        texts[out_dir / name] = text
    return texts


def build_all(
    raw_path: Path = paths.RAW_REPORT,
    spec_path: Path = paths.EXTRACTION_SPEC,
    audit_rules_path: Path = paths.AUDIT_RULES,
    out_dir: Path = paths.PROCESSED_DIR,
    datapackage_path: Path = paths.DATAPACKAGE,
    expected_sha256: str | None = None,
    checks_path: Path = paths.CROSS_CHECKS_SPEC,
) -> dict[str, Path]:
    """Run the whole extraction stage: raw text -> processed tables and data package.

    Args:
        raw_path: The raw report.
        spec_path: The extraction spec.
        audit_rules_path: Rules for numeric tokens that are not statistics.
        out_dir: Folder of the processed tables.
        datapackage_path: Where to write ``datapackage.json``.
        expected_sha256: Expected digest of ``raw_path`` (default: the recorded one).
        checks_path: The cross-check declarations.

    Returns:
        The written files by name.
    """
    inputs = load_inputs(raw_path, spec_path, audit_rules_path, checks_path, expected_sha256)
    texts = render(process(inputs), Path(out_dir))
    texts[Path(datapackage_path)] = build_datapackage(raw_path, datapackage_path, texts)
    atomic_write_many(texts)
    return {path.name: path for path in texts}


def paragraphs_frame(report: Report) -> pd.DataFrame:
    """One row per numbered paragraph: number, headings, footnotes cited, offsets, text.

    Args:
        report: The parsed report.

    Returns:
        Columns ``paragraph``, ``chapter``, ``section``, ``subsection``, ``footnotes``
        (space-separated numbers), ``char_start``, ``char_end``, ``text`` (the paragraph's
        own text with footnote bodies removed and white space folded).
    """
    return pd.DataFrame(
        [
            {
                "paragraph": p.number,
                "chapter": p.chapter,
                "section": p.section,
                "subsection": p.subsection,
                "footnotes": " ".join(str(n) for n in p.footnote_refs),
                "char_start": p.start,
                "char_end": p.end,
                "text": p.body_text(),
            }
            for p in report.paragraphs
        ]
    )


def footnotes_frame(report: Report) -> pd.DataFrame:
    """One row per footnote: number, citing paragraph, offsets and text.

    Args:
        report: The parsed report.

    Returns:
        Columns ``footnote``, ``paragraph``, ``char_start``, ``char_end``, ``text``.
    """
    return pd.DataFrame(
        [
            {
                "footnote": f.number,
                "paragraph": f.paragraph,
                "char_start": f.start,
                "char_end": f.end,
                "text": f.text,
            }
            for f in report.footnotes
        ]
    )
