"""The grading's declarations: replication.yaml read once, checked key by key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.pipeline import PipelineError
from analysis.pipeline.replication_spec import load_replication_spec


def test_declared_tolerances_are_read_once_from_replication_yaml():
    """The committed spec: rtol 1e-9, atol 0, drawings 1e-6, image RMS 1, the claims."""
    spec = load_replication_spec(paths.ROOT)
    assert (spec.rtol, spec.atol, spec.drawing_atol, spec.image_rms) == (1e-9, 0.0, 1e-6, 1.0)
    assert spec.claims.table == "figures/claims.csv" and spec.claims.key == "claim_id"
    assert spec.claims.verdicts == ("literal_verdict", "verdict", "verdict_holm")
    assert ("metadata", "language_info") in spec.dropped_fields("notebooks/03-justice.ipynb")
    assert spec.dropped_fields("figures/claims.csv") == ()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("rtol: 1.0e-9", "rtol: -1"), "tolerances.number.rtol must be a number >= 0, not -1"),
        (("image_rms: 1.0", "image_rms: lots"), "tolerances.image_rms must be a number >= 0"),
        (("drawing_atol: 1.0e-6", "drawing_atol: -1.0e-6"),
         "tolerances.drawing_atol must be a number >= 0"),
        (("  drawing_atol: 1.0e-6\n", ""), "tolerances: missing drawing_atol"),
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
