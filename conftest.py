"""Root pytest configuration (applies to tests/ and to notebooks/ under nbval).

When nbval re-executes the committed notebooks, their figures must not overwrite the
canonical files in figures/: the kernel inherits this process's environment, so the
notebooks' output folder is redirected to a temporary folder for the session (see
analysis.paths.output_dir). nbval still compares every text, HTML and SVG output, so the
figures' SVG content is checked all the same.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from analysis import paths

_STAGING: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Point notebook outputs at a temporary folder when nbval is active."""
    if getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False):
        folder = tempfile.mkdtemp(prefix="nbval-figures-")
        _STAGING.append(folder)
        os.environ[paths.OUTPUT_DIR_ENV] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary output folder."""
    for folder in _STAGING:
        shutil.rmtree(folder, ignore_errors=True)
