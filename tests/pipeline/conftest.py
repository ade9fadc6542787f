"""Fixtures of the pipeline tests: small tmpfs filesystems for the storage-fault cases."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.prerequisites import require


@pytest.fixture
def tmpfs(tmp_path: Path):
    """Mount small tmpfs filesystems (root only; skipped otherwise, failing under CI)."""
    mounted: list[Path] = []

    def mount(path: Path, size: str = "4m") -> Path:
        require(os.geteuid() == 0, "mounting a tmpfs needs root")
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                              capture_output=True, text=True)
        require(done.returncode == 0, f"cannot mount a tmpfs: {done.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        if subprocess.run(["umount", str(path)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)
