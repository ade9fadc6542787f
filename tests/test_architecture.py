"""The package's import layering, checked with import-linter (contracts in pyproject.toml).

The layers and what each may import are described in ARCHITECTURE.md. These tests run the
contracts on the real tree, show that each contract does break when a forbidden import is
added to a copy of the package, and look for imports hidden inside functions.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import sys
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from analysis import paths

ROOT = paths.ROOT
PACKAGE = ROOT / "analysis"

#: Where a function may import from the package, and why: to put off a heavy import until
#: the command that needs it. An import put inside a function to dodge a cycle is caught
#: anyway: import-linter sees imports inside functions, so the cycle breaks `no-cycles`.
DEFERRED_IMPORTS = {
    "analysis/__main__.py": "the command line is imported when run",
    "analysis/cli.py": "each command imports its layer, so a no-op `run` starts without pandas",
    "analysis/pipeline/verify.py": "the diff report (matplotlib, nbdime) only after a failed "
                                   "verify",
}


def _lint_imports(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run import-linter on the package under ``root`` with its pyproject.toml, in process.

    Returns:
        The exit status (0 when every contract is kept) and the printed report.
    """
    status = lint_imports(config_filename=str(root / "pyproject.toml"), no_cache=True,
                          no_logo=True)
    return status, capsys.readouterr().out


def test_import_contracts_are_kept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every import-linter contract in pyproject.toml holds for the package as it is."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    status, report = _lint_imports(ROOT, capsys)
    assert status == 0, report
    assert "0 broken" in report


@pytest.mark.parametrize(
    ("module", "statement", "contract", "edge"),
    [
        ("stats/estimates.py", "from analysis import paths", "stats imports nothing",
         "analysis.stats.estimates -> analysis.paths"),
        ("stats/rates.py", "import analysis.dataset.views", "Layers",
         "analysis.stats.rates -> analysis.dataset.views"),
        ("charts/plots.py", "import analysis.dataset.views", "Layers",
         "analysis.charts.plots -> analysis.dataset.views"),
        ("dataset/numerals.py", "import analysis.stats.rates", "Layers",
         "analysis.dataset.numerals -> analysis.stats.rates"),
        ("pipeline/__init__.py", "import analysis.claims", "Layers",
         "analysis.pipeline -> analysis.claims"),
        ("paths.py", "import analysis.io", "Layers", "analysis.paths -> analysis.io"),
        ("claims/spec.py", "import analysis.charts.theme", "claims uses the dataset",
         "analysis.claims.spec -> analysis.charts.theme"),
        ("dataset/schema.py", "import analysis.dataset.extract", "No import cycles",
         "analysis.dataset"),
        ("unplaced.py", '"""A module that no layer lists."""', "Layers", "analysis.unplaced"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    module: str, statement: str, contract: str, edge: str,
) -> None:
    """Adding the import to a copy of the package makes import-linter fail on that contract.

    The copy is found first on ``sys.path`` (import-linter adds the working directory) and
    the imported ``analysis`` is hidden from ``sys.modules`` for the duration, so
    import-linter reads the copy; nothing is imported.
    """
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(PACKAGE, tmp_path / "analysis",
                    ignore=shutil.ignore_patterns("__pycache__", "templates"))
    target = tmp_path / "analysis" / module
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(existing + f"\n{statement}\n", encoding="utf-8")

    monkeypatch.chdir(tmp_path)  # import-linter puts the working directory first on sys.path
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "analysis")
    importlib.invalidate_caches()

    status, report = _lint_imports(tmp_path, capsys)

    assert status == 1, report
    broken = report.split("Broken contracts", 1)[-1]
    assert contract in broken and edge in broken, report


def _deferred_package_imports(path: Path) -> list[int]:
    """Line numbers of imports from ``analysis`` made inside a function of ``path``."""
    lines = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["analysis"]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(name == "analysis" or name.startswith("analysis.") for name in names):
                lines.append(node.lineno)
    return lines


def test_no_function_level_imports_of_the_package() -> None:
    """Modules import the package at the top, except the deferrals listed with a reason."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in DEFERRED_IMPORTS:
            continue
        lines = _deferred_package_imports(path)
        if lines:
            found[name] = lines
    assert not found, f"imports from analysis inside functions (file: lines): {found}"
