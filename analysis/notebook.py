"""What a notebook needs from the package before its first figure: checked parameters, outputs.

Every notebook's first library call is :func:`start`, with its parameters::

    out = notebook.start(conf_level=conf_level, figure_formats=figure_formats, ...)

It checks each value against its rule (:data:`analysis.parameter_rules.RULES`, the same rules
``python -m analysis run`` applies before any kernel starts), so a run from JupyterLab or plain
papermill is refused with the sentence ``run`` would print; and it returns the run's
:class:`~analysis.outputs.Outputs` context, through which every figure and table is saved (see
:mod:`analysis.outputs` for where they go). The context describes every column a saved CSV
may have by collecting the descriptions each layer declares where it makes the column
(:func:`column_catalogue`).

This module sits above the dataset and statistics layers, beside the claims layer: a notebook
imports the claims layer only if it uses it, so editing it makes only that notebook stale.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from analysis import parameter_rules, paths
from analysis.dataset.schema import STATISTICS, VIEW_FIELDS
from analysis.outputs import ColumnCatalogue, Outputs, output_folder
from analysis.stats import columns as stats_columns
from analysis.tableschema import Field

#: Columns the notebooks themselves add to a table before charting it.
NOTEBOOK_FIELDS: tuple[Field, ...] = (
    Field("label", "string", "What the row shows, as the chart's axis names it."),
)


class ParameterValueError(ValueError):
    """A notebook parameter outside its rule (the message is the rule's refusal)."""


def start(**parameters: Any) -> Outputs:
    """Check a notebook's parameters and return its output context.

    Args:
        **parameters: Every parameter of the notebook's ``parameters`` cell, by name.

    Returns:
        The run's :class:`~analysis.outputs.Outputs` (shows where the outputs go).

    Raises:
        ParameterValueError: A value its rule refuses, e.g. ``parameter 'conf_level' = 1.5 is
            out of range: a number in (0, 1)``; or a ``data_path`` outside the project.
    """
    for name, value in parameters.items():
        refused = (parameter_rules.refusal(name, value)
                   or parameter_rules.file_refusal(paths.ROOT, name, value))
        if refused:
            raise ParameterValueError(refused)
    formats = parameter_rules.parse_formats(parameters.get("figure_formats", "svg,png"))
    folder, staged = output_folder(parameters)
    return Outputs(folder, formats, staged, MappingProxyType(dict(parameters)),
                   column_catalogue())


@functools.cache
def column_catalogue() -> ColumnCatalogue:
    """The descriptions of every column a saved CSV may have, from the layers that make them.

    In order (an earlier declaration of a name wins): the statistics table's fields
    (:data:`analysis.dataset.schema.STATISTICS`), the columns the dataset's views add
    (:data:`~analysis.dataset.schema.VIEW_FIELDS`), the statistics layer's columns
    (:data:`analysis.stats.columns.COLUMNS`, with its prefix families) and
    :data:`NOTEBOOK_FIELDS`. A table with a declaration of its own (the claims table) is saved
    with it (``schema=``), so a notebook that does not use the claims layer does not import it.
    """
    fields: dict[str, Field] = {}
    stats = tuple(
        Field(name, kind, description, unit=unit)
        for name, (kind, unit, description) in stats_columns.COLUMNS.items()
    )
    for group in (STATISTICS.fields, VIEW_FIELDS, stats, NOTEBOOK_FIELDS):
        for item in group:
            fields.setdefault(item.name, item)
    prefixes: Mapping[str, tuple[str, str]] = stats_columns.PREFIXES
    return ColumnCatalogue(MappingProxyType(fields), prefixes)
