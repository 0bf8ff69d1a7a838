"""Nogami et al. 2013 (Int J Neuropsychopharmacol 16:937): milnacipran's SERT ([11C]DASB) and
NET ((S,S)-[18F]FMeNER-D2) occupancy by PET in patients with major depression at steady state,
50–200 mg/day.

Fitted, not held out: these points are the milnacipran file's anchors. Occupancy within ±10
percentage points (``PP``), typical patient, drug-file PK. A known disagreement is a strict
xfail that still asserts the published value.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.occupancy import steady_state_occupancy

from ._shared import PP

pytestmark = pytest.mark.validation


# Nogami et al. 2013 (Int J Neuropsychopharmacol 16:937): milnacipran SERT ([11C]DASB) and NET
# ([18F]FMeNER-D2) in patients at steady state. These points are the milnacipran file's anchors
# (fitted): the test checks that one EC50 per target, through the PK model, reproduces all four.
@pytest.mark.parametrize(("target", "dose", "observed"), [
    ("sert", 50.0, 0.330), ("sert", 100.0, 0.386), ("sert", 150.0, 0.600), ("sert", 200.0, 0.615),
    pytest.param("net", 25.0, 0.253, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "finding: NET occupancy flattens near 50 % between 125 and 200 mg; one hyperbolic EC50 "
        "with Emax 1 cannot follow both ends (25 mg predicted ~15 %)"))),
    ("net", 100.0, 0.400), ("net", 125.0, 0.473), ("net", 200.0, 0.499),
])
def test_nogami2013_milnacipran_dose_occupancy(target, dose, observed):
    occ = steady_state_occupancy(load_drug("milnacipran"), dose)[target].mean
    assert occ == pytest.approx(observed, abs=PP)
