"""Test-only: time limits derived from how fast this machine is right now.

A test that must bound a duration (a stopped run exits "within seconds", a no-op run is fast)
or guard a wait against a hang takes its limit as a multiple of the import floor, measured once
per test run when a test first asks for it (``tests/conftest.py``): a fresh Python importing pandas,
matplotlib.pyplot, seaborn and statsmodels.api — the cost every kernel pays. On a loaded or
slow runner the floor grows and the limits with it, so no test depends on a fixed number of
seconds.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass

#: What the floor imports (the same as the benchmark's floor).
FLOOR_IMPORTS = "import pandas, matplotlib.pyplot, seaborn, statsmodels.api"


@dataclass(frozen=True)
class TimeLimits:
    """Limits as multiples of the import floor.

    Attributes:
        floor: Seconds a fresh Python took to import the scientific stack.
    """

    floor: float

    def __call__(self, multiple: float) -> float:
        """``multiple`` times the floor, in seconds."""
        return multiple * self.floor


def measure_floor() -> float:
    """Time one fresh interpreter importing :data:`FLOOR_IMPORTS`.

    No warm-up run: the test process has imported the same libraries while collecting the
    tests, so their files are in the page cache already.
    """
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR_IMPORTS], check=True)
    return time.perf_counter() - began
