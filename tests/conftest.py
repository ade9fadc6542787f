"""Shared fixtures: the parsed report and the extracted facts (computed once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dataset.extract import extract_statistics, load_spec
from analysis.dataset.source import Report, load_report


@pytest.fixture(scope="session")
def report() -> Report:
    """The real report, checksum-verified and parsed."""
    return load_report()


@pytest.fixture(scope="session")
def facts(report: Report) -> pd.DataFrame:
    """The facts extracted from the real report with the real spec."""
    return extract_statistics(report, load_spec())
