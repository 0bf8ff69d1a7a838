"""Meyer et al. 2001 (Am J Psychiatry 158:1843; abstract read): striatal SERT occupancy by
[11C]DASB PET after 4 weeks of paroxetine 20 mg/day, 83 % (n = 7, the anchor of paroxetine's
SERT EC50), and "a plateau of occupancy around 85 % ... for serum paroxetine levels greater than
28 ug/liter".

Issue 10, item 5: the plateau is held out. The model's occupancy (hyperbola, Emax 1, EC50 solved
against the adult PK) at 28 ng/mL and at the highest steady-state mean of the dose range
(50 mg/day) must lie within 85 % ± PP. Before the adult PK (EC50 10.4 ng/mL) 28 ng/mL gave 72.8 %.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.occupancy import occupancy, occupancy_params
from painsim.steady_state import steady_state

from ._shared import PP

pytestmark = pytest.mark.validation


def _occ(c: float) -> float:
    p = occupancy_params(load_drug("paroxetine"), "sert")
    return float(occupancy(np.ascontiguousarray([[c]]), p.emax, p.ec50, p.hill)[0])


def test_meyer2001_plateau_from_28_ng_ml():
    assert _occ(28.0) == pytest.approx(0.85, abs=PP)  # model 86.6 %


def test_meyer2001_plateau_at_50_mg_per_day():
    cavg = steady_state(load_drug("paroxetine"), 50.0)[0].cavg  # 65.9 ng/mL
    assert _occ(cavg) == pytest.approx(0.85, abs=PP)  # model 93.8 %
