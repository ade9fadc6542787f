"""The Frictionless Data Package describing the processed tables.

``data/datapackage.json`` is generated with the tables (never edited by hand): a Table
Schema per CSV, derived from :mod:`analysis.dataset.schema` (types, constraints, enums,
primary keys and a description for every field), the SHA-256 of every CSV, and the raw
source with its citation and checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from frictionless import Package, Report

from analysis import paths
from analysis.dataset.schema import TABLES
from analysis.io import sha256_file
from analysis.tableschema import tabular_resource

#: How to cite the source document.
SOURCE_CITATION = (
    "United Nations, Human Rights Council, thirty-first session, agenda item 3. Report of "
    "the Special Rapporteur on the sale of children, child prostitution and child "
    "pornography on her visit to Japan (19-26 October 2015), document A/HRC/31/58/Add.1 "
    "(2016). Text file as received, with the Secretariat's cover note in Russian."
)


def build_datapackage(
    raw_path: Path, datapackage_path: Path, contents: Mapping[Path, str]
) -> str:
    """Render ``datapackage.json`` for the processed tables about to be written.

    Args:
        raw_path: The raw report (hashed and cited as the source).
        datapackage_path: Where the descriptor will live (paths inside are relative to it).
        contents: Processed CSV path -> its text (hashed; only known tables are described).

    Returns:
        The JSON text (sorted keys where order carries no meaning, two-space indent,
        trailing newline).
    """
    base = Path(datapackage_path).parent
    resources = []
    for path, text in sorted(contents.items(), key=lambda item: item[0].name):
        table = TABLES.get(path.name)
        if table is None:
            continue
        data = text.encode("utf-8")
        resources.append(tabular_resource(
            table.resource, Path(os.path.relpath(path, base)).as_posix(), path.name,
            table.description, hashlib.sha256(data).hexdigest(), table.schema_descriptor(),
            size=len(data),
        ))
    descriptor = {
        "name": "japan-2015-special-rapporteur-statistics",
        "title": "Figures of the UN Special Rapporteur's 2015 report on Japan (sale of "
        "children, child prostitution and child pornography)",
        "description": "Every statistic stated in the report, parsed from its text by code "
        "with its paragraph, footnote and evidence span; a number audit; cross-checks.",
        "profile": "tabular-data-package",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "sources": [
            {
                "title": SOURCE_CITATION,
                # Described as it lives in the project, beside data/processed.
                "path": f"{paths.RAW_DIR.name}/{Path(raw_path).name}",
                "sha256": sha256_file(raw_path),
            }
        ],
        "resources": resources,
    }
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


def validate_with_frictionless(path: Path = paths.DATAPACKAGE) -> Report:
    """Validate the data package with Frictionless (schema, types, constraints, hashes).

    Args:
        path: The ``datapackage.json``.

    Returns:
        The Frictionless report (``report.valid`` is the verdict).
    """
    return Package(str(path)).validate()
