"""The grades and the verdict's rules.

The verdict follows the AEA-style rules; --exact keeps the byte-identical contract.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline.replication import Grade, Label, Share, decide_verdict, worst

SAME, E, W, D = Grade.IDENTICAL, Grade.EQUIVALENT, Grade.WITHIN_TOLERANCE, Grade.DIFFERS


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
