"""Notebook parameters: what a notebook declares, what the user gives, and their checks."""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import parameter_rules
from analysis.io import YamlFileError, load_yaml
from analysis.outputs import parameters_digest
from analysis.pipeline.project import ParameterError, PipelineError, Project, discover_notebooks

_NO_LITERAL = object()
_TYPES: dict[str, type] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
}


@dataclass(frozen=True)
class Parameter:
    """A parameter declared in a notebook's ``parameters`` cell.

    Attributes:
        name: The variable name.
        type_name: ``int``, ``float``, ``str``, ``bool``, ``list`` or ``dict``, from the
            annotation or else from the default's literal; ``None`` when unknown (a ``None``
            default or an expression), in which case any value is accepted.
        default: The default as written in the cell.
        help: The trailing comment.
        optional: Whether ``None`` is accepted: annotated ``Optional[...]`` or ``... | None``,
            or a ``None`` default.
    """

    name: str
    type_name: str | None
    default: str
    help: str = ""
    optional: bool = False

    @property
    def default_value(self) -> Any:
        """The default's value when it is a literal, else a private sentinel."""
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _NO_LITERAL


def _type_from_annotation(annotation: str) -> tuple[str | None, bool]:
    """Return the type name of an annotation and whether it admits ``None``."""
    text = annotation.replace(" ", "")
    optional = False
    if text.startswith("Optional[") and text.endswith("]"):
        text, optional = text[len("Optional[") : -1], True
    parts = text.split("|")
    if len(parts) > 1 and "None" in parts:
        parts = [part for part in parts if part != "None"]
        optional = True
        text = parts[0] if len(parts) == 1 else ""
    base = text.split("[", 1)[0].lower()
    return (base if base in _TYPES else None), optional


def _type_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, tuple):
        return "list"
    for name, kind in _TYPES.items():
        if isinstance(value, kind):
            return name
    return None


def declared_parameters(notebook: Path) -> dict[str, Parameter]:
    """Return the parameters a notebook declares, as :func:`papermill.inspect_notebook` sees them.

    Args:
        notebook: The notebook.

    Returns:
        The parameters by name, in the order of the ``parameters`` cell.
    """
    import papermill

    try:
        inspected = papermill.inspect_notebook(str(notebook))
    except Exception as exc:  # malformed notebook, unknown language, ...
        raise PipelineError(f"cannot inspect the parameters of {notebook}: {exc}") from None
    found: dict[str, Parameter] = {}
    for name, info in inspected.items():
        default = str(info.get("default", ""))
        annotation = str(info.get("inferred_type_name") or "")
        type_name, optional = _type_from_annotation(annotation)
        value = Parameter(name, None, default).default_value
        if type_name is None:
            type_name = None if value is _NO_LITERAL else _type_of(value)
        optional = optional or value is None
        found[name] = Parameter(name, type_name, default, str(info.get("help") or ""), optional)
    return found


def parse_cli_value(text: str) -> Any:
    """Parse a ``-p NAME VALUE`` value the way papermill's ``-p`` does.

    ``True``/``False``/``None`` become those constants, integers and floats become numbers, and
    anything else stays a string.
    """
    if text in ("True", "False"):
        return text == "True"
    if text == "None":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def load_parameter_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read parameters from a YAML file (a mapping of names to values).

    Raises:
        PipelineError: The file is missing, is not valid YAML (a key given twice included)
            or is not a mapping.
    """
    try:
        data = load_yaml(path)
    except YamlFileError as error:
        raise PipelineError(f"parameter file {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise PipelineError(f"parameter file {path} must be a mapping of names to values")
    return data


def check_path_parameters(root: Path, notebook: str, parameters: Mapping[str, Any]) -> None:
    """Refuse a file parameter (a rule with ``project_file``) that leaves the project.

    Args:
        root: The project root, which such paths are relative to.
        notebook: The notebook's name, for messages.
        parameters: The non-default parameters.

    Raises:
        ParameterError: The path is absolute, resolves outside ``root`` or is not a file;
            the message names the parameter and the path.
    """
    for name, value in parameters.items():
        refused = parameter_rules.file_refusal(root, name, value)
        if refused:
            raise ParameterError(f"{notebook}: {refused}")


def validate_parameters(
    notebook: str, declared: Mapping[str, Parameter], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Check parameters against a notebook's declared ones and drop those equal to defaults.

    Args:
        notebook: The notebook's name, for messages.
        declared: Its declared parameters (:func:`declared_parameters`).
        given: The values requested.

    Returns:
        The non-default parameters, ints given for floats turned into floats.

    Raises:
        ParameterError: An undeclared name, a value whose type differs from the default's,
            or one its rule refuses (:data:`analysis.parameter_rules.RULES`: a range, a list of
            choices); the message names the notebook, the parameter and the allowed values.
    """
    effective: dict[str, Any] = {}
    for name, value in given.items():
        if name not in declared:
            accepted = ", ".join(declared) or "none (no cell tagged 'parameters')"
            raise ParameterError(
                f"{notebook}: unknown parameter {name!r}; accepted parameters: {accepted}"
            )
        spec = declared[name]
        expected = spec.type_name
        if value is None and expected is not None and not spec.optional:
            raise ParameterError(
                f"{notebook}: parameter {name!r} expects {expected} (default {spec.default}), "
                "got None; it is not declared optional"
            )
        if expected is not None and value is not None:
            actual = _type_of(value)
            if expected == "float" and actual == "int":
                value = float(value)
            elif actual != expected:
                nested = expected in ("list", "dict")
                hint = " (lists and mappings go in a -f YAML file)" if nested else ""
                raise ParameterError(
                    f"{notebook}: parameter {name!r} expects {expected} (default "
                    f"{spec.default}), got {actual or type(value).__name__} {value!r}{hint}"
                )
        if isinstance(value, tuple):
            value = list(value)
        refused = parameter_rules.refusal(name, value)
        if refused:
            raise ParameterError(f"{notebook}: {refused}")
        default = spec.default_value
        if (
            default is not _NO_LITERAL
            and _type_of(default) == _type_of(value)
            and (default == value)
        ):
            continue
        effective[name] = value
    return effective


def run_dir(project: Project, notebook: Path, parameters: Mapping[str, Any]) -> Path:
    """Return ``runs/<stem>-<hash>/``, the folder of a run with non-default parameters."""
    return project.runs_dir / f"{notebook.stem}-{parameters_digest(parameters)}"


def describe_notebooks(project: Project, notebooks: Sequence[Path] | None = None) -> str:
    """Return a listing of notebooks with their parameters: type, default, meaning, allowed values.

    Name, type and default come from each notebook's ``parameters`` cell; the meaning and the
    allowed values from :data:`analysis.parameter_rules.RULES`.
    """
    selected = list(notebooks) if notebooks is not None else discover_notebooks(project)
    lines = []
    for notebook in selected:
        lines.append(project.rel(notebook))
        declared = declared_parameters(notebook)
        if not declared:
            lines.append("    (no parameters)")
        for spec in declared.values():
            lines.append(f"    {spec.name}: {spec.type_name or 'any'} = {spec.default}")
            rule = parameter_rules.RULES.get(spec.name)
            if rule is not None:
                lines.append(f"        {rule.help} Allowed: {rule.allowed()}.")
            elif spec.help:
                lines.append(f"        {spec.help}")
    return "\n".join(lines)
