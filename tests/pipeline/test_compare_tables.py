"""The claims table graded claim by claim: each claim's verdicts committed and re-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline.compare_tables import compare_claims
from analysis.pipeline.replication import Grade
from analysis.pipeline.replication_spec import load_replication_spec
from tests.pipeline.trees import copy_trees, read_rows, write_rows

SPEC = load_replication_spec(paths.ROOT)


@pytest.fixture()
def trees(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical copies of the committed claims table: ``committed`` and ``rerun``."""
    return copy_trees(tmp_path, ("figures/claims.csv",))


def test_claims_compare_each_verdict_committed_and_rerun(trees):
    """A flipped verdict in claims.csv is that claim's row differing, both verdicts kept."""
    target = trees[1] / "figures/claims.csv"
    rows = read_rows(target)
    column = rows[0].index("verdict")
    rows[1][column] = "inconclusive"
    write_rows(target, rows)
    checks = compare_claims(*trees, SPEC)
    assert [c.claim for c in checks] == [row[0] for row in rows[1:]]
    first = checks[0]
    assert dict(first.committed)["verdict"] == read_rows(trees[0] / "figures/claims.csv")[1][column]
    assert dict(first.rerun)["verdict"] == "inconclusive"
    assert first.grade is Grade.DIFFERS and not first.same_verdicts
    assert all(c.grade is Grade.IDENTICAL and c.same_verdicts for c in checks[1:])
