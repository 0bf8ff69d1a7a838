"""Takano et al. 2014 (Int J Neuropsychopharmacol 17:553): nortriptyline's NET occupancy in 10
patients at steady state on 75-200 mg/day, fitted both against dose (ED50 65.9 mg/day) and
against plasma level (EC50 79.8 ng/mL).

Issue 10, item 6: nortriptyline levels against these patients. Both fits are hyperbolic in one
set of patients, so with levels proportional to dose the patients had 79.8 ng/mL at 65.9 mg/day
(1.21 ng/mL per mg/day). The model's population mean (CYP2D6 phenotypes drawn with their
frequencies and the nortriptyline multipliers) at 65.9 mg/day is compared within the
steady-state PK tolerance of the validation suite (25 %).
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import draw_population
from painsim.steady_state import steady_state

from ._shared import TOL

pytestmark = pytest.mark.validation


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: label PK (systemic CL 30.6 L/h, F 0.51) gives the typical patient 45.8 ng/mL at "
    "65.9 mg/day and the population (CYP2D6 phenotypes included) a mean of 55.6, against the "
    "79.8 ng/mL implied by Takano's ED50 and EC50 (-30 %)"))
def test_takano2014_nortriptyline_level_at_the_ed50():
    nt = load_drug("nortriptyline")
    pop = draw_population(nt, load_physiology(), 2000, seed=21, stream=1)
    mean = np.mean([steady_state(nt, 65.9, th=th, n_grid=200)[0].cavg for th in pop.theta])
    assert mean == pytest.approx(79.8, rel=TOL)
