"""Tests for the result record :class:`analysis.stats.estimates.Estimate` and validators."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats.estimates import (
    CORE_COLUMNS,
    PERCENT_CHANGE_COLUMNS,
    Estimate,
    PercentChange,
    check_conf_level,
    check_count,
    check_count_within,
    check_dispersion,
    check_method,
    check_positive,
    estimates_frame,
)

pytestmark = pytest.mark.filterwarnings("error")


def _ratio() -> Estimate:
    return Estimate(
        metric="rate_ratio",
        estimate=466 / 741,
        ci_low=0.56,
        ci_high=0.706,
        conf_level=0.95,
        p_value=2.5e-15,
        method="Poisson rate ratio, score test",
        inputs={"count1": 741, "count2": 466},
        extra={"percent_change": 100 * (466 / 741 - 1)},
    )


def _proportion() -> Estimate:
    return Estimate(
        metric="proportion",
        estimate=16 / 213,
        ci_low=0.0468,
        ci_high=0.1185,
        conf_level=0.95,
        p_value=None,
        method="Wilson score interval",
        inputs={"successes": 16, "total": 213},
    )


# --- the record ---------------------------------------------------------------


def test_to_record_is_flat_with_prefixed_inputs_and_extras() -> None:
    """to_record puts core fields first, then input_<name>, then extra_<name>."""
    record = _ratio().to_record()
    assert list(record) == [
        *CORE_COLUMNS,
        "input_count1",
        "input_count2",
        "extra_percent_change",
    ]
    assert record["input_count1"] == 741
    assert record["p_value"] == 2.5e-15
    assert record["extra_percent_change"] == pytest.approx(-37.112, abs=1e-3)


def test_estimate_is_frozen_and_hashable() -> None:
    """An Estimate cannot be modified after creation and can be hashed."""
    estimate = _ratio()
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.estimate = 1.0  # type: ignore[misc]
    assert isinstance(hash(estimate), int)


def test_inputs_are_copied_and_numpy_scalars_converted() -> None:
    """Mutating the caller's dict later does not change the record; np scalars become Python."""
    inputs = {"count": np.int64(746), "population": np.float64(20_310_400)}
    estimate = Estimate("rate_per_100000", 3.67, 3.41, 3.95, 0.95, None, "exact", inputs)
    inputs["count"] = 0
    assert estimate.inputs["count"] == 746
    assert type(estimate.inputs["count"]) is int
    assert type(estimate.inputs["population"]) is float


def test_default_extra_is_empty() -> None:
    """Without extra, the record has no extra_ keys."""
    assert not any(key.startswith("extra_") for key in _proportion().to_record())


def test_describe_formats_one_line() -> None:
    """describe() gives metric, estimate, interval and p-value in one line."""
    assert _ratio().describe() == "rate_ratio 0.629 (95% CI 0.56 to 0.706), p = 2.5e-15"
    assert _proportion().describe(2) == "proportion 0.075 (95% CI 0.047 to 0.12)"


@pytest.mark.parametrize(
    ("changes", "argument"),
    [
        ({"conf_level": 1.5}, "conf_level"),
        ({"conf_level": 0.0}, "conf_level"),
        ({"ci_low": 0.9, "ci_high": 0.1}, "ci_low"),
        ({"p_value": 1.5}, "p_value"),
        ({"p_value": -0.1}, "p_value"),
        ({"metric": ""}, "metric"),
        ({"method": ""}, "method"),
        ({"estimate": "high"}, "estimate"),
        ({"inputs": {"count": [1, 2]}}, "inputs"),
        ({"extra": {"table": {"a": 1}}}, "extra"),
    ],
)
def test_estimate_rejects_invalid_fields(changes: dict, argument: str) -> None:
    """Invalid field values raise ValueError naming the field."""
    fields = dataclasses.asdict(_ratio()) | changes
    with pytest.raises(ValueError, match=argument):
        Estimate(**fields)


# --- the table ----------------------------------------------------------------


def test_estimates_frame_one_row_per_estimate_in_stable_column_order() -> None:
    """Rows follow the input order; columns are core, inputs, extras by first appearance."""
    frame = estimates_frame([_ratio(), _proportion()])
    assert len(frame) == 2
    assert list(frame.columns) == [
        *CORE_COLUMNS,
        "input_count1",
        "input_count2",
        "input_successes",
        "input_total",
        "extra_percent_change",
    ]
    assert frame["metric"].tolist() == ["rate_ratio", "proportion"]
    assert frame.loc[1, "input_total"] == 213
    assert math.isnan(frame.loc[0, "input_total"])
    assert math.isnan(frame.loc[1, "extra_percent_change"])


def test_estimates_frame_p_value_is_float_with_nan_for_none() -> None:
    """A missing p-value (None) becomes NaN in a float64 column."""
    frame = estimates_frame(iter([_proportion(), _ratio()]))
    assert frame["p_value"].dtype == np.float64
    assert math.isnan(frame.loc[0, "p_value"])
    assert frame.loc[1, "p_value"] == 2.5e-15


def test_estimates_frame_of_nothing_has_core_columns() -> None:
    """An empty iterable gives an empty frame with the core columns."""
    frame = estimates_frame([])
    assert list(frame.columns) == list(CORE_COLUMNS)
    assert frame.empty


def test_estimates_frame_round_trips_through_records() -> None:
    """The frame equals a DataFrame built from to_record() by hand."""
    expected = pd.DataFrame([_ratio().to_record()])
    pd.testing.assert_frame_equal(estimates_frame([_ratio()]), expected, check_dtype=False)


def test_estimates_frame_rejects_non_estimates() -> None:
    """A non-Estimate element raises ValueError naming its position."""
    with pytest.raises(ValueError, match=r"estimates\[1\]"):
        estimates_frame([_ratio(), {"metric": "x"}])  # type: ignore[list-item]


# --- validators -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(741, 741), (741.0, 741), (np.int64(614), 614), (np.float64(746.0), 746), (0, 0)],
)
def test_check_count_accepts_whole_numbers(value: object, expected: int) -> None:
    """Python/NumPy integers and integral floats are accepted and returned as int."""
    result = check_count(value, "count1")
    assert result == expected
    assert type(result) is int


def test_check_count_message_names_argument_and_value() -> None:
    """The error message has the documented form."""
    with pytest.raises(ValueError, match=r"^count1 must be a non-negative integer, got -3$"):
        check_count(-3, "count1")


@pytest.mark.parametrize(
    "value", [-3, 2.5, True, np.bool_(False), math.nan, math.inf, "3", None, [3]]
)
def test_check_count_rejects_non_counts(value: object) -> None:
    """Negative, fractional, boolean, NaN, infinite and non-numeric values are rejected."""
    with pytest.raises(ValueError, match="count1"):
        check_count(value, "count1")


def test_check_count_positive_rejects_zero() -> None:
    """With positive=True, zero is rejected."""
    with pytest.raises(ValueError, match="count_a1 must be a positive integer, got 0"):
        check_count(0, "count_a1", positive=True)


@pytest.mark.parametrize("value", [0, -1, math.nan, math.inf, True, "1"])
def test_check_positive_rejects(value: object) -> None:
    """Zero, negative, NaN, infinite, boolean and non-numeric values are rejected."""
    with pytest.raises(ValueError, match="population"):
        check_positive(value, "population")


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, math.nan, True, "0.95"])
def test_check_conf_level_rejects(value: object) -> None:
    """Only numbers strictly between 0 and 1 are valid confidence levels."""
    with pytest.raises(ValueError, match="conf_level"):
        check_conf_level(value)


@pytest.mark.parametrize("bad", [0.5, math.nan, math.inf, "2", True])
def test_bad_dispersion(bad: object) -> None:
    """Dispersion below 1 or not a number is refused, naming the parameter."""
    with pytest.raises(ValueError, match="dispersion must be a finite number >= 1"):
        check_dispersion(bad)


def test_check_method_maps_aliases_and_names_the_choices() -> None:
    """Case and spaces are ignored, an alias maps to its method, anything else is refused."""
    known, aliases = {"beta": None, "wilson": None}, {"exact": "beta"}
    assert check_method(" Wilson ", known, aliases) == "wilson"
    assert check_method("EXACT", known, aliases) == "beta"
    for bad in ("exactly", 3, None):
        with pytest.raises(ValueError, match=r"method must be one of 'beta', 'wilson', got"):
            check_method(bad, known, aliases)


def test_check_count_within() -> None:
    """A count larger than its total is rejected, equal is fine."""
    check_count_within(213, 213, "successes", "total")
    with pytest.raises(ValueError, match="successes must not exceed total"):
        check_count_within(214, 213, "successes", "total")


def test_percent_change_is_a_typed_field_flattened_before_extras() -> None:
    """A ratio's PercentChange: 100 x (ratio - 1) and its limits, in to_record and the frame."""
    change = PercentChange.of_ratio(0.5, 0.4, 0.8)
    assert change.values() == pytest.approx((-50.0, -60.0, -20.0))
    estimate = dataclasses.replace(_ratio(), extra={"statistic": 1.0}, percent_change=change)
    record = estimate.to_record()
    keys = list(record)
    assert keys[keys.index("input_count2") + 1:] == [*PERCENT_CHANGE_COLUMNS, "extra_statistic"]
    frame = estimates_frame([estimate, _proportion()])
    assert frame.loc[0, "percent_change_ci_high"] == pytest.approx(-20.0)
    assert math.isnan(frame.loc[1, "percent_change"])
