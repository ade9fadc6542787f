"""Grading numbers and cells: the declared tolerances decide, counts and text stay exact."""

from __future__ import annotations

import dataclasses

from analysis import paths
from analysis.pipeline.compare_text import compare_cell
from analysis.pipeline.replication import Grade
from analysis.pipeline.replication_spec import load_replication_spec

SPEC = load_replication_spec(paths.ROOT)


def test_the_float_tolerance_is_the_declared_one():
    """Rule test: the declared rtol decides (mutated to 1e-6, a 9th-digit change passes).

    The 9th significant digit is beyond rtol 1e-9 and differs; with the rtol mutated to 1e-6
    the same change is within tolerance, while counts and text stay exact.
    """
    old = "3.023081770915393"
    new = "3.023081774915393"  # 9th significant digit: relative 1.3e-9
    assert compare_cell(old, new, SPEC)[0] is Grade.DIFFERS
    looser = dataclasses.replace(SPEC, rtol=1e-6)
    assert compare_cell(old, new, looser)[0] is Grade.WITHIN_TOLERANCE
    assert compare_cell("746", "747", looser)[0] is Grade.DIFFERS  # counts stay exact
    assert compare_cell("746", "746.0", SPEC)[0] is Grade.EQUIVALENT
    assert compare_cell("supported", "Supported", looser)[0] is Grade.DIFFERS
