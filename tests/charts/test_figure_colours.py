"""Every chart's series colours stay distinguishable under deuteranopia and in greyscale.

The series colours of a PNG are its chromatic colours (max - min channel >= 40 of 255)
covering at least 0.1 % of the pixels (at least 150), anti-aliasing blends merged into the
nearest kept colour (within CAM02-UCS Delta E 8). Each is passed through colorspacious'
simulation of deuteranopia (``deuteranomaly`` at severity 100, Machado et al. 2009) and every
pair must stay at least :data:`DELTA_E_MIN` apart in CAM02-UCS. For greyscale, every pair must
differ in CAM02-UCS lightness J' by at least :data:`DELTA_J_MIN`, except the charts listed in
:data:`GREYSCALE_KNOWN` with the reason (strict: the test fails once they are fixed).
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from analysis import paths

#: Minimum CAM02-UCS Delta E between two series colours after simulated deuteranopia.
DELTA_E_MIN = 15.0
#: Minimum CAM02-UCS lightness difference between two series colours (greyscale print).
DELTA_J_MIN = 5.0
#: Charts whose series share a lightness, with the reason (the charts layer owns the fix).
GREYSCALE_KNOWN: dict[str, str] = {}  # sia_content_shares is now one-colour horizontal bars
DEUTERANOPIA = {"name": "sRGB1+CVD", "cvd_type": "deuteranomaly", "severity": 100}


@functools.cache
def series_colours(png: Path) -> tuple[np.ndarray, ...]:
    """The chart's series colours (sRGB in 0-1), most frequent first."""
    pixels = (mpimg.imread(png)[..., :3].reshape(-1, 3) * 255).round().astype(np.int64)
    packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]  # one int per colour
    values, counts = np.unique(packed, return_counts=True)  # much faster than rows
    colours = np.stack([(values >> 16) & 255, (values >> 8) & 255, values & 255], axis=1)
    chromatic = (colours.max(axis=1) - colours.min(axis=1) >= 40) & (
        counts >= max(150, 0.001 * len(pixels))
    )
    kept: list[np.ndarray] = []
    for index in np.argsort(-counts[chromatic], kind="stable"):
        colour = colours[chromatic][index] / 255
        if all(deltaE(colour, other, input_space="sRGB1") > 8 for other in kept):
            kept.append(colour)
    return tuple(kept)


PNGS = sorted(paths.FIGURES_DIR.glob("*.png"))


def test_simulation_separates_red_and_green_less() -> None:
    """Sanity check of the method: pure red and green come closer under deuteranopia."""
    red, green = np.array([0.8, 0.1, 0.1]), np.array([0.1, 0.6, 0.1])
    before = deltaE(red, green, input_space="sRGB1")
    after = deltaE(*(cspace_convert(c, DEUTERANOPIA, "sRGB1").clip(0, 1) for c in (red, green)),
                   input_space="sRGB1")
    assert after < before / 2


@pytest.mark.parametrize("png", PNGS, ids=[p.stem for p in PNGS])
def test_series_distinguishable_under_deuteranopia(png: Path) -> None:
    """Every pair of series colours keeps Delta E >= DELTA_E_MIN after simulation."""
    simulated = [cspace_convert(c, DEUTERANOPIA, "sRGB1").clip(0, 1) for c in series_colours(png)]
    for a, b in itertools.combinations(simulated, 2):
        distance = deltaE(a, b, input_space="sRGB1")
        assert distance >= DELTA_E_MIN, f"{png.name}: {a} vs {b}: Delta E {distance:.1f}"


@pytest.mark.parametrize("png", PNGS, ids=[p.stem for p in PNGS])
def test_series_distinguishable_in_greyscale(png: Path) -> None:
    """Every pair of series colours differs in lightness, known cases excepted (strictly)."""
    lightness = [cspace_convert(c, "sRGB1", "CAM02-UCS")[0] for c in series_colours(png)]
    closest = min((abs(a - b) for a, b in itertools.combinations(lightness, 2)), default=99.0)
    if png.stem in GREYSCALE_KNOWN:
        assert closest < DELTA_J_MIN, f"{png.name} is fixed: remove it from GREYSCALE_KNOWN"
        return
    assert closest >= DELTA_J_MIN, f"{png.name}: series lightness differs by {closest:.1f}"
