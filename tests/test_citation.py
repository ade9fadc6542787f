"""CITATION.cff: valid Citation File Format 1.2.0, and the README's "How to cite" agrees.

The CFF 1.2.0 JSON schema is vendored in ``tests/cff/`` (no download at test time).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from analysis import paths

CFF = paths.ROOT / "CITATION.cff"
SCHEMA = Path(__file__).parent / "cff" / "schema-1.2.0.json"
README = paths.ROOT / "README.md"
PYPROJECT = paths.ROOT / "pyproject.toml"


def _flat(text: str) -> str:
    """Collapse whitespace and drop Markdown emphasis, for comparing prose with metadata."""
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


@pytest.fixture(scope="module")
def citation() -> dict[str, Any]:
    """The parsed CITATION.cff."""
    return yaml.safe_load(CFF.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def how_to_cite() -> str:
    """The README's "How to cite" section, whitespace collapsed."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## How to cite\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert match, "README.md has no '## How to cite' section"
    return _flat(match.group(1))


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def test_citation_file_is_valid_cff_1_2_0(citation: dict[str, Any]) -> None:
    """CITATION.cff validates against the CFF 1.2.0 schema."""
    errors = [e.message for e in _validator().iter_errors(citation)]
    assert errors == []
    assert citation["cff-version"] == "1.2.0"


def test_schema_rejects_a_broken_citation(citation: dict[str, Any]) -> None:
    """The validation can fail: a reference without a type and a bad cff-version are errors."""
    broken = dict(citation, **{"cff-version": "9.9"})
    broken["references"] = [{k: v for k, v in citation["references"][0].items() if k != "type"}]
    messages = " ".join(e.message for e in _validator().iter_errors(broken))
    assert "'type' is a required property" in messages
    assert "'9.9'" in messages


def test_citation_matches_pyproject(citation: dict[str, Any]) -> None:
    """Version and licence agree with pyproject.toml."""
    text = PYPROJECT.read_text(encoding="utf-8")
    assert f'version = "{citation["version"]}"' in text
    assert f'license = "{citation["license"]}"' in text


def test_licence_file_is_mit() -> None:
    """LICENSE is the MIT licence that pyproject.toml declares."""
    text = (paths.ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_report_reference_is_the_source_document(citation: dict[str, Any]) -> None:
    """The reference is the report the raw text is: symbol and session typed from its cover."""
    (report,) = [r for r in citation["references"] if r["type"] == "report"]
    assert report["number"] == "A/HRC/31/58/Add.1"
    assert report["year"] == 2016
    assert "thirty-first session" in report["conference"]["name"]
    assert paths.RAW_REPORT_SHA256 in report["notes"]
    raw = paths.RAW_REPORT.read_text(encoding="utf-8")
    assert "visited Japan" in raw and "19 to 26 October 2015" in raw


def test_readme_how_to_cite_agrees_with_citation_file(
    citation: dict[str, Any], how_to_cite: str
) -> None:
    """Every field of the citation appears in the README's section."""
    expected = [
        _flat(citation["title"]),
        f"version {citation['version']}",
        citation["authors"][0]["name"],
    ]
    (report,) = [r for r in citation["references"] if r["type"] == "report"]
    expected += [
        _flat(report["title"]),
        report["number"],
        f"({report['year']})",
        report["conference"]["name"],
        report["authors"][0]["name"],
    ]
    missing = [item for item in expected if item not in how_to_cite]
    assert missing == []
