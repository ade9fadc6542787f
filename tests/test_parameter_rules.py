"""The notebooks' parameter rules (analysis.parameter_rules), declared once and used by run."""

from __future__ import annotations

import math

import pytest

from analysis import parameter_rules
from analysis.parameter_rules import RULES, refusal
from analysis.pipeline import Project, declared_parameters, discover_notebooks
from analysis.stats.proportions import PROPORTION_METHODS
from analysis.stats.rates import RATIO_METHODS


def test_method_choices_are_the_stats_methods():
    """The choices repeat the method names of analysis.stats (which imports nothing)."""
    assert set(RULES["rate_method"].choices) == set(RATIO_METHODS)
    assert set(RULES["proportion_method"].choices) == set(PROPORTION_METHODS)


def test_every_notebook_parameter_has_a_rule_of_its_type():
    """Each parameter a notebook declares has a rule, with the type the notebook annotates."""
    for notebook in discover_notebooks(Project.default()):
        for name, declared in declared_parameters(notebook).items():
            assert name in RULES, f"{notebook.name}: parameter {name!r} has no rule"
            assert RULES[name].type_name == declared.type_name, (notebook.name, name)


def test_every_rule_is_used_by_a_notebook():
    """No rule for a parameter that no notebook declares (dead declarations)."""
    used = {name for notebook in discover_notebooks(Project.default())
            for name in declared_parameters(notebook)}
    assert set(RULES) <= used


def test_every_default_satisfies_its_rule():
    """The notebooks' defaults are accepted by their own rules."""
    for notebook in discover_notebooks(Project.default()):
        for name, declared in declared_parameters(notebook).items():
            assert refusal(name, declared.default_value) == "", (notebook.name, name)


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("conf_level", 0.95, True), ("conf_level", 0.0, False), ("conf_level", 1.0, False),
        ("conf_level", 1.5, False), ("conf_level", -0.1, False), ("conf_level", math.nan, False),
        ("conf_level", 1e-9, True), ("dispersion", 1.0, True), ("dispersion", 0.999, False),
        ("dispersion", 25.0, True), ("dispersion", math.inf, False),
        ("noise_sigma", 0.0, True), ("noise_sigma", 0.1, True), ("noise_sigma", -0.01, False),
        ("noise_sigma", math.inf, False),
        ("population_base", 0, False), ("population_base", 1, True),
        ("baseline_year", 2010, True), ("baseline_year", 2012, False),
        ("rate_method", "exact-cond", True), ("rate_method", "exact", False),
        ("proportion_method", "beta", True), ("proportion_method", "clopper", False),
        ("figure_formats", "svg,png", True), ("figure_formats", "PDF", True),
        ("figure_formats", "svg,gif", False), ("figure_formats", " , ", False),
    ],
)
def test_rules_accept_and_refuse(name, value, accepted):
    """Typed boundary cases: open and closed ends, choices, formats, non-finite numbers."""
    assert (refusal(name, value) == "") is accepted


def test_the_refusal_names_parameter_value_and_allowed_values():
    """One sentence: the parameter, the value, why, and what is allowed."""
    assert refusal("conf_level", 1.5) == (
        "parameter 'conf_level' = 1.5 is out of range: a number in (0, 1)"
    )
    assert refusal("dispersion", 0.5) == (
        "parameter 'dispersion' = 0.5 is out of range: a number ≥ 1")
    assert refusal("rate_method", "foo").endswith(
        "is not allowed: one of score, wald, score-log, exact-cond, cond-midp"
    )


def test_rules_are_read_only():
    """The public table cannot be changed by a caller."""
    with pytest.raises(TypeError):
        parameter_rules.RULES["conf_level"] = RULES["dispersion"]  # type: ignore[index]
