"""Sekine et al. 2010 (Psychopharmacology 210:331): nortriptyline's NET occupancy by
(S,S)-[18F]FMeNER-D2 PET in healthy men after a single oral dose, at the measured plasma levels.

Held out: the nortriptyline file uses the steady-state EC50 of Takano 2014. Occupancy within
±10 percentage points (``PP``, the project's PET tolerance); a point outside it is a strict xfail
that still asserts the published value.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.occupancy import occupancy, occupancy_params

from ._shared import PP

pytestmark = pytest.mark.validation


# Sekine et al. 2010 (Psychopharmacology 210:331): single-dose NET occupancy at measured plasma
# levels, held out (the file uses the steady-state EC50 of Takano 2014).
@pytest.mark.parametrize(("conc", "observed"), [
    pytest.param(23.7, 0.332, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "finding: at 23.7 ng/mL the steady-state EC50 (79.8 ng/mL, hill 1) predicts 22.9 % NET "
        "occupancy vs Sekine's 33.2 %: 10.3 pp under, outside the ±10 pp PET tolerance "
        "(the single-dose occupancy is higher than the steady-state EC50 implies)"))),
    (50.5, 0.411)])
def test_sekine2010_nortriptyline_net_at_plasma_level(conc, observed):
    drug = load_drug("nortriptyline")
    p = occupancy_params(drug, "net")
    c = np.zeros((1, len(drug.moieties)))
    c[0, 0] = conc
    assert float(occupancy(c, p.emax, p.ec50, p.hill)[0]) == pytest.approx(observed, abs=PP)
