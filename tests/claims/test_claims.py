"""Tests of the claims table: spec validation, report text, verdicts, columns and schema.

Numbers are checked against scipy's exact binomial tests and intervals, the regularized
incomplete beta function (the binomial tail for the effective counts of a dispersed model),
the normal distribution, Holm's adjustment by hand (checked against statsmodels),
root-finding by scipy's brentq, and the report's figures typed from paragraphs 38, 41 and
53 -- never against the module's own output.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import typing
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Resource, Schema
from scipy import optimize, special
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from analysis import paths
from analysis.claims import (
    CLAIM_COLUMNS,
    CLAIMS_TABLE,
    LITERAL_VERDICTS,
    VERDICTS,
    VIEWS,
    Claim,
    ClaimResult,
    ClaimSpecError,
    check_report_text,
    claims_schema,
    columns_markdown,
    compare_families,
    evaluate_claim,
    evaluate_claims,
    fragile_claims,
    load_claims,
    load_spec,
    multiplicity_summary,
    noise_evidence,
    ratio_rows,
    verdicts_by_sigma,
)
from analysis.dataset.source import Report
from analysis.pipeline import declared_parameters


def _table(values: dict[str, float], unit: str = "count") -> pd.DataFrame:
    return pd.DataFrame({"fact_id": list(values), "value": list(values.values()),
                         "unit": [unit] * len(values),
                         "value_text": [f"{v:g}" for v in values.values()]})


@pytest.fixture(scope="module")
def table(facts: pd.DataFrame) -> pd.DataFrame:
    """The claims table of the real report at dispersion 1, year noise 0.1."""
    return evaluate_claims(facts.assign(value=facts["value"].astype(float)),
                           noise_sigma=0.1).set_index("claim_id")


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


def test_a_p_value_below_double_precision_is_shown_not_raised() -> None:
    """100,000 -> 10,000 at sigma 0: the one-sided p underflows to 0; shown as < 1e-300."""
    claim = Claim("c", 1, "fell", "change", ("a", "b"), direction="decrease", sides=("below",))
    assert sps.binomtest(10_000, 110_000, 0.5, alternative="less").pvalue == 0.0
    row = evaluate_claim(claim, _table({"a": 100_000, "b": 10_000}), noise_sigma=0.0)
    assert row.verdict == "supported"
    assert "p = < 1e-300" in row.verdict_reason


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
        below = evaluate_claim(claims[claim_id], facts, dispersion=flip * (1 - 1e-6),
                               noise_sigma=0.1)
        above = evaluate_claim(claims[claim_id], facts, dispersion=flip * (1 + 1e-6),
                               noise_sigma=0.1)
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
    shown = {"02-police-victims": "p_two_sided_display", "03-justice": "p_two_sided_display",
             "06-claims": "p_display"}
    for name, column in shown.items():
        notebook = json.loads((paths.NOTEBOOKS_DIR / f"{name}.ipynb").read_text("utf-8"))
        outputs = [output for cell in notebook["cells"] for output in cell.get("outputs", [])]
        text = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
        assert column in text, name
        assert "0.000000e+00" not in text
        assert not re.search(r"(?<![\w.])p_value(?!\w)", text) or name == "06-claims", (
            f"{name} shows a bare p_value column; a two-sided p is p_two_sided")


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
    """Fragile at sigma = 0.1 (Holm): three claims; at phi = 1 Holm changes no verdict.

    Fragile at sigma = 0.1 (Holm): the rise in pornography victims, the claim that hinges on
    it, and the rise in pornography referrals; at phi = 1 Holm changes no verdict. Closed
    form of the unadjusted flip: sigma = sqrt(((log(c2/c1) / 1.96)^2 - 1/c1 - 1/c2) / 2),
    0.059 for 614 -> 746, so sigma = 0.1 already exceeds it.
    """
    z = sps.norm.isf(0.025)
    assert math.sqrt(((math.log(746 / 614) / z) ** 2 - 1 / 614 - 1 / 746) / 2) < 0.1
    fragile = fragile_claims(table.reset_index())
    assert list(fragile.index) == ["pornography_victims_increased", "offences_moved_apart",
                                   "pornography_referrals_increased"]
    assert list(fragile.columns) == list(VIEWS["sensitivity"])
    summary = multiplicity_summary(table.reset_index())
    assert "adjustment: none (Poisson); Pornography referrals rose (year noise)." in summary


# ---------------------------------------------------------------------------
# The Holm family and the flips, against independent computations
# ---------------------------------------------------------------------------

#: The distinct hypotheses of the tested claims: (x, n, p0, side) of the binomial that each
#: reduces to (a change: the later count of the sum, against 1/2), typed from the report.
_HYPOTHESES = {
    "prostitution_victims": (466, 1207, 0.5, "below"),
    "pornography_victims": (746, 1360, 0.5, "above"),
    "girls": (1130, 1212, 0.8, "above"),
    "prostitution_referrals": (661, 1615, 0.5, "below"),
    "pornography_referrals": (1828, 3170, 0.5, "above"),
    "convictions": (143, 467, 0.5, "below"),
    "osaka_arrests": (16, 213, 0.25, "below"),
}
#: Each tested claim's hypotheses.
_CLAIM_HYPOTHESES = {
    "prostitution_victims_decreased": ("prostitution_victims",),
    "pornography_victims_increased": ("pornography_victims",),
    "offences_moved_apart": ("prostitution_victims", "pornography_victims"),
    "girls_vast_majority": ("girls",),
    "prostitution_referrals_decreased": ("prostitution_referrals",),
    "pornography_referrals_increased": ("pornography_referrals",),
    "convictions_decreased": ("convictions",),
    "osaka_arrests_rare": ("osaka_arrests",),
}


def _tail(name: str, phi: float) -> float:
    """One-sided binomial tail for effective counts x/phi of n/phi: I_p0(x, n - x + 1)."""
    x, n, p0, side = _HYPOTHESES[name]
    xe, ne = x / phi, n / phi
    if side == "above":
        return float(special.betainc(xe, ne - xe + 1, p0))
    return float(special.betainc(ne - xe, xe + 1, 1 - p0))


def _noise_p(name: str, sigma: float) -> float:
    """One-sided p of a change under log-normal year noise (normal on the log scale)."""
    x, n, p0, side = _HYPOTHESES[name]
    if p0 != 0.5:
        return _tail(name, 1.0)  # a share keeps its binomial test
    c1, c2 = n - x, x
    z = math.log(c2 / c1) / math.sqrt(1 / c1 + 1 / c2 + 2 * sigma**2)
    return float(sps.norm.sf(z) if side == "above" else sps.norm.cdf(z))


def _holm(p_values: list[float]) -> list[float]:
    """Holm by hand: the i-th smallest p times (m - i + 1), running maximum, capped at 1."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _holm_of(claim_id: str, p_of: typing.Callable[[str], float], per_claim: bool = False,
             ) -> float:
    """The claim's Holm-adjusted p over the distinct hypotheses (or one member per claim)."""
    if per_claim:
        members = {c: max(p_of(h) for h in hs) for c, hs in _CLAIM_HYPOTHESES.items()}
        adjusted = dict(zip(members, _holm(list(members.values())), strict=True))
        return adjusted[claim_id]
    names = list(_HYPOTHESES)
    adjusted = dict(zip(names, _holm([p_of(n) for n in names]), strict=True))
    return max(adjusted[h] for h in _CLAIM_HYPOTHESES[claim_id])


def test_hand_holm_is_statsmodels() -> None:
    """The tests' Holm by hand agrees with statsmodels' multipletests on the real family."""
    p_values = [_tail(name, 1.0) for name in _HYPOTHESES]
    assert _holm(p_values) == pytest.approx(list(multipletests(p_values, method="holm")[1]),
                                            rel=1e-12)


def test_p_holm_over_the_distinct_hypotheses(table: pd.DataFrame) -> None:
    """p_holm is Holm over the seven distinct hypotheses.

    p_holm: Holm over the seven distinct hypotheses; the moved-apart claim
    takes the larger of its two series' adjusted p-values.
    """
    for claim_id in _CLAIM_HYPOTHESES:
        expected = _holm_of(claim_id, lambda h: _tail(h, 1.0))
        assert table.loc[claim_id, "p_holm"] == pytest.approx(expected, rel=1e-9), claim_id


@pytest.mark.parametrize("claim_id", list(_CLAIM_HYPOTHESES))
def test_dispersion_flip_holm_by_brentq(table: pd.DataFrame, claim_id: str) -> None:
    """dispersion_flip_holm: the root of p_holm(phi) = 0.025 (phi on the whole family)."""
    def excess(phi: float) -> float:
        return _holm_of(claim_id, lambda h: _tail(h, phi)) - 0.025

    expected = optimize.brentq(excess, 1.0, 500.0, xtol=1e-12)
    assert table.loc[claim_id, "dispersion_flip_holm"] == pytest.approx(expected, rel=1e-6)
    assert table.loc[claim_id, "dispersion_flip_holm"] <= table.loc[
        claim_id, "dispersion_flip"] * (1 + 1e-8)


@pytest.mark.parametrize("claim_id", [c for c in _CLAIM_HYPOTHESES
                                      if _HYPOTHESES[_CLAIM_HYPOTHESES[c][0]][2] == 0.5])
def test_noise_flips_by_brentq(table: pd.DataFrame, claim_id: str) -> None:
    """noise_flip and noise_flip_holm are where the normal p-values cross 0.025.

    noise_flip: root of the normal one-sided p = 0.025 (unadjusted, the claim's largest);
    noise_flip_holm: root of the Holm-adjusted p with sigma applied to every change.
    """
    def unadjusted(sigma: float) -> float:
        return max(_noise_p(h, sigma) for h in _CLAIM_HYPOTHESES[claim_id]) - 0.025

    def adjusted(sigma: float) -> float:
        return _holm_of(claim_id, lambda h: _noise_p(h, sigma)) - 0.025

    row = table.loc[claim_id]
    assert row["noise_flip"] == pytest.approx(optimize.brentq(unadjusted, 0.0, 5.0, xtol=1e-14),
                                              rel=1e-9)
    assert row["noise_flip_holm"] == pytest.approx(optimize.brentq(adjusted, 0.0, 5.0,
                                                                   xtol=1e-14), rel=1e-6)
    assert row["p_noise"] == pytest.approx(unadjusted(0.1) + 0.025, rel=1e-9)
    assert row["p_noise_holm"] == pytest.approx(adjusted(0.1) + 0.025, rel=1e-9)
    assert row["verdict_noise"] == ("supported" if row["noise_flip"] > 0.1 else "inconclusive")


def test_pornography_victims_flip_by_family(table: pd.DataFrame, facts: pd.DataFrame) -> None:
    """The pornography flip is 3.18 over distinct hypotheses, 2.46 over claims.

    With one member per claim, the moved-apart row repeats the pornography p and Holm
    doubles it: the flip falls from 3.18 (distinct hypotheses, where the largest p is not
    scaled) to about 2.46 (brentq on Holm over the eight claims).
    """
    per_claim = evaluate_claims(facts.assign(value=facts["value"].astype(float)),
                                noise_sigma=0.1, family="claims")
    flip = optimize.brentq(
        lambda phi: _holm_of("pornography_victims_increased", lambda h: _tail(h, phi),
                             per_claim=True) - 0.025, 1.0, 10.0, xtol=1e-12)
    assert flip == pytest.approx(2.46, abs=0.005)
    row = per_claim.set_index("claim_id").loc["pornography_victims_increased"]
    assert row["dispersion_flip_holm"] == pytest.approx(flip, rel=1e-6)
    own = optimize.brentq(lambda phi: _tail("pornography_victims", phi) - 0.025, 1.0, 10.0)
    assert table.loc["pornography_victims_increased", "dispersion_flip_holm"] == (
        pytest.approx(own, rel=1e-6))
    both = compare_families(table.reset_index(), per_claim)
    assert both.loc["Pornography victims rose", "dispersion_flip_holm (one per claim)"] == (
        pytest.approx(flip, rel=1e-6))


def test_prob_opposite_is_the_jeffreys_complement_on_a_log_scale(table: pd.DataFrame) -> None:
    """log10_prob_opposite is the Jeffreys posterior of the other side.

    log10 of the posterior mass on the other side: Beta(x + 1/2, n - x + 1/2) (scipy); for
    the moved-apart claim, 1 - the product of the two series' claimed-side masses.
    """
    def opposite(name: str) -> float:
        x, n, p0, side = _HYPOTHESES[name]
        posterior = sps.beta(x + 0.5, n - x + 0.5)
        return float(posterior.cdf(p0) if side == "above" else posterior.sf(p0))

    for claim_id, names in _CLAIM_HYPOTHESES.items():
        expected = 1 - math.prod(1 - opposite(h) for h in names)
        assert 10 ** table.loc[claim_id, "log10_prob_opposite"] == pytest.approx(expected,
                                                                                rel=1e-6)
    shown = table.loc[table["family"] != "", "prob_opposite_display"]
    assert not shown.isin(["0", "1", "1.0"]).any() and shown.str.contains("e-").all()


def test_moved_apart_row_shows_both_rate_ratios(table: pd.DataFrame) -> None:
    """The moved-apart row shows both series' rate ratios, the binding one, and their ratio.

    Both series' rate ratios with Clopper-Pearson intervals (scipy), the binding one as the
    estimate, and the ratio of rate ratios as the effect size; the chart shows both series.
    """
    row = table.loc["offences_moved_apart"]
    assert row["metric"] == "rate_ratio_binding_series"
    assert row["estimate"] == pytest.approx(746 / 614)  # the binding series, p 1.9e-4
    for prefix, (c1, c2) in (("first", (741, 466)), ("second", (614, 746))):
        low, high = sps.binomtest(c2, c1 + c2).proportion_ci(0.95, method="exact")
        assert row[f"{prefix}_rate_ratio"] == pytest.approx(c2 / c1)
        assert (row[f"{prefix}_ci_low"], row[f"{prefix}_ci_high"]) == pytest.approx(
            (low / (1 - low), high / (1 - high)), rel=1e-9)
    assert row["effect_estimate"] == pytest.approx((466 / 741) / (746 / 614))
    rows = ratio_rows(table.reset_index())
    assert rows["claim_id"].is_unique
    labels = rows["label"].tolist()
    assert [label for label in labels if label.startswith(row["label"])] == [
        f"{row['label']}: 741 -> 466", f"{row['label']}: 614 -> 746"]


def test_verdict_reasons_say_model_adjustment_and_time_points(table: pd.DataFrame) -> None:
    """Verdict reasons say the model, the adjustment and the time points.

    Each tested claim's reason says unadjusted and Holm-adjusted, at which phi and sigma; a
    change says it rests on two time points.
    """
    for claim_id, row in table[table["family"] != ""].iterrows():
        reason = row["verdict_reason"]
        assert "Unadjusted (" in reason
        assert "Poisson counts, phi = 1" in reason or "Unadjusted (binomial)" in reason
        assert "Holm-adjusted over the family (7 members)" in reason, claim_id
        if row["kind"] != "proportion":
            assert reason.startswith("Two time points (2010 and 2014)"), claim_id
            assert "sigma = 0.1:" in reason, claim_id
        else:
            assert "year-noise model does not apply" in reason


def test_year_noise_verdicts_over_sigmas(facts: pd.DataFrame) -> None:
    """verdicts_by_sigma: Holm-adjusted verdicts switch where p_holm crosses 0.025."""
    grid = verdicts_by_sigma(facts.assign(value=facts["value"].astype(float)),
                             sigmas=(0.0, 0.05, 0.1, 0.2))
    for label, claim_id in (("Convictions fell", "convictions_decreased"),
                            ("Pornography referrals rose", "pornography_referrals_increased")):
        for sigma in (0.0, 0.05, 0.1, 0.2):
            p = _holm_of(claim_id, lambda h, s=sigma: _noise_p(h, s))
            expected = "supported" if p < 0.025 else "inconclusive"
            assert grid.loc[label, f"sigma = {sigma:g}"] == expected


def test_noise_evidence_cites_every_figure() -> None:
    """The noise evidence cites every figure; its estimate is the closed form.

    Each cited series gives its source for every year, once; the estimate is the closed form
    sqrt((mean s^2 - mean(1/y1 + 4/y2 + 1/y3)) / 6) over its second differences s, floored
    at 0; the reference sigma is the larger estimate rounded up to the next 0.05.
    """
    evidence = noise_evidence()
    spec = load_spec()
    assert spec.noise is not None and spec.noise.reference_sigma == 0.1
    for row, series in zip(evidence.itertuples(), spec.noise.evidence, strict=True):
        years = [year for year, _ in series.counts]
        cited = sorted(year for source in series.sources for year in source.years)
        assert cited == years == list(range(years[0], years[-1] + 1))
        y = [count for _, count in series.counts]
        triples = list(zip(y, y[1:], y[2:], strict=False))
        s2 = [(math.log(c) - 2 * math.log(b) + math.log(a)) ** 2 for a, b, c in triples]
        poisson = [1 / a + 4 / b + 1 / c for a, b, c in triples]
        expected = math.sqrt(max(0.0, (sum(s2) - sum(poisson)) / len(triples) / 6))
        assert row.sigma_estimate == pytest.approx(expected, rel=1e-12)
        assert all(source.url.startswith("http") and source.quote for source in series.sources)
    assert spec.noise.reference_sigma == pytest.approx(
        math.ceil(evidence["sigma_estimate"].max() / 0.05) * 0.05)


# ---------------------------------------------------------------------------
# The declared schema
# ---------------------------------------------------------------------------

_TYPES = {str: "string", int: "integer", float: "number"}


def test_row_type_follows_the_declared_table() -> None:
    """ClaimResult's fields are the declared columns, in order, with matching types."""
    hints = typing.get_type_hints(ClaimResult)
    assert [f.name for f in dataclasses.fields(ClaimResult)] == list(CLAIMS_TABLE.columns)
    for item in CLAIMS_TABLE.fields:
        kinds = {t for t in typing.get_args(hints[item.name]) or (hints[item.name],)
                 if t is not type(None)}
        assert {_TYPES[t] for t in kinds} == {item.type}, item.name
        assert item.description and item.description.endswith(".")


def test_readme_lists_the_declared_columns() -> None:
    """The README's column list of figures/claims.csv is the one generated from the schema."""
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- claims-columns:start -->\n(.*?)<!-- claims-columns:end -->",
                      readme, re.S)
    assert block, "README.md has no claims-columns block"
    assert block.group(1) == columns_markdown(), (
        "README.md's claims columns differ from analysis.claims.CLAIMS_TABLE; replace the "
        "block with analysis.claims.columns_markdown()")


def test_girls_claim_says_registered() -> None:
    """Para. 8 says boys under-report: the girls claim is about registered victims."""
    claim = next(c for c in load_claims() if c.claim_id == "girls_vast_majority")
    assert "registered" in claim.claim and "registered" in claim.question


def test_notebook_default_sigma_is_the_declared_reference() -> None:
    """Notebook 06's noise_sigma default is data/claims.yaml's noise.reference_sigma."""
    notebook = paths.NOTEBOOKS_DIR / "06-claims.ipynb"
    spec = load_spec()
    assert spec.noise is not None
    assert declared_parameters(notebook)["noise_sigma"].default_value == (
        spec.noise.reference_sigma)
