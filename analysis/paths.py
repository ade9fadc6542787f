"""Root-anchored paths of the compendium.

Every module and notebook takes its locations from here, so that code behaves the same
whatever the working directory (papermill starts kernels in the caller's folder, nbval in
the notebook's folder).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

#: The repository root (the folder holding ``pyproject.toml``).
ROOT: Path = Path(__file__).resolve().parent.parent

DATA_DIR: Path = ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"
PROCESSED_DIR: Path = DATA_DIR / "processed"

#: The report's text, byte-for-byte as received (see ``data/raw/README.md``).
RAW_REPORT: Path = RAW_DIR / "000_670bd6b116995be3.txt"
#: SHA-256 of :data:`RAW_REPORT`; checked before every read.
RAW_REPORT_SHA256: str = "bdd8c3b59ac9e2d4a6f67a7e9dd01c8fbb0705c593d3832284a7d6a65d1e5250"

#: Declarative extraction spec: one entry per reported figure.
EXTRACTION_SPEC: Path = DATA_DIR / "extraction_spec.yaml"
#: Rules that classify the numeric tokens that are not statistics.
AUDIT_RULES: Path = DATA_DIR / "audit_rules.yaml"
#: Cross-checks of the figures against each other (what each compares, kind, expectation).
CROSS_CHECKS_SPEC: Path = DATA_DIR / "cross_checks.yaml"
#: The report's verbal claims, lined up with the figures behind them.
CLAIMS_SPEC: Path = DATA_DIR / "claims.yaml"
#: Frictionless Data Package describing the processed tables.
DATAPACKAGE: Path = DATA_DIR / "datapackage.json"

STATISTICS_CSV: Path = PROCESSED_DIR / "report_statistics.csv"
AUDIT_CSV: Path = PROCESSED_DIR / "number_audit.csv"
CROSS_CHECKS_CSV: Path = PROCESSED_DIR / "cross_checks.csv"
FOOTNOTES_CSV: Path = PROCESSED_DIR / "footnotes.csv"

NOTEBOOKS_DIR: Path = ROOT / "notebooks"
FIGURES_DIR: Path = ROOT / "figures"
RUNS_DIR: Path = ROOT / "runs"
BUILD_DIR: Path = ROOT / "build"
SITE_DIR: Path = BUILD_DIR / "site"
MANIFEST: Path = FIGURES_DIR / "MANIFEST.json"
LOCK_FILE: Path = ROOT / "requirements.lock"
#: Lock files of the environment the notebooks run in (inputs of every notebook).
LOCK_FILES: tuple[Path, ...] = (LOCK_FILE,)

#: The package's folder.
PACKAGE_DIR: Path = ROOT / "analysis"
#: The data files that modules of the package read by default, by module. A notebook whose
#: imports reach one of these modules (directly or through others) has its files as inputs,
#: beside the modules' source files (``analysis.pipeline.imports``): notebook 06 reads
#: ``data/claims.yaml`` and checks each claim's words against the raw report. The processed
#: tables are an input of every notebook anyway.
MODULE_DATA: Mapping[str, tuple[Path, ...]] = MappingProxyType({
    "analysis.claims.spec": (CLAIMS_SPEC,),
    "analysis.dataset.source": (RAW_REPORT,),
    "analysis.dataset.validate": (DATAPACKAGE,),
    "analysis.dataset.extract": (EXTRACTION_SPEC,),
    "analysis.dataset.audit": (AUDIT_RULES,),
    "analysis.dataset.cross_checks": (CROSS_CHECKS_SPEC,),
})

#: Environment variable through which the pipeline redirects a notebook's outputs
#: (figures and tables) into a staging folder; unset in interactive use.
OUTPUT_DIR_ENV: str = "COMPENDIUM_OUTPUT_DIR"
#: Where a notebook run outside the pipeline writes when it has no run folder of its own.
INTERACTIVE_DIR: Path = RUNS_DIR / "interactive"


def output_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder a notebook writes its files to (never the canonical ``figures/``).

    The compendium's notebooks get theirs from :func:`analysis.outputs.output_folder` (which
    names a run folder after the parameters); this is the same rule for code that has no
    parameters to name a folder after.

    Args:
        override: An explicit folder. Empty or ``None`` means "not given".

    Returns:
        ``override`` when given; otherwise the folder named by the environment variable
        :data:`OUTPUT_DIR_ENV` (set by the pipeline while it stages outputs); otherwise
        :data:`INTERACTIVE_DIR`. Only the pipeline moves files into :data:`FIGURES_DIR`.
    """
    if override:
        return Path(override)
    return staged_output_dir() or INTERACTIVE_DIR


def staged_output_dir() -> Path | None:
    """The staging folder the pipeline named in :data:`OUTPUT_DIR_ENV`, if it set one."""
    staged = os.environ.get(OUTPUT_DIR_ENV)
    return Path(staged) if staged else None
