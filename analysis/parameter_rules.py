"""The notebooks' parameters: what each one means and which values it accepts, declared once.

A notebook's ``parameters`` cell (papermill) gives each parameter's name, type annotation and
default. Everything else about a parameter is declared here, once, by name, and used in three
places: ``python -m analysis run`` checks every requested value against its rule before any
kernel starts (:mod:`analysis.pipeline.parameters`); ``python -m analysis list`` prints the
rules; and a notebook's first library call (:func:`analysis.notebook.start`) checks the values
it runs with, so that a run from JupyterLab or plain papermill is refused with the same
sentence as ``run`` would print.

The choices of the method parameters repeat the method names of :mod:`analysis.stats` (which
imports nothing from the package); ``tests/test_parameter_rules.py`` checks that they agree.

A leaf: imports nothing from the package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

#: Image formats a notebook can write (``figure_formats``).
FIGURE_FORMATS: tuple[str, ...] = ("svg", "png", "pdf")


@dataclass(frozen=True)
class Rule:
    """What one parameter means and which values it accepts.

    Attributes:
        type_name: ``float``, ``int`` or ``str`` (the annotation the notebooks give it).
        help: What the parameter does, in one sentence.
        minimum: Smallest accepted value, if any.
        maximum: Largest accepted value, if any.
        exclusive: Whether ``minimum`` and ``maximum`` are themselves refused.
        choices: The accepted values, if the parameter takes one of a list.
        formats: Whether the value is a comma-separated list of :data:`FIGURE_FORMATS`.
        project_file: Whether the value names a file of the project (relative to its root;
            empty means the default file). Checked by the pipeline, which knows the root.
    """

    type_name: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive: bool = False
    choices: tuple[Any, ...] = ()
    formats: bool = False
    project_file: bool = False

    def allowed(self) -> str:
        """The accepted values in words, e.g. ``a number in (0, 1)`` or ``one of a, b``."""
        if self.choices:
            return "one of " + ", ".join(str(choice) for choice in self.choices)
        if self.formats:
            return "a comma-separated list of " + ", ".join(FIGURE_FORMATS)
        if self.project_file:
            return "a file of the project, relative to its root (empty: the default)"
        kind = "a whole number" if self.type_name == "int" else "a number"
        if self.minimum is not None and self.maximum is not None:
            low, high = ("(", ")") if self.exclusive else ("[", "]")
            return f"{kind} in {low}{_plain(self.minimum)}, {_plain(self.maximum)}{high}"
        if self.minimum is not None:
            return f"{kind} {'>' if self.exclusive else '≥'} {_plain(self.minimum)}"
        if self.maximum is not None:
            return f"{kind} {'<' if self.exclusive else '≤'} {_plain(self.maximum)}"
        return "any " + {"int": "whole number", "float": "number"}.get(self.type_name, "text")

    def problem(self, value: Any) -> str:
        """Why ``value`` is refused; the empty string when it is accepted.

        The value's type is checked by the caller against the notebook's annotation; this
        checks ranges, choices and formats.
        """
        if self.choices:
            return "" if value in self.choices else "is not allowed"
        if self.formats:
            try:
                parse_formats(str(value))
            except ValueError:
                return "is not allowed"
            return ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ""
        if isinstance(value, float) and not math.isfinite(value):
            return "is not a finite number"
        if self.minimum is not None and (
            value < self.minimum or (self.exclusive and value == self.minimum)
        ):
            return "is out of range"
        if self.maximum is not None and (
            value > self.maximum or (self.exclusive and value == self.maximum)
        ):
            return "is out of range"
        return ""


def _plain(number: float) -> str:
    return f"{number:g}"


#: Every notebook parameter, by name (read-only). A notebook's parameter without a rule here
#: fails the test suite.
RULES: Mapping[str, Rule] = MappingProxyType({
    "conf_level": Rule(
        "float", "Confidence level of every interval; a verdict's test is one-sided at "
        "(1 - conf_level) / 2.", minimum=0.0, maximum=1.0, exclusive=True),
    "figure_formats": Rule(
        "str", "Image formats to write beside each figure's CSV, comma-separated.",
        formats=True),
    "data_path": Rule(
        "str", "The statistics CSV to read, relative to the project root; empty: the "
        "processed statistics table.", project_file=True),
    "baseline_year": Rule(
        "int", "Earlier year of each comparison (the report gives these counts for 2010 and "
        "2014 only).", choices=(2010, 2014)),
    "comparison_year": Rule(
        "int", "Later year of each comparison (the report gives these counts for 2010 and "
        "2014 only).", choices=(2010, 2014)),
    "population_base": Rule(
        "int", "Rates are given per this many children.", minimum=1),
    "rate_method": Rule(
        "str", "Test and interval for two Poisson counts (see analysis.stats.rates).",
        choices=("score", "wald", "score-log", "exact-cond", "cond-midp")),
    "proportion_method": Rule(
        "str", "Interval for a binomial proportion (see analysis.stats.proportions; beta is "
        "Clopper-Pearson).",
        choices=("wilson", "beta", "agresti_coull", "jeffreys", "normal")),
    "dispersion": Rule(
        "float", "Quasi-Poisson scale phi: the variance of each count is phi times its mean "
        "(1 = Poisson); a design effect for shares.", minimum=1.0),
    "noise_sigma": Rule(
        "float", "Year-noise sigma of the change claims: the standard deviation of a log-normal "
        "year effect on each count's mean (0.1: about 10 per cent from year to year beyond "
        "Poisson variation); the default is data/claims.yaml's noise.reference_sigma.",
        minimum=0.0),
})


def refusal(name: str, value: Any) -> str:
    """The sentence refusing ``value`` for parameter ``name``; empty when it is accepted.

    Args:
        name: A parameter name (one without a rule is accepted: the caller reports unknown
            names).
        value: The value requested.

    Returns:
        E.g. ``"parameter 'conf_level' = 1.5 is out of range: a number in (0, 1)"``.
    """
    rule = RULES.get(name)
    if rule is None:
        return ""
    problem = rule.problem(value)
    if not problem:
        return ""
    return f"parameter {name!r} = {value!r} {problem}: {rule.allowed()}"


def file_refusal(root: Path, name: str, value: Any) -> str:
    """The refusal of a file parameter (a rule with ``project_file``) that leaves the project.

    Args:
        root: The project root, which such paths are relative to.
        name: The parameter.
        value: Its value (empty: the default, accepted).

    Returns:
        E.g. ``"parameter 'data_path' = '/etc/passwd' must be relative to the project root
        ..."``; the empty string when the value is accepted or the parameter names no file.
    """
    rule = RULES.get(name)
    if rule is None or not rule.project_file or not value:
        return ""
    problem = project_file_problem(root, value)
    return f"parameter {name!r} = {value!r} {problem}" if problem else ""


def parse_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """Parse a ``figure_formats`` value such as ``"svg,png"``.

    Args:
        formats: Comma-separated string or a sequence of format names.

    Returns:
        The formats, lower case, in the order given, without duplicates.

    Raises:
        ValueError: An unknown format or none at all (the message names the parameter).
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen = tuple(dict.fromkeys(item.strip().lower() for item in items if item.strip()))
    unknown = [item for item in chosen if item not in FIGURE_FORMATS]
    if unknown or not chosen:
        raise ValueError(
            f"figure_formats must list some of {list(FIGURE_FORMATS)}, got {formats!r}"
        )
    return chosen


def project_file_problem(root: Path, value: str) -> str:
    """Why ``value`` does not name a file of the project at ``root``; empty when it does.

    Args:
        root: The project root, which the value is relative to.
        value: The path as given.

    Returns:
        ``"must be relative to the project root ..."``, ``"must lie inside ..."``,
        ``"names no file in ..."`` or ``""``.
    """
    if Path(value).is_absolute():
        return f"must be relative to the project root {root}"
    target = (root / value).resolve()
    if not target.is_relative_to(root.resolve()):
        return f"must lie inside the project root {root}"
    if not target.is_file():
        return f"names no file in the project root {root}"
    return ""
