"""Root pytest configuration (applies to tests/ and to notebooks/ under nbval).

When nbval re-executes the committed notebooks, their figures must not overwrite the
canonical files in figures/: the kernel inherits this process's environment, so the
notebooks' output folder is redirected to a temporary folder (the variable
analysis.paths.OUTPUT_DIR_ENV, which analysis.outputs.output_folder reads). Under
pytest-xdist every worker is its own process and makes its own folder, named after the
worker, so two notebooks running at once never share one. nbval
still compares every text, HTML and SVG output, so the figures' SVG content is checked all
the same.

Notebook items are marked ``slow`` here (they execute a kernel and cannot carry a marker),
and the files with slow or browser tests are scheduled first so that, with
``--dist loadfile``, the long files start at once instead of being left for last. Under
``--dist loadfile`` each file is one unit of work, except the files of SPREAD_FILES: each of
their tests is a unit of its own, so that they spread over the workers (the browser tests,
one per page of the site; the site they share is built once per run, under a lock, by
``tests/site/conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from xdist.scheduler import LoadFileScheduling

from analysis import paths

_FOLDER = pytest.StashKey[str]()


def _nbval_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "nbval", False)
                or getattr(config.option, "nbval_lax", False))


def pytest_configure(config: pytest.Config) -> None:
    """Point notebook outputs at a temporary folder of this process when nbval is active."""
    if not _nbval_active(config):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = tempfile.mkdtemp(prefix=f"nbval-figures-{worker}-")
    config.stash[_FOLDER] = folder
    os.environ[paths.OUTPUT_DIR_ENV] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this process's temporary output folder."""
    folder = config.stash.get(_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(paths.OUTPUT_DIR_ENV, None)


#: Markers of long tests: files holding one are run first.
LONG_MARKERS = ("slow", "browser")
#: Fixtures that build something slow for the test that first asks for them: the site
#: (``tests/site/conftest.py``); a test using one is ``slow`` too.
SLOW_FIXTURES: tuple[str, ...] = ("site_dir",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark long items ``slow``; run files with long items first, in a stable order.

    ``slow``: notebook items (they execute a kernel and cannot carry a marker), browser tests
    and tests that use a fixture of :data:`SLOW_FIXTURES`, besides those marked in their file.
    ``-m "not slow"`` is the quick loop.
    """
    for item in items:
        if (
            Path(str(item.path)).suffix == ".ipynb"
            or item.get_closest_marker("browser")
            or any(name in SLOW_FIXTURES for name in getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)
    long_files = {str(item.path) for item in items
                  if any(item.get_closest_marker(name) for name in LONG_MARKERS)}
    items.sort(key=lambda item: str(item.path) not in long_files)  # stable: order kept within


#: Test files whose tests are each a unit of work of their own under ``--dist loadfile``.
#: A worker takes the units in the order of the queue, so it runs its share of such a file
#: in a row and sets up the file's module fixtures (the browser) once.
SPREAD_FILES: tuple[str, ...] = ("tests/site/test_site_browser.py",)


class FileOrTestScheduling(LoadFileScheduling):
    """``--dist loadfile``, except that each test of SPREAD_FILES is one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        path = super()._split_scope(nodeid)
        return nodeid if path in SPREAD_FILES else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Use :class:`FileOrTestScheduling` for ``--dist loadfile``; other modes as they are."""
    if config.getoption("dist") != "loadfile":
        return None
    return FileOrTestScheduling(config, log)
