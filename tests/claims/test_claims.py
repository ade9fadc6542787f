"""Tests of the claims table: spec validation, report text, verdicts and columns.

Numbers are checked against scipy's exact binomial tests and intervals and against the
report's figures typed from paragraphs 38, 41 and 53, never against the module's own output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Resource, Schema
from scipy import stats as sps

from analysis import paths
from analysis.claims import (
    CLAIM_COLUMNS,
    LITERAL_VERDICTS,
    VERDICTS,
    VIEWS,
    Claim,
    ClaimSpecError,
    check_report_text,
    claims_schema,
    evaluate_claim,
    evaluate_claims,
    fragile_claims,
    load_claims,
    multiplicity_summary,
)
from analysis.dataset.source import Report


def _table(values: dict[str, float], unit: str = "count") -> pd.DataFrame:
    return pd.DataFrame({"fact_id": list(values), "value": list(values.values()),
                         "unit": [unit] * len(values),
                         "value_text": [f"{v:g}" for v in values.values()]})


@pytest.fixture(scope="module")
def table(facts: pd.DataFrame) -> pd.DataFrame:
    """The claims table of the real report at dispersion 1."""
    return evaluate_claims(facts.assign(value=facts["value"].astype(float))).set_index(
        "claim_id")


def test_change_claim_one_sided_exact() -> None:
    """A decrease 200 -> 120: p = scipy's one-sided binomial test of 120 of 320 at 1/2."""
    claim = Claim("c", 1, "fell", "change", ("a", "b"), direction="decrease", sides=("below",),
                  metric="rate_ratio", null_value=1.0)
    row = evaluate_claim(claim, _table({"a": 200, "b": 120}))
    low, high = sps.binomtest(120, 320).proportion_ci(0.95, method="exact")
    assert row.estimate == pytest.approx(0.6)
    assert (row.ci_low, row.ci_high) == pytest.approx((low / (1 - low), high / (1 - high)))
    assert row.log10_p == pytest.approx(
        math.log10(sps.binomtest(120, 320, 0.5, alternative="less").pvalue))
    assert (row.verdict, row.literal_verdict) == ("supported", "true")
    assert row.percent_change == pytest.approx(-40.0)


def test_change_in_wrong_direction_is_contradicted() -> None:
    """A claimed increase when the counts fell clearly is contradicted, literally false."""
    claim = Claim("c", 1, "rose", "change", ("a", "b"), direction="increase", sides=("above",))
    row = evaluate_claim(claim, _table({"a": 200, "b": 120}))
    assert (row.verdict, row.literal_verdict) == ("contradicted", "false")
    assert "other side" in row.verdict_reason


def test_small_change_is_inconclusive() -> None:
    """10 -> 12 is literally an increase but within Poisson noise: inconclusive, no flip."""
    claim = Claim("c", 1, "rose", "change", ("a", "b"), direction="increase", sides=("above",))
    row = evaluate_claim(claim, _table({"a": 10, "b": 12}))
    assert (row.verdict, row.literal_verdict) == ("inconclusive", "true")
    assert row.dispersion_flip is None


def test_proportion_claim_and_threshold_flip() -> None:
    """16 of 213 below 0.25: scipy's exact test; the flip threshold is the upper limit."""
    claim = Claim("p", 53, "rare", "proportion", ("x", "n"), direction="below",
                  threshold=0.25, total="second", sides=("below",))
    row = evaluate_claim(claim, _table({"x": 16, "n": 213}))
    expected = sps.binomtest(16, 213, 0.25, alternative="less").pvalue
    assert 10**row.log10_p == pytest.approx(expected, rel=1e-9)
    high = sps.binomtest(16, 213).proportion_ci(0.95, method="exact").high
    assert row.threshold_flip == pytest.approx(high)
    for threshold, verdict in ((high * 1.0001, "supported"), (high * 0.9999, "inconclusive")):
        moved = Claim("p", 53, "rare", "proportion", ("x", "n"), direction="below",
                      threshold=threshold, total="second", sides=("below",))
        assert evaluate_claim(moved, _table({"x": 16, "n": 213})).verdict == verdict


def test_dispersion_flip_recomputed_either_side(table: pd.DataFrame) -> None:
    """Each claim's verdict is unchanged just below its flip point and changed just above it."""
    claims = {c.claim_id: c for c in load_claims()}
    facts = _real_facts(table)
    for claim_id, flip in table["dispersion_flip"].dropna().items():
        below = evaluate_claim(claims[claim_id], facts, dispersion=flip * (1 - 1e-6))
        above = evaluate_claim(claims[claim_id], facts, dispersion=flip * (1 + 1e-6))
        assert below.verdict == table.loc[claim_id, "verdict"]
        assert above.verdict != table.loc[claim_id, "verdict"]


def _real_facts(table: pd.DataFrame) -> pd.DataFrame:
    """The report's counts behind the tested claims, typed from paras. 38, 41 and 53."""
    return _table({
        "police_victims_prostitution_2010": 741, "police_victims_prostitution_2014": 466,
        "police_victims_pornography_2010": 614, "police_victims_pornography_2014": 746,
        "police_victims_girls_2014": 1130, "police_victims_boys_2014": 82,
        "referrals_prostitution_2010": 954, "referrals_prostitution_2014": 661,
        "referrals_pornography_2010": 1342, "referrals_pornography_2014": 1828,
        "convictions_first_instance_2010": 324, "convictions_first_instance_2014": 143,
        "osaka_abuse_arrests": 16, "osaka_abuse_cases": 213,
    })


def test_moved_apart_is_intersection_union(table: pd.DataFrame) -> None:
    """Para. 8: p = max of the two one-sided tests (741 -> 466 down, 614 -> 746 up)."""
    down = sps.binomtest(466, 1207, 0.5, alternative="less").pvalue
    up = sps.binomtest(746, 1360, 0.5, alternative="greater").pvalue
    row = table.loc["offences_moved_apart"]
    assert row["p_value"] == pytest.approx(max(down, up), rel=1e-9)
    assert row["effect_metric"] == "ratio_of_rate_ratios"
    assert row["effect_estimate"] == pytest.approx((466 / 741) / (746 / 614))


def test_real_verdicts(table: pd.DataFrame) -> None:
    """Causal, persistence, comparator-free and count-free claims are not testable."""
    for claim_id in ("enforcement_shifted_to_pornography", "girls_majority_fn3",
                     "high_suspension_rate", "sia_cam_mostly_foreign", "new_high_2014",
                     "internet_drove_cam_increase", "pressure_shifted_attention"):
        assert table.loc[claim_id, "verdict"] == "not_testable"
        assert table.loc[claim_id, "literal_verdict"] == "not_testable"
    assert table.loc["prostitution_victims_decreased", "verdict"] == "supported"
    assert table.loc["sia_cam_mostly_foreign", "estimate"] == pytest.approx(0.868)
    assert table.loc["okinawa_poverty_double", "reported_value"] == "nearly double"
    suspension = table.loc["high_suspension_rate", "context"]
    assert "106 of 141" in suspension and "106 of 136" in suspension


def test_girls_tested_once(table: pd.DataFrame) -> None:
    """The 1,130 of 1,212 girls appear in exactly one tested claim."""
    tested = table[table["family"] != ""]
    assert (tested["counts"] == "1130 of 1212").sum() == 1


def test_columns_and_enums(table: pd.DataFrame) -> None:
    """Columns as declared; verdicts from the enums; no p-value is 0; Holm >= raw."""
    assert list(table.reset_index().columns) == list(CLAIM_COLUMNS)
    assert set(table["verdict"]) <= set(VERDICTS)
    assert set(table["literal_verdict"]) <= set(LITERAL_VERDICTS)
    tested = table[table["family"] != ""]
    assert (tested["p_value"] > 0).all() and (tested["p_holm"] >= tested["p_value"]).all()
    assert not tested["p_display"].str.fullmatch(r"0(\.0*)?").any()
    assert set(tested["direction"]) and tested["null_value"].notna().all()


def test_holm_matches_hand_computation(table: pd.DataFrame) -> None:
    """Holm by hand over the family's p-values."""
    tested = table[table["family"] != ""].sort_values("p_value")
    m = len(tested)
    running = 0.0
    for rank, (_, row) in enumerate(tested.iterrows()):
        running = max(running, min(1.0, (m - rank) * row["p_value"]))
        assert row["p_holm"] == pytest.approx(running, rel=1e-9)


def test_report_text_is_verbatim(report: Report) -> None:
    """Every claim's report_text occurs in its paragraph of the raw text; a typo is refused."""
    claims = load_claims()
    check_report_text(claims, report)
    broken = [Claim("x", 38, "c", "not_testable", (), reason="r", report_text="dropped to 465")]
    with pytest.raises(ClaimSpecError, match="'x'.*paragraph 38"):
        check_report_text(broken, report)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("kind: change\n    direction: sideways\n    facts: [a, b]", "direction"),
        ("kind: change\n    direction: increase\n    facts: [a]", "needs 2 facts"),
        ("kind: not_testable\n    facts: [a]", "needs a reason"),
        ("kind: guess\n    facts: [a]", "kind must be one of"),
        ("kind: proportion\n    direction: above\n    facts: [a, b]\n    total: sum\n"
         "    threshold: 2", "threshold"),
        ("kind: not_testable\n    reason: r\n    context: [{share: [a]}]", "context entry"),
    ],
)
def test_bad_claims_file(tmp_path: Path, entry: str, message: str) -> None:
    """Malformed claims are refused, naming the claim."""
    path = tmp_path / "claims.yaml"
    header = "claims:\n  - claim_id: broken\n    paragraph: 1\n    claim: words\n    "
    path.write_text(header + entry + "\n", encoding="utf-8")
    with pytest.raises(ClaimSpecError, match=rf"'broken'.*{message}"):
        load_claims(path)


def test_bad_dispersion_is_refused(facts: pd.DataFrame) -> None:
    """A dispersion below 1 is refused with the parameter's name."""
    with pytest.raises(ValueError, match="dispersion must be"):
        evaluate_claims(facts, dispersion=0.5)


def test_claims_csv_validates_against_its_schema() -> None:
    """figures/claims.csv: columns, types and enums by Frictionless; no p-value is 0."""
    path = paths.FIGURES_DIR / "claims.csv"
    resource = Resource(path=path.name, basepath=str(path.parent),
                        schema=Schema.from_descriptor(claims_schema()))
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])[:5]
    written = pd.read_csv(path, dtype={"p_display": str})
    assert list(written.columns) == list(CLAIM_COLUMNS)
    tested = written[written["family"].notna()]
    assert (tested["p_value"] > 0).all()
    assert not tested["p_display"].isin(["0", "0.0"]).any()


def test_no_zero_p_value_in_notebook_outputs() -> None:
    """The executed notebooks 02, 03 and 06 show p-values as text from their logarithm."""
    for name in ("02-police-victims", "03-justice", "06-claims"):
        notebook = json.loads((paths.NOTEBOOKS_DIR / f"{name}.ipynb").read_text("utf-8"))
        outputs = [output for cell in notebook["cells"] for output in cell.get("outputs", [])]
        text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
        assert "p_display" in text
        assert "0.000000e+00" not in text


def test_schema_refuses_an_old_verdict(tmp_path: Path) -> None:
    """A row with the retired verdict "not supported" fails validation, naming the field."""
    frame = pd.read_csv(paths.FIGURES_DIR / "claims.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "verdict"] = "not supported"
    frame.to_csv(tmp_path / "claims.csv", index=False)
    resource = Resource(path="claims.csv", basepath=str(tmp_path),
                        schema=Schema.from_descriptor(claims_schema()))
    errors = resource.validate().flatten(["rowNumber", "fieldName", "type"])
    assert errors == [[2, "verdict", "constraint-error"]]


def test_threshold_flip_recomputed_either_side(table: pd.DataFrame) -> None:
    """Moving each share's threshold across its flip point changes the verdict there."""
    claims = {c.claim_id: c for c in load_claims()}
    facts = _real_facts(table)
    for claim_id, flip in table["threshold_flip"].dropna().items():
        claim = claims[claim_id]
        toward = 1 - 1e-6 if claim.sides == ("above",) else 1 + 1e-6
        for factor, same in ((toward, True), (2 - toward, False)):
            moved = Claim(**{**claim.__dict__, "threshold": flip * factor})
            verdict = evaluate_claim(moved, facts).verdict
            assert (verdict == table.loc[claim_id, "verdict"]) is same, (claim_id, factor)


def test_fragile_claims_and_multiplicity(table: pd.DataFrame) -> None:
    """Fragile below 4: two claims; Holm changes no verdict.

    By the normal approximation the flip is about (z / 1.96)^2: 3.3 for 614 -> 746 (and for
    the 'moved apart' claim that hinges on it), above 8 for every other tested claim.
    """
    z = sps.norm.isf(sps.binomtest(746, 1360, 0.5, alternative="greater").pvalue)
    assert (z / sps.norm.isf(0.025)) ** 2 == pytest.approx(3.3, abs=0.05)
    fragile = fragile_claims(table.reset_index(), 4.0)
    assert set(fragile.index) == {"pornography_victims_increased",
                                              "offences_moved_apart"}
    assert list(fragile.columns) == list(VIEWS["sensitivity"])
    assert multiplicity_summary(table.reset_index()).endswith("adjustment: none.")
