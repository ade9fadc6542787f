"""Tests for :mod:`analysis.stats.trends`, each number checked against an independent computation.

Independent references: the 2x2 log ratio of rate ratios and its SE typed as closed forms,
SciPy's chi2_contingency for the Pearson and G tests.
"""

from __future__ import annotations

import math
import warnings

import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.stats import trends
from analysis.stats.trends import compare_trends

pytestmark = pytest.mark.filterwarnings("error")

# Each compare_trends call fits two formula GLMs (tens of ms), so few examples.
SLOW_PROPERTY = settings(derandomize=True, max_examples=10, deadline=None, database=None)
counts = st.integers(min_value=1, max_value=3000)


def _z(conf_level: float) -> float:
    return stats.norm.ppf(1 - (1 - conf_level) / 2)


# --- compare_trends ---------------------------------------------------------------------


def test_trends_prostitution_vs_pornography_against_closed_form() -> None:
    """Ratio of rate ratios, Wald CI and p from log((b2 a1)/(b1 a2)), SE sqrt(sum 1/n)."""
    a1, a2, b1, b2 = 741, 466, 614, 746
    result = compare_trends(
        a1, a2, b1, b2, labels=("prostitution", "pornography"), periods=("2010", "2014")
    )
    log_rrr = math.log((b2 * a1) / (b1 * a2))
    se = math.sqrt(1 / a1 + 1 / a2 + 1 / b1 + 1 / b2)
    z = _z(0.95)
    assert result.metric == "ratio_of_rate_ratios"
    # The reference category is the first label, although "pornography" sorts first.
    # The closed forms themselves, not the iterative fit's approximation to them (which
    # is off by ~1e-10 here, and by processor-dependent units in the last place).
    assert result.estimate == pytest.approx(math.exp(log_rrr), rel=1e-14)
    assert result.ci_low == pytest.approx(math.exp(log_rrr - z * se), rel=1e-14)
    assert result.ci_high == pytest.approx(math.exp(log_rrr + z * se), rel=1e-14)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(log_rrr / se), rel=1e-12)
    assert result.extra["se_log_estimate"] == pytest.approx(se, rel=1e-14)
    assert result.extra["rate_ratio_a"] == pytest.approx(a2 / a1)
    assert result.extra["rate_ratio_b"] == pytest.approx(b2 / b1)


def test_trends_cross_checks_g_test_and_pearson() -> None:
    """The LR p-value equals SciPy's G-test; Pearson chi2 equals n(ad - bc)^2 / margins."""
    a1, a2, b1, b2 = 30, 45, 20, 12
    result = compare_trends(a1, a2, b1, b2, conf_level=0.9)
    g = stats.chi2_contingency([[a1, a2], [b1, b2]], correction=False, lambda_="log-likelihood")
    assert result.extra["lr_statistic"] == pytest.approx(g.statistic, rel=1e-12)
    assert result.extra["lr_p_value"] == pytest.approx(g.pvalue, rel=1e-10)
    n = a1 + a2 + b1 + b2
    pearson = n * (a1 * b2 - a2 * b1) ** 2 / ((a1 + a2) * (b1 + b2) * (a1 + b1) * (a2 + b2))
    assert result.extra["pearson_chi2"] == pytest.approx(pearson, rel=1e-12)
    assert result.extra["pearson_p_value"] == pytest.approx(stats.chi2.sf(pearson, 1), rel=1e-9)


@pytest.mark.parametrize("cells", [(741, 466, 614, 746), (2, 4, 3, 6), (1, 1, 1, 1)])
def test_trends_emit_no_warnings_and_print_nothing(
    cells: tuple[int, int, int, int], capfd: pytest.CaptureFixture[str]
) -> None:
    """The saturated fit's expected statsmodels warnings do not leak, even as errors.

    (2, 4, 3, 6) and (1, 1, 1, 1) have no interaction at all, so the additive model
    fits perfectly too and statsmodels' scale becomes 0/0 rather than x/0.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_trends(*cells)
    a1, a2, b1, b2 = cells
    assert result.estimate == pytest.approx((b2 / b1) / (a2 / a1), rel=1e-9)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_trends_without_interaction_give_ratio_one_and_p_one() -> None:
    """A table with a1 b2 = a2 b1 has ratio 1, LR and Pearson statistics 0, p-values 1."""
    result = compare_trends(2, 4, 3, 6)
    assert result.estimate == pytest.approx(1.0, abs=1e-9)
    assert result.p_value == pytest.approx(1.0, abs=1e-9)
    assert result.extra["lr_statistic"] == pytest.approx(0.0, abs=1e-9)
    assert result.extra["lr_p_value"] == pytest.approx(1.0, abs=1e-4)
    assert result.extra["pearson_p_value"] == pytest.approx(1.0)


def test_trends_pass_on_unexpected_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning statsmodels is not expected to give is re-issued, not swallowed."""
    real_glm = smf.glm

    def noisy_glm(*args: object, **kwargs: object) -> object:
        warnings.warn("something unexpected", UserWarning, stacklevel=2)
        return real_glm(*args, **kwargs)

    monkeypatch.setattr(trends.smf, "glm", noisy_glm)
    with pytest.warns(UserWarning, match="something unexpected"):
        compare_trends(741, 466, 614, 746)


def test_trends_do_not_swallow_exceptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside the model fit propagates unchanged."""

    def broken_glm(*args: object, **kwargs: object) -> object:
        raise ArithmeticError("boom")

    monkeypatch.setattr(trends.smf, "glm", broken_glm)
    with pytest.raises(ArithmeticError, match="boom"):
        compare_trends(741, 466, 614, 746)


@SLOW_PROPERTY
@given(counts, counts, counts, counts)
def test_property_trends_swapping_categories_inverts(a1: int, a2: int, b1: int, b2: int) -> None:
    """Swapping the categories inverts the ratio of rate ratios and its interval."""
    forward = compare_trends(a1, a2, b1, b2, conf_level=0.9)
    backward = compare_trends(b1, b2, a1, a2, conf_level=0.9)
    assert forward.ci_low <= forward.estimate <= forward.ci_high
    assert backward.estimate == pytest.approx(1 / forward.estimate, rel=1e-6)
    assert backward.ci_low == pytest.approx(1 / forward.ci_high, rel=1e-6)
    assert backward.ci_high == pytest.approx(1 / forward.ci_low, rel=1e-6)


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        ((0, 466, 614, 746), {}, "count_a1"),
        ((741, 466, 614, -1), {}, "count_b2"),
        ((741, 466.5, 614, 746), {}, "count_a2"),
        ((741, 466, 614, 746), {"labels": ("a", "b", "c")}, "labels"),
        ((741, 466, 614, 746), {"labels": ("a", "a")}, "labels"),
        ((741, 466, 614, 746), {"periods": "12"}, "periods"),
        ((741, 466, 614, 746), {"periods": ("2010",)}, "periods"),
        ((741, 466, 614, 746), {"conf_level": 0}, "conf_level"),
    ],
)
def test_compare_trends_rejects_bad_input(args: tuple, kwargs: dict, argument: str) -> None:
    """Zero or invalid cells, bad label pairs and levels raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=argument):
        compare_trends(*args, **kwargs)


def test_trends_refuse_a_fit_that_is_not_the_closed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """The GLM is the check on the closed forms: a fit of another model is refused."""
    real_glm = smf.glm

    def other_model(formula: str, *args: object, **kwargs: object) -> object:
        # The additive model in place of the saturated one: no interaction term at all.
        return real_glm(formula.replace("*", "+"), *args, **kwargs)

    monkeypatch.setattr(trends.smf, "glm", other_model)
    with pytest.raises(RuntimeError, match="does not match its closed form"):
        compare_trends(741, 466, 614, 746)
