"""The columns the statistics layer puts in its tables, each described once.

:func:`~analysis.stats.estimates.estimates_frame`,
:func:`~analysis.stats.estimates.estimates_summary` and the tables of
:mod:`analysis.stats.tables` make these columns; when a notebook saves such
a table as a figure's data, the figure's Table Schema takes the descriptions from here
(:func:`analysis.notebook.column_catalogue` collects them with the other layers'). Plain data: the
statistics layer imports nothing from the package, so the descriptions are tuples of
``(Table Schema type, unit, description)``, turned into fields above this layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Column name -> (Table Schema type, unit, description).
COLUMNS: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "metric": ("string", "", "What the estimate is (e.g. rate_ratio, proportion, "
               "rate_per_population, ratio_of_rate_ratios)."),
    "estimate": ("number", "", "The point estimate of the row's metric (a rate ratio, a "
                 "proportion as a fraction, a rate per population base)."),
    "ci_low": ("number", "", "Lower limit of the estimate's central confidence interval."),
    "ci_high": ("number", "", "Upper limit of the estimate's central confidence interval."),
    "conf_level": ("number", "", "Confidence level of the interval (e.g. 0.95)."),
    "p_value": ("number", "probability", "Two-sided p-value of the test of no difference "
                "(empty when no test applies)."),
    "p_display": ("string", "", "The p-value as shown: from its logarithm, never 0 (e.g. "
                  "2.6e-16, < 1e-300)."),
    "p_two_sided": ("number", "probability", "Two-sided p-value of the test of no change "
                    "between the two counts (for the exact conditional test: twice the "
                    "smaller one-sided tail)."),
    "p_two_sided_display": ("string", "", "p_two_sided as shown: from its logarithm, never 0."),
    "method": ("string", "", "The method of the interval and test, in words."),
    "count1": ("integer", "count", "The earlier count of the comparison."),
    "count2": ("integer", "count", "The later count of the comparison."),
    "count_a1": ("integer", "count", "First series, earlier count (ratio of rate ratios)."),
    "count_a2": ("integer", "count", "First series, later count (ratio of rate ratios)."),
    "count_b1": ("integer", "count", "Second series, earlier count (ratio of rate ratios)."),
    "count_b2": ("integer", "count", "Second series, later count (ratio of rate ratios)."),
    "percent_change": ("number", "percent", "Change from the earlier to the later count, "
                       "in per cent: 100 × (rate ratio − 1)."),
    "percent_change_ci_low": ("number", "percent", "Lower interval limit of the per cent "
                              "change."),
    "percent_change_ci_high": ("number", "percent", "Upper interval limit of the per cent "
                               "change."),
    "successes": ("integer", "count", "Count of the category whose share is estimated."),
    "component": ("string", "", "Part of a whole (composition), including the remainder the "
                  "report leaves unexplained."),
    "share": ("number", "", "The component's share of the whole (a fraction; per cent where "
              "the figure's axis says so)."),
    "is_remainder": ("boolean", "", "Whether the component is the remainder (the whole minus "
                     "the stated parts), not a stated figure."),
    "total": ("integer", "count", "Total the share is taken of."),
})

#: Prefixes of the columns :func:`~analysis.stats.estimates.estimates_frame` makes from an
#: estimate's inputs and secondary numbers -> (Table Schema type, description; ``{name}`` is
#: the rest of the column name).
PREFIXES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "input_": ("number", "Input of the estimate: {name}."),
    "extra_": ("number", "Secondary number of the estimate: {name}."),
})
