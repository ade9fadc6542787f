"""Shared fixtures: the parsed report and the extracted facts (computed once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dataset.extract import Extraction, extract_statistics, load_spec
from analysis.dataset.source import Report, load_report


@pytest.fixture(scope="session")
def report() -> Report:
    """The real report, checksum-verified and parsed."""
    return load_report()


@pytest.fixture(scope="session")
def extraction(report: Report) -> Extraction:
    """The figures extracted from the real report with the real spec, and their locations."""
    return extract_statistics(report, load_spec())


@pytest.fixture(scope="session")
def facts(extraction: Extraction) -> pd.DataFrame:
    """The statistics table extracted from the real report with the real spec."""
    return extraction.statistics
