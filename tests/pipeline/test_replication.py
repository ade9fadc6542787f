"""The grading's declarations (replication.yaml, checked) and the verdict's rules.

The verdict follows the AEA-style rules; --exact keeps the byte-identical contract.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline import PipelineError
from analysis.pipeline.replication import (
    Grade,
    Label,
    Share,
    decide_verdict,
    load_replication_spec,
    worst,
)

SAME, E, W, D = Grade.IDENTICAL, Grade.EQUIVALENT, Grade.WITHIN_TOLERANCE, Grade.DIFFERS


def test_declared_tolerances_are_read_once_from_replication_yaml():
    """The committed spec: rtol 1e-9, atol 0, image RMS 1, the claims table's verdicts."""
    spec = load_replication_spec(paths.ROOT)
    assert (spec.rtol, spec.atol, spec.image_rms) == (1e-9, 0.0, 1.0)
    assert spec.claims.table == "figures/claims.csv" and spec.claims.key == "claim_id"
    assert spec.claims.verdicts == ("literal_verdict", "verdict", "verdict_holm")
    assert ("metadata", "language_info") in spec.dropped_fields("notebooks/03-justice.ipynb")
    assert spec.dropped_fields("figures/claims.csv") == ()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("rtol: 1.0e-9", "rtol: -1"), "tolerances.number.rtol must be a number >= 0, not -1"),
        (("image_rms: 1.0", "image_rms: lots"), "tolerances.image_rms must be a number >= 0"),
        (("    atol: 0.0\n", ""), "tolerances.number: missing atol"),
        (("  svg_elements: [metadata]", "  svg_elements: metadata"),
         "not_results.svg_elements must be a list of strings"),
        (("claims:\n", "claim:\n"), "unknown top-level key 'claim'"),
        (("  key: claim_id\n", "  key: claim_id\n  key: x\n"), "key 'key' given twice"),
    ],
)
def test_a_malformed_spec_is_one_error_naming_file_and_key(tmp_path: Path, edit, message):
    """Every key is required and checked; the error names replication.yaml and the key."""
    text = (paths.ROOT / "replication.yaml").read_text(encoding="utf-8")
    old, new = edit
    assert old in text
    (tmp_path / "replication.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PipelineError, match="replication.yaml") as caught:
        load_replication_spec(tmp_path)
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_missing_spec_is_refused(tmp_path: Path):
    """Without its declarations verify cannot grade: refused."""
    with pytest.raises(PipelineError, match="replication.yaml: cannot read"):
        load_replication_spec(tmp_path)
    shutil.copy(paths.ROOT / "replication.yaml", tmp_path)
    assert load_replication_spec(tmp_path).rtol == 1e-9


def test_grades_are_ordered_from_identical_to_differs():
    """The worst grade wins; only differs is not reproduced."""
    assert worst([SAME, E]) is E and worst([E, W, SAME]) is W and worst([W, D]) is D
    assert worst([]) is SAME and worst([SAME], floor=E) is E
    assert [g.reproduced for g in (SAME, E, W, D)] == [True, True, True, False]


ALL = (Share("figures", 2, 2), Share("tables", 3, 3), Share("claims", 4, 4))


@pytest.mark.parametrize(
    ("grades", "shares", "label", "ok"),
    [
        ([SAME, SAME, E], ALL, Label.REPRODUCED, True),
        ([SAME, W, E], ALL, Label.WITHIN_TOLERANCE, True),
        ([SAME, W, D], (Share("figures", 2, 2), Share("tables", 2, 3)), Label.PARTIAL, False),
        ([D, D], (Share("figures", 0, 1), Share("tables", 0, 1)), Label.NOT_REPRODUCED, False),
        ([D], (), Label.NOT_REPRODUCED, False),
        ([SAME, D], (), Label.PARTIAL, False),
    ],
)
def test_verdict_rules(grades, shares, label, ok):
    """Reproduced / within tolerance succeed; partial and not reproduced fail."""
    verdict = decide_verdict(grades, shares)
    assert (verdict.label, verdict.ok) == (label, ok)
    assert sum(n for _, n in verdict.counts) == len(grades)


def test_exact_keeps_the_byte_identical_contract():
    """With --exact an equivalent or within-tolerance output fails; the graded label stays."""
    assert decide_verdict([SAME, SAME], ALL, exact=True).ok
    verdict = decide_verdict([SAME, E], ALL, exact=True)
    assert not verdict.ok and verdict.label is Label.REPRODUCED
    assert not decide_verdict([SAME, W], ALL, exact=True).ok


def test_counts_and_shares_read_as_text():
    """The verdict line's pieces: every grade counted, shares of what exists."""
    verdict = decide_verdict([SAME, SAME, E, D], (Share("figures", 1, 2), Share("claims", 0, 0)))
    assert verdict.counts_text() == "2 identical, 1 equivalent, 0 within tolerance, 1 differs"
    assert verdict.shares_text() == "reproduced: figures 1 of 2"


def test_a_figure_whose_data_differs_is_not_reproduced(tmp_path: Path):
    """A figure is its images and its data, as the manifest declares.

    A changed count in its CSV makes that figure, not a table, count as not reproduced.
    """
    from tests.pipeline.trees import copy_trees, graded

    files = sorted(p.relative_to(paths.ROOT).as_posix() for p in paths.FIGURES_DIR.iterdir()
                   if p.is_file())
    trees = copy_trees(tmp_path, files)
    target = trees[1] / "figures" / "referrals_by_year_offence.csv"
    target.write_text(target.read_text().replace(",1342,", ",1343,", 1))
    shares = {share.group: share for share in graded(trees).shares()}
    figures = len(list(paths.FIGURES_DIR.glob("*.png")))
    assert (shares["figures"].reproduced, shares["figures"].total) == (figures - 1, figures)
    assert shares["tables"].reproduced == shares["tables"].total == 1  # the claims table
