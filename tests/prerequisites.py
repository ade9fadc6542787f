"""Test-only: what a test does when something it needs is missing (skip here, fail in CI).

Locally a missing prerequisite (Chromium, axe-core, the lab environment) skips the test with
a message; with the ``CI`` variable set to a true value the test fails instead, so CI cannot
pass by skipping.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    """Whether the CI variable is set to a true value."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def require(condition: bool, problem: str) -> None:
    """Skip locally, fail in CI, when a prerequisite of the test is missing."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"CI is set, so the test may not be skipped: {problem}")
    pytest.skip(problem)
