"""The data package of an output folder: every CSV a notebook declared, with its Table Schema.

``figures/datapackage.json`` (and ``runs/<stem>-<hash>/datapackage.json`` for a run with other
parameters) is derived from the manifest written beside it: one Frictionless tabular resource
per declared figure or table, with the Table Schema the notebook declared when it saved the
CSV (:mod:`analysis.outputs`), its title and description, and the SHA-256 the manifest
records. It is moved into place in the same group as the manifest, so the two always agree.
``frictionless validate figures/datapackage.json`` checks every CSV against its schema and
hash (the test suite runs it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from analysis import paths
from analysis.pipeline.manifest import Manifest
from analysis.tableschema import tabular_resource

#: File name of the data package, beside the manifest.
DATAPACKAGE_NAME: str = paths.DATAPACKAGE.name
#: The package's name and title (of the canonical outputs).
PACKAGE_NAME: str = "japan-2015-special-rapporteur-figures"
PACKAGE_TITLE: str = (
    "Figures and tables of the compendium on the UN Special Rapporteur's 2015 report on Japan"
)


def datapackage_bytes(manifest: Manifest, root: Path) -> bytes:
    """The data package describing every CSV the manifest's notebooks declared.

    Args:
        manifest: The manifest (its folder is the package's folder).
        root: The project root (manifest paths are relative to it).

    Returns:
        The JSON bytes: resources in name order, two-space indent, trailing newline.
    """
    base = manifest.path.parent
    resources = []
    for record in sorted(manifest.records(), key=lambda r: r.name):
        csv = record.data
        if csv is None:
            continue
        owner = next(e for e in manifest.notebooks.values() if record.name in e.declared)
        digest = owner.outputs.get(csv)
        if digest is None:  # declared but not recorded: nothing to describe
            continue
        what = "Data behind the figure" if record.kind == "figure" else "Table"
        resources.append(tabular_resource(
            name=record.name.lower().replace("_", "-"),
            path=Path(os.path.relpath(root / csv, base)).as_posix(),
            title=record.title,
            description=f"{what} '{record.title}' ({owner.notebook}). {record.description}",
            sha256=digest,
            schema=record.schema,
        ))
    descriptor = {
        "name": PACKAGE_NAME,
        "title": PACKAGE_TITLE,
        "description": "Every figure's data and every table the notebooks write, each CSV "
        "with the Table Schema declared when it was saved; the notebooks and their inputs "
        "are recorded in MANIFEST.json beside this file.",
        "profile": "tabular-data-package",
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                      "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": resources,
    }
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
