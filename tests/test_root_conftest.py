"""Tests of the root conftest.py: per-process nbval output folders and the slow marker."""

from __future__ import annotations

import importlib.util
import os
import types
from pathlib import Path

import pytest

from analysis import paths


def _root_conftest() -> types.ModuleType:
    """The root conftest.py, loaded under its own name (pytest already loaded it as a plugin)."""
    spec = importlib.util.spec_from_file_location("root_conftest", paths.ROOT / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Config:
    """The two attributes of pytest.Config the hooks read."""

    def __init__(self, nbval: bool) -> None:
        self.option = types.SimpleNamespace(nbval=nbval, nbval_lax=False)
        self.stash = pytest.Stash()


def test_each_worker_gets_its_own_output_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two xdist workers get two existing folders named after them; both are removed after."""
    conftest = _root_conftest()
    folders = {}
    configs = {}
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.delenv(paths.OUTPUT_DIR_ENV, raising=False)
        configs[worker] = _Config(nbval=True)
        conftest.pytest_configure(configs[worker])
        folders[worker] = Path(paths.output_dir(None))
        assert folders[worker].is_dir() and f"-{worker}-" in folders[worker].name
    assert folders["gw0"] != folders["gw1"]
    assert paths.FIGURES_DIR not in (folders["gw0"], folders["gw1"])
    for worker, config in configs.items():
        conftest.pytest_unconfigure(config)
        assert not folders[worker].exists()


def test_no_redirect_without_nbval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --nbval the environment is left alone."""
    monkeypatch.delenv(paths.OUTPUT_DIR_ENV, raising=False)
    conftest = _root_conftest()
    config = _Config(nbval=False)
    conftest.pytest_configure(config)
    conftest.pytest_unconfigure(config)
    assert paths.OUTPUT_DIR_ENV not in os.environ


class _Item:
    """The parts of a pytest.Item the collection hook uses."""

    def __init__(self, path: str, marker: str = "", fixtures: tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self.markers = [marker] if marker else []
        self.fixturenames = list(fixtures)

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker.name)

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.markers else None


def test_notebooks_are_slow_and_long_files_go_first() -> None:
    """Notebook items, browser tests and users of the built site are slow.

    Files with a slow or browser item move ahead.
    """
    items = [_Item("tests/stats/test_rates.py"), _Item("tests/test_cli.py"),
             _Item("tests/test_cli.py", "slow"), _Item("tests/test_claims.py"),
             _Item("tests/test_site_browser.py", "browser"),
             _Item("tests/site/test_site.py", fixtures=("site_dir", "tmp_path")),
             _Item("notebooks/01-dataset.ipynb"), _Item("notebooks/01-dataset.ipynb")]
    _root_conftest().pytest_collection_modifyitems(None, items)
    assert [(str(item.path), item.get_closest_marker("slow")) for item in items] == [
        ("tests/test_cli.py", None), ("tests/test_cli.py", "slow"),
        ("tests/test_site_browser.py", "slow"), ("tests/site/test_site.py", "slow"),
        ("notebooks/01-dataset.ipynb", "slow"), ("notebooks/01-dataset.ipynb", "slow"),
        ("tests/stats/test_rates.py", None), ("tests/test_claims.py", None),
    ]


def test_a_spread_file_is_one_unit_per_test() -> None:
    """Under loadfile, each test of the browser file is a scope; other files one scope each."""
    conftest = _root_conftest()
    scheduler = conftest.FileOrTestScheduling.__new__(conftest.FileOrTestScheduling)
    scopes = [scheduler._split_scope(nodeid) for nodeid in (
        "tests/site/test_site.py::test_a", "tests/site/test_site.py::test_b",
        "tests/site/test_site_browser.py::test_c[index.html]",
        "tests/site/test_site_browser.py::test_c[report/cover.html]",
        "tests/test_cli.py::test_d", "notebooks/01-dataset.ipynb::Cell 0")]
    assert scopes == [
        "tests/site/test_site.py", "tests/site/test_site.py",
        "tests/site/test_site_browser.py::test_c[index.html]",
        "tests/site/test_site_browser.py::test_c[report/cover.html]",
        "tests/test_cli.py", "notebooks/01-dataset.ipynb",
    ]
