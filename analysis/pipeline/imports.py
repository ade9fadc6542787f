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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Imports:
    """What a piece of source imports.

    Attributes:
        anywhere: Every module it imports, in functions too (``from a import b`` gives ``a``
            and ``a.b``): the code a run of it may reach.
        at_load: The modules its module-level statements import (``from a import b`` gives
            ``a``; function and class bodies left out): what importing or running it loads.
    """

    anywhere: frozenset[str]
    at_load: frozenset[str]


@functools.lru_cache(maxsize=4096)
def scan_imports(source: str) -> Imports:
    """The imports of ``source`` (a module's or a cell's; one that does not parse has none)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics, shell escapes: nothing to follow
        return Imports(frozenset(), frozenset())
    anywhere: set[str] = set()
    at_load: set[str] = set()
    pending: list[tuple[ast.AST, bool]] = [(node, True) for node in tree.body]
    while pending:
        node, loaded = pending.pop()
        if isinstance(node, ast.Import):
            names = {alias.name for alias in node.names}
            anywhere |= names
            at_load |= names if loaded else set()
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            anywhere |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
            at_load |= {node.module} if loaded else set()
        inner = loaded and not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        )
        for name in _BLOCKS:
            pending += [(child, inner) for child in getattr(node, name, None) or ()]
    return Imports(frozenset(anywhere), frozenset(at_load))


#: Fields of a statement that hold nested statements (an import is always a statement).
_BLOCKS: tuple[str, ...] = ("body", "orelse", "finalbody", "handlers", "cases")


def _code_cells(notebook: Path) -> list[str]:
    """The sources of a notebook's code cells."""
    with open(notebook, encoding="utf-8") as handle:
        cells = json.load(handle).get("cells", [])
    return [
        "".join(source) if isinstance(source := cell.get("source", ""), list) else source
        for cell in cells
        if cell.get("cell_type") == "code"
    ]


def notebook_imports(notebook: Path) -> set[str]:
    """The modules a notebook's code cells import (cells that are not Python are skipped)."""
    return {name for source in _code_cells(notebook) for name in scan_imports(source).anywhere}


@functools.lru_cache(maxsize=1024)
def _file_imports(path: Path, mtime_ns: int, size: int) -> Imports:
    """The imports of a source file, cached while the file is unchanged."""
    return scan_imports(path.read_text(encoding="utf-8"))


def _imports_of(path: Path) -> Imports:
    stat = path.stat()
    return _file_imports(path, stat.st_mtime_ns, stat.st_size)


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
        queue += [*_parents(module), *_imports_of(path).anywhere]
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
    imported: set[str] = set()
    for notebook in notebooks:
        for source in _code_cells(notebook):
            imports = scan_imports(source)
            found |= imports.at_load
            imported |= imports.anywhere
    for path in code_closure(package_dir, imported).values():
        found |= _imports_of(path).at_load
    package = package_dir.name
    return {name for name in found if name.split(".")[0] != package}
