"""The declared grading of a re-run: ``replication.yaml`` at the project root, checked.

What ``verify`` may call *equivalent* or *within tolerance* is declared once, as data: the
tolerances of decimal numbers (``rtol``, ``atol``), of the numbers a drawing writes rounded
(``drawing_atol``) and of images (``image_rms``), the JSON
fields and SVG elements that carry no results, and where the claims table and its verdict
columns are. :func:`load_replication_spec` reads the file strictly (every key required, no
other key, every value typed) and refuses it with one error naming the file and the key.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from analysis.io import YamlFileError, load_yaml
from analysis.pipeline.project import PipelineError

#: The spec's file name, at the project root.
SPEC_NAME = "replication.yaml"


@dataclass(frozen=True)
class ClaimsTable:
    """Where the claims are: their table, its key column and the verdict columns.

    Attributes:
        table: The table's path relative to the root (``figures/claims.csv``).
        key: The column naming each claim (``claim_id``).
        verdicts: The columns holding a claim's verdicts.
    """

    table: str
    key: str
    verdicts: tuple[str, ...]


@dataclass(frozen=True)
class ReplicationSpec:
    """The declared tolerances and what carries no results (``replication.yaml``).

    Attributes:
        rtol: Relative tolerance of a decimal number.
        atol: Absolute tolerance of a decimal number.
        drawing_atol: How far, as written, a number of an SVG drawing (a file, or an image
            inside a notebook) may also move: matplotlib writes coordinates rounded to six
            decimals, so a change far inside ``rtol`` can still move the last one by 1e-6.
        image_rms: Largest RMS difference (0-255 per channel) of a PNG within tolerance.
        not_results: ``(file pattern, dotted paths)`` pairs: JSON fields dropped before
            comparing the files matching the pattern.
        svg_elements: SVG elements (local names) dropped before comparing.
        claims: The claims table.
        source: The spec's path relative to the root, for messages.
    """

    rtol: float
    atol: float
    drawing_atol: float
    image_rms: float
    not_results: tuple[tuple[str, tuple[str, ...]], ...]
    svg_elements: tuple[str, ...]
    claims: ClaimsTable
    source: str = SPEC_NAME

    def dropped_fields(self, rel: str) -> tuple[tuple[str, ...], ...]:
        """The JSON fields dropped from ``rel`` before comparing, each split into its keys."""
        return tuple(
            tuple(dotted.split("."))
            for pattern, fields in self.not_results
            if fnmatch.fnmatch(rel, pattern)
            for dotted in fields
        )

    def to_json(self) -> dict[str, Any]:
        """The spec as the machine-readable report records it."""
        return {
            "source": self.source,
            "number": {"rtol": self.rtol, "atol": self.atol},
            "drawing_atol": self.drawing_atol,
            "image_rms": self.image_rms,
            "whole numbers and text": "exact",
            "not_results": {
                "json": {pattern: list(fields) for pattern, fields in self.not_results},
                "svg_elements": list(self.svg_elements),
            },
            "claims": {
                "table": self.claims.table,
                "key": self.claims.key,
                "verdicts": list(self.claims.verdicts),
            },
        }


#: The keys of ``replication.yaml``, section by section.
SPEC_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "": frozenset({"tolerances", "not_results", "claims"}),
        "tolerances": frozenset({"number", "drawing_atol", "image_rms"}),
        "tolerances.number": frozenset({"rtol", "atol"}),
        "not_results": frozenset({"json", "svg_elements"}),
        "claims": frozenset({"table", "key", "verdicts"}),
    }
)


def load_replication_spec(root: Path) -> ReplicationSpec:
    """Read ``replication.yaml`` under ``root``, checking every key and value.

    Raises:
        PipelineError: The file is missing or malformed (names the file and the key).
    """
    path = root / SPEC_NAME
    try:
        document = load_yaml(path, top_level=SPEC_KEYS[""])
    except YamlFileError as error:
        raise PipelineError(str(error)) from None
    where = SPEC_NAME
    top = _section(document, "", where)
    tolerances = _section(top["tolerances"], "tolerances", where)
    number = _section(tolerances["number"], "tolerances.number", where)
    not_results = _section(top["not_results"], "not_results", where)
    claims = _section(top["claims"], "claims", where)
    json_fields = not_results["json"]
    if not isinstance(json_fields, dict):
        raise PipelineError(f"{where}: not_results.json must map file patterns to lists")
    return ReplicationSpec(
        rtol=_tolerance(number["rtol"], "tolerances.number.rtol", where),
        atol=_tolerance(number["atol"], "tolerances.number.atol", where),
        drawing_atol=_tolerance(
            tolerances["drawing_atol"], "tolerances.drawing_atol", where
        ),
        image_rms=_tolerance(tolerances["image_rms"], "tolerances.image_rms", where),
        not_results=tuple(
            (str(pattern), _names(fields, f"not_results.json.{pattern}", where))
            for pattern, fields in json_fields.items()
        ),
        svg_elements=_names(not_results["svg_elements"], "not_results.svg_elements", where),
        claims=ClaimsTable(
            table=_name(claims["table"], "claims.table", where),
            key=_name(claims["key"], "claims.key", where),
            verdicts=_names(claims["verdicts"], "claims.verdicts", where),
        ),
        source=where,
    )


def _section(value: Any, name: str, where: str) -> dict[str, Any]:
    keys = SPEC_KEYS[name]
    label = name or "the top level"
    if not isinstance(value, dict):
        raise PipelineError(f"{where}: {label} must be a mapping with the keys {sorted(keys)}")
    missing, unknown = keys - set(value), set(value) - keys
    if missing or unknown:
        problem = (
            f"missing {', '.join(sorted(missing))}" if missing
            else f"unknown {', '.join(sorted(map(str, unknown)))}"
        )
        raise PipelineError(f"{where}: {label}: {problem} (expected {', '.join(sorted(keys))})")
    return value


def _tolerance(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise PipelineError(f"{where}: {name} must be a number >= 0, not {value!r}")
    return float(value)


def _name(value: Any, name: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise PipelineError(f"{where}: {name} must be a non-empty string, not {value!r}")
    return value


def _names(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise PipelineError(f"{where}: {name} must be a list of strings, not {value!r}")
    return tuple(_name(item, f"{name}[{i}]", where) for i, item in enumerate(value))
