"""Which of the package's code a notebook runs: its imports, followed through the package.

A notebook's code input is the set of the package's modules it imports, directly or through
other modules (imports inside functions included: a lazy import still runs), plus the data
files those modules read by default (:data:`analysis.paths.MODULE_DATA`). Editing
``analysis/stats/`` then makes stale only the notebooks that import the statistics layer, and
editing the pipeline, the command line or the site makes none stale. The imports are read
with :mod:`ast` from the notebook's code cells and the package's source files, without
importing anything (a few milliseconds for the whole package).
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path


def notebook_imports(notebook: Path) -> set[str]:
    """The modules a notebook's code cells import (cells that are not Python are skipped)."""
    with open(notebook, encoding="utf-8") as handle:
        cells = json.load(handle).get("cells", [])
    found: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        found |= _imports("".join(source) if isinstance(source, list) else source)
    return found


def _imports(source: str) -> set[str]:
    """Absolute module names imported by ``source`` (``from a import b`` gives ``a``, ``a.b``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, shell escapes: nothing to follow
        return set()
    found: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


#: Fields of a statement that hold nested statements (an import is always a statement).
_BLOCKS: tuple[str, ...] = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every statement in ``nodes`` and in their blocks (functions, classes, if, try, ...)."""
    for node in nodes:
        yield node
        for name in _BLOCKS:
            yield from _statements(getattr(node, name, None) or ())


@functools.lru_cache(maxsize=1024)
def _file_imports(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """The imports of a source file, cached while the file is unchanged."""
    return frozenset(_imports(path.read_text(encoding="utf-8")))


def _module_file(package_dir: Path, module: str) -> Path | None:
    """The source file of ``module`` inside the package, if it is one of its modules."""
    parts = module.split(".")
    if parts[0] != package_dir.name:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _parents(module: str) -> Iterable[str]:
    """``a.b.c`` -> ``a``, ``a.b``: importing a module runs its packages' ``__init__`` first."""
    parts = module.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts)))


def code_closure(package_dir: Path, imported: Iterable[str]) -> dict[str, Path]:
    """Every module of the package that importing ``imported`` runs, with its file.

    Args:
        package_dir: The package's folder (its name is the top-level module name).
        imported: Module names, e.g. a notebook's imports.

    Returns:
        Module name -> source file, for the package's modules only.
    """
    found: dict[str, Path] = {}
    queue = list(imported)
    while queue:
        module = queue.pop()
        if module in found:
            continue
        path = _module_file(package_dir, module)
        if path is None:
            continue
        found[module] = path
        stat = path.stat()
        queue += [*_parents(module), *_file_imports(path, stat.st_mtime_ns, stat.st_size)]
    return found


def notebook_code(
    package_dir: Path, notebook: Path, module_data: Mapping[str, Iterable[Path]]
) -> list[Path]:
    """The files a notebook's run depends on through the package: modules and their data.

    Args:
        package_dir: The package's folder.
        notebook: The notebook.
        module_data: Data files read by default, by module name.

    Returns:
        The modules' source files and the data files of the modules among them, sorted.
    """
    modules = code_closure(package_dir, notebook_imports(notebook))
    data = [Path(p) for name in modules for p in module_data.get(name, ())]
    return sorted({*modules.values(), *(p for p in data if p.is_file())})


def _module_level_imports(source: str) -> set[str]:
    """Modules ``source`` imports when it runs (not inside a function or a class body)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        for name in _BLOCKS:
            pending += list(getattr(node, name, None) or ())
    return found


def imported_libraries(package_dir: Path, notebooks: Iterable[Path]) -> set[str]:
    """The modules outside the package that the notebooks' code imports as it runs.

    The notebooks' own imports and the module-level imports of every package module their
    imports reach (an import inside a function runs only when it is called, so it is left
    out), without the package's own modules.

    Args:
        package_dir: The package's folder.
        notebooks: The notebooks.

    Returns:
        Dotted module names, e.g. ``pandas``, ``matplotlib.figure``, ``statsmodels.api``.
    """
    found: set[str] = set()
    for notebook in notebooks:
        with open(notebook, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") == "code":
                source = cell.get("source", "")
                found |= _module_level_imports("".join(source) if isinstance(source, list)
                                               else source)
        for path in code_closure(package_dir, notebook_imports(notebook)).values():
            found |= _module_level_imports(path.read_text(encoding="utf-8"))
    package = package_dir.name
    return {name for name in found if name.split(".")[0] != package}
