"""Sekine et al. 2010 (Psychopharmacology 210:331): nortriptyline's NET occupancy by
(S,S)-[18F]FMeNER-D2 PET in healthy men after a single oral dose, at the measured plasma levels.

Held out: the nortriptyline file uses the steady-state EC50 of Takano 2014. Occupancy within
±10 percentage points (``PP``) plus 0.5 pp.
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
@pytest.mark.parametrize(("conc", "observed"), [(23.7, 0.332), (50.5, 0.411)])
def test_sekine2010_nortriptyline_net_at_plasma_level(conc, observed):
    drug = load_drug("nortriptyline")
    p = occupancy_params(drug, "net")
    c = np.zeros((1, len(drug.moieties)))
    c[0, 0] = conc
    assert float(occupancy(c, p.emax, p.ec50, p.hill)[0]) == pytest.approx(observed, abs=PP + 0.005)
