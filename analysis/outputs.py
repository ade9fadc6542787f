"""Declared outputs: where a notebook's figures and tables go, and what each one is.

A notebook's first library call (:func:`analysis.notebook.start`) returns an :class:`Outputs`
context; every figure (:func:`analysis.charts.theme.save_figure`) and every table that is not a
figure (:func:`save_table`) is written through it. Each save writes the files atomically and,
beside them, a *declaration* (:class:`DeclaredOutput`: name, kind, title, description or alt
text, files, the Table Schema of its CSV, and the cell that made it) in the folder's
``.declared/`` sub-folder. The pipeline reads the declarations of a finished notebook and
records them in ``figures/MANIFEST.json`` beside the files' hashes, and writes
``figures/datapackage.json`` from them; the site reads the manifest. Nothing discovers an
output after the fact.

Where outputs go:

* under the pipeline (``python -m analysis run``), and under nbval in ``make test``, the
  folder named by the environment variable :data:`analysis.paths.OUTPUT_DIR_ENV`: a staging
  folder the pipeline moves into ``figures/`` (default parameters) or ``runs/<stem>-<hash>/``
  only when the notebook succeeded;
* anywhere else (JupyterLab, plain papermill, ``python`` on an exported script),
  ``runs/interactive-<hash>/``, ``<hash>`` naming the parameter values, whatever they are.
  The canonical ``figures/`` folder is written only by the pipeline; the context's display (the
  first cell's output) says where this run's files go.

This module imports pandas only inside the functions that need it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from analysis import parameter_rules, paths
from analysis.io import atomic_write_many, frame_to_csv_text, json_digest
from analysis.tableschema import Field, Table

if TYPE_CHECKING:
    import pandas as pd

#: Sub-folder of an output folder holding the declarations (``<name>.json``).
DECLARED_SUBDIR: str = ".declared"
#: Kinds of declared output.
KINDS: tuple[str, ...] = ("figure", "table")
#: Prefix of the folders of runs outside the pipeline (``runs/interactive-<hash>/``).
INTERACTIVE_PREFIX: str = "interactive-"


class OutputError(ValueError):
    """An output cannot be declared: a bad name, a column nobody describes, a name reused."""


@dataclass(frozen=True)
class DeclaredOutput:
    """What one figure or table is, as declared when it was saved.

    Attributes:
        name: Base name of its files (letters, digits, ``-``, ``_``).
        kind: ``figure`` or ``table``.
        title: Its title (a figure's as drawn).
        description: A figure's alt text; a table's description of one row.
        files: Its files, relative to the output folder, the CSV last.
        schema: The Table Schema descriptor of its CSV.
        execution_count: The execution count of the cell that saved it, when known (the
            pipeline turns it into the cell's index and id).
    """

    name: str
    kind: str
    title: str
    description: str
    files: tuple[str, ...]
    schema: Mapping[str, Any]
    execution_count: int | None = None

    @property
    def data(self) -> str:
        """The CSV file (relative to the output folder)."""
        return self.files[-1]

    def to_json(self) -> dict[str, Any]:
        """The declaration as JSON data."""
        data = asdict(self)
        data["files"] = list(self.files)
        data["schema"] = _plain_json(self.schema)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeclaredOutput:
        """Read a declaration written by :meth:`to_json`.

        Raises:
            OutputError: ``data`` does not have a declaration's keys and types.
        """
        names = {item.name for item in cls.__dataclass_fields__.values()}
        if not isinstance(data, Mapping) or set(data) != names:
            raise OutputError(f"not an output declaration: {data!r:.200}")
        kind = data["kind"]
        if kind not in KINDS or not isinstance(data["files"], list) or not data["files"]:
            raise OutputError(f"output declaration {data.get('name')!r}: bad kind or files")
        return cls(
            name=str(data["name"]), kind=kind, title=str(data["title"]),
            description=str(data["description"]), files=tuple(map(str, data["files"])),
            schema=data["schema"], execution_count=data["execution_count"],
        )


def _plain_json(value: Any) -> Any:
    """``value`` with mappings and tuples turned into dicts and lists (for ``json.dumps``)."""
    if isinstance(value, Mapping):
        return {str(key): _plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(item) for item in value]
    return value


@dataclass(frozen=True)
class ColumnCatalogue:
    """The descriptions of every column a figure's or table's CSV may have.

    Attributes:
        fields: Declared columns by name.
        prefixes: Families of columns by name prefix -> (Table Schema type, description with
            ``{name}`` for the rest of the column name), e.g. ``input_``.
    """

    fields: Mapping[str, Field] = field(default_factory=lambda: MappingProxyType({}))
    prefixes: Mapping[str, tuple[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def get(self, name: str) -> Field | None:
        """The declaration of column ``name``, if any."""
        if name in self.fields:
            return self.fields[name]
        for prefix, (kind, template) in self.prefixes.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                rest = name[len(prefix):].replace("_", " ")
                return Field(name, kind, template.format(name=rest))
        return None


@dataclass(frozen=True)
class Outputs:
    """Where one notebook run writes, in which formats, and how its columns are described.

    Attributes:
        folder: The output folder.
        formats: Image formats for figures (``svg``, ``png``, ``pdf``).
        staged: Whether the folder is the pipeline's staging folder (or nbval's), i.e. the
            run was started by ``python -m analysis run`` (or ``make test``).
        parameters: The parameter values of the run.
        columns: Descriptions of every column a figure's or table's CSV may have.
    """

    folder: Path
    formats: tuple[str, ...]
    staged: bool
    parameters: Mapping[str, Any]
    columns: ColumnCatalogue = field(default_factory=ColumnCatalogue)

    def schema(self, frame: pd.DataFrame, declared: Table | None = None) -> dict[str, Any]:
        """The Table Schema of ``frame`` as written to CSV: one described field per column.

        Args:
            frame: The table.
            declared: A table declaration whose fields describe (and take precedence for)
                the columns it names, e.g. the claims table's.

        Raises:
            OutputError: A column that neither ``declared`` nor :attr:`columns` describes
                (the message names it and where descriptions are declared).
        """
        given = {item.name: item for item in declared.fields} if declared is not None else {}
        fields = []
        for column in map(str, frame.columns):
            if column in given:
                fields.append(_csv_field(given[column], frame[column], constrained=True))
                continue
            item = self.columns.get(column)
            if item is None:
                raise OutputError(
                    f"no description for column {column!r}: declare it where it is made "
                    "(analysis.notebook.column_catalogue lists where descriptions come from)"
                )
            fields.append(_csv_field(item, frame[column], constrained=False))
        return {"fields": fields, "missingValues": [""]}

    def save(self, output: DeclaredOutput, contents: Mapping[str, str | bytes]) -> None:
        """Write an output's files and its declaration, all or none.

        Args:
            output: The declaration (its ``files`` are the keys of ``contents``).
            contents: File name (relative to :attr:`folder`) -> text or bytes.

        Raises:
            OutputError: A bad name, or files that do not match the declaration.
        """
        check_name(output.name)
        if tuple(contents) != output.files:
            raise OutputError(f"output {output.name!r}: files {tuple(contents)} are not its "
                              f"declared files {output.files}")
        declaration = json.dumps(output.to_json(), sort_keys=True, indent=1) + "\n"
        atomic_write_many({
            **{self.folder / name: data for name, data in contents.items()},
            self.folder / DECLARED_SUBDIR / f"{output.name}.json": declaration,
        })

    def where(self) -> str:
        """One sentence: where this run's outputs go."""
        if self.staged:
            return ("Outputs are staged by the pipeline (python -m analysis run), which moves "
                    "them into place only when the notebook has succeeded.")
        return (f"Outputs of this run go to {_shown(self.folder)}/; the canonical figures/ is "
                "written only by `python -m analysis run`.")

    def parameter_rows(self) -> list[tuple[str, str, str, str]]:
        """One row per parameter: name, value, allowed values, meaning (from its rule)."""
        rows = []
        for name, value in self.parameters.items():
            rule = parameter_rules.RULES.get(name)
            allowed, meaning = (rule.allowed(), rule.help) if rule else ("", "")
            rows.append((name, repr(value), allowed, meaning))
        return rows

    def __repr__(self) -> str:
        lines = [self.where(), "Parameters:"]
        lines += [f"  {name} = {value}  ({allowed}) {meaning}"
                  for name, value, allowed, meaning in self.parameter_rows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            "<tr>" + f'<th scope="row"><code>{html.escape(name)}</code></th>'
            + "".join(f"<td>{html.escape(text)}</td>" for text in (value, allowed, meaning))
            + "</tr>"
            for name, value, allowed, meaning in self.parameter_rows()
        )
        return (
            f"<p>{html.escape(self.where())} Parameters of this run:</p>"
            '<table aria-label="Parameters of this run"><thead><tr>'
            '<th scope="col">parameter</th><th scope="col">value</th>'
            '<th scope="col">allowed</th><th scope="col">meaning</th></tr></thead>'
            f"<tbody>{cells}</tbody></table>"
        )


def _csv_field(declared: Field, column: pd.Series, constrained: bool) -> dict[str, Any]:
    """A field descriptor for a CSV column: its type as written, the declaration's words.

    Args:
        declared: The column's declaration.
        column: The column's values.
        constrained: Whether the declaration is the table's own (passed with the save), whose
            constraints hold for its rows. A column described by the catalogue belongs to a
            chart's selected or derived rows (a remainder, an effect-size row), so only its
            description and unit carry over.

    Returns:
        The descriptor: the type follows the column's values (``integer``, ``number``,
        ``boolean``, ``string``); a declaration's constraints are kept when its type agrees.
    """
    values = column.dropna()
    empty = bool((values.astype(str) == "").all())  # no value at all: any type holds
    kind = declared.type if empty else column_type(column)
    if constrained and kind == declared.type:
        return declared.descriptor()
    return Field(declared.name, kind, declared.description, unit=declared.unit).descriptor()


def column_type(column: pd.Series) -> str:
    """The Table Schema type of a column as :func:`analysis.io.frame_to_csv_text` writes it.

    Booleans are ``boolean``; integers, and floats that are all whole (written without a
    decimal point), ``integer``; other numbers ``number``; anything else ``string``.
    """
    import pandas as pd

    values = column.dropna()
    if pd.api.types.is_bool_dtype(column) or (
        len(values) and all(isinstance(v, bool) for v in values)
    ):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_numeric_dtype(column):
        whole = len(values) > 0 and bool((values % 1 == 0).all())
        return "integer" if whole else "number"
    return "string"


def _shown(folder: Path) -> str:
    try:
        return folder.resolve().relative_to(paths.ROOT).as_posix()
    except ValueError:
        return folder.as_posix()


def check_name(name: str) -> None:
    """Refuse a base name other than letters, digits, ``-`` and ``_``.

    Raises:
        OutputError: The name is empty or has another character.
    """
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise OutputError(f"output name must use letters, digits, '-' or '_', got {name!r}")


def parameters_digest(parameters: Mapping[str, Any], length: int = 12) -> str:
    """The short SHA-256 of the canonical JSON of ``parameters``: the name of a run folder.

    ``run`` names its folders for non-default parameters with it (``runs/<stem>-<hash>/``),
    an interactive run its folder (``runs/interactive-<hash>/``).
    """
    return json_digest(dict(parameters))[:length]


def output_folder(parameters: Mapping[str, Any]) -> tuple[Path, bool]:
    """The folder a run with ``parameters`` writes to, and whether the pipeline staged it.

    Returns:
        The staging folder named by :data:`analysis.paths.OUTPUT_DIR_ENV` and ``True``; or
        ``runs/interactive-<hash>/`` and ``False``.
    """
    staged = paths.staged_output_dir()
    if staged is not None:
        return staged, True
    return paths.RUNS_DIR / f"{INTERACTIVE_PREFIX}{parameters_digest(parameters)}", False


def execution_count() -> int | None:
    """The execution count of the running notebook cell (``None`` outside IPython).

    IPython numbers a cell when it starts running it and moves its counter on at once, so
    while a cell runs the shell's ``execution_count`` is the *next* cell's number.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return None
    shell = get_ipython()
    count = getattr(shell, "execution_count", None)
    return count - 1 if isinstance(count, int) and count > 1 else None


def save_table(
    outputs: Outputs,
    name: str,
    data: pd.DataFrame,
    *,
    title: str,
    schema: Table | None = None,
) -> SavedTable:
    """Write a table that is not a figure's data (e.g. the claims table) as ``<name>.csv``.

    Args:
        outputs: The run's output context.
        name: Base file name.
        data: The table.
        title: What the table is, in a few words.
        schema: The table's declaration (its description and column descriptions); columns it
            does not describe are looked up in the context's catalogue.

    Returns:
        What was written (shows a one-line note when it is a cell's result).
    """
    check_name(name)
    described = outputs.schema(data, schema)
    if schema is not None and schema.primary_key and schema.primary_key in data.columns:
        described["primaryKey"] = [schema.primary_key]
    output = DeclaredOutput(
        name=name, kind="table", title=title,
        description=schema.description if schema is not None else title,
        files=(f"{name}.csv",), schema=described, execution_count=execution_count(),
    )
    outputs.save(output, {f"{name}.csv": frame_to_csv_text(data)})
    return SavedTable(name, output.files, len(data))


@dataclass(frozen=True)
class SavedTable:
    """A table written by :func:`save_table`.

    Attributes:
        name: Base name.
        files: Files written, relative to the output folder.
        rows: Number of data rows.
    """

    name: str
    files: Sequence[str]
    rows: int

    def __repr__(self) -> str:
        return f"Table {self.name!r}: {', '.join(self.files)} ({self.rows} rows)"
