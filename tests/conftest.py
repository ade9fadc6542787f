"""Shared fixtures: the parsed report, the extracted facts, throwaway compendia."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import pytest

from analysis.dataset.extract import Extraction, extract_statistics, load_spec
from analysis.dataset.source import Report, load_report
from analysis.pipeline import Project
from tests.throwaway import Cell, build_project
from tests.timing import TimeLimits, measure_floor


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


@pytest.fixture(scope="session")
def throwaway(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[Mapping[str, Sequence[Cell]]], Project]:
    """Build a throwaway compendium with the given notebooks (see :mod:`tests.throwaway`)."""

    def make(notebooks: Mapping[str, Sequence[Cell]]) -> Project:
        return build_project(tmp_path_factory.mktemp("compendium"), notebooks)

    return make


@pytest.fixture(scope="session")
def limits(tmp_path_factory: pytest.TempPathFactory) -> TimeLimits:
    """Time limits as multiples of the import floor, measured once per test run.

    The first test process to ask measures it; the others (pytest-xdist workers) read it from
    the run's shared temporary folder, under a lock. Without xdist the run's own base folder
    holds it (its parent outlives the run: a later run would read a stale floor).
    """
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "import-floor.txt"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not shared.is_file():
                shared.write_text(f"{measure_floor()!r}\n", encoding="utf-8")
            floor = float(shared.read_text(encoding="utf-8"))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return TimeLimits(floor)
