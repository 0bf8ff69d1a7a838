"""Arakawa et al. 2016 (Psychiatry Res Neuroimaging 251:1; abstract read): SERT occupancy by
[11C]DASB PET 4, 24 and 48 h after a single dose in healthy volunteers, n = 4 per group:
escitalopram 10 and 20 mg and sertraline 50 mg "69.1-77.9 % at 4 h, remaining at 52.8-57.8 %
after 48 h" (a range over the three groups, no per-group values); paroxetine 20 mg 44.6 % at 4 h
and 10.3 % at 48 h. The abstract gives no EC50 (an EC80 of 16.0 ng/mL quoted by a review was not
read and is not used).

Issue 10, item 5: escitalopram's EC50 (2.58 ng/mL, anchored by ``painsim fit-occupancy`` to
Klein 2007's 81.5 % after 10 days of 10 mg/day) and the SSRI anchors against single doses, which
none of them was fitted to. Each group must lie within the published range widened by PP
(±10 pp, tests/validation/_shared.py). The typical patient of the drug file's PK.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.occupancy import occupancy, occupancy_params
from painsim.pk import concentrations
from painsim.regimen import Regimen

from ._shared import PP

pytestmark = pytest.mark.validation

RANGE = {4.0: (0.691, 0.779), 48.0: (0.528, 0.578)}  # escitalopram 10/20 mg and sertraline 50 mg
PAROXETINE = {4.0: 0.446, 48.0: 0.103}


def _sert(name: str, mg: float, t: float) -> float:
    drug = load_drug(name)
    c = concentrations(drug, Regimen(dose=mg, n_doses=1), np.array([t]))
    p = occupancy_params(drug, "sert")
    return float(occupancy(np.ascontiguousarray(c), p.emax, p.ec50, p.hill)[0])


@pytest.mark.parametrize(("name", "mg", "t"), [
    ("escitalopram", 10.0, 4.0),   # model 70.8 %
    ("escitalopram", 10.0, 48.0),  # model 45.5 % (7 pp below the range)
    ("escitalopram", 20.0, 4.0),   # model 82.9 % (5 pp above)
    ("escitalopram", 20.0, 48.0),  # model 62.6 % (5 pp above)
    ("sertraline", 50.0, 4.0),     # model 69.0 %
    pytest.param("sertraline", 50.0, 48.0, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "finding: sertraline 50 mg at 48 h 42.78 % vs 52.8-57.8 %, 10.02 pp below the range (the "
        "band's edge is 42.8 %): the Goodman & Gilman t1/2 23 h with the Meyer 2004 steady-state "
        "anchor gives a slightly fast decline after a single dose"))),
])
def test_arakawa2016_single_dose(name, mg, t):
    lo, hi = RANGE[t]
    assert lo - PP <= _sert(name, mg, t) <= hi + PP


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: paroxetine 20 mg single dose 79.7 % at 4 h and 41.5 % at 48 h vs 44.6 % and 10.3 %. "
    "The SERT EC50 (4.33 ng/mL) is anchored at steady state (Meyer 2001) and the Michaelis-Menten "
    "PK is anchored at steady state (Sindrup 1992): the first dose is over-predicted in EMs "
    "(single-dose AUC x4.2, test_sindrup1992), the saturable first pass of paroxetine is not "
    "modelled. Before the adult re-anchoring (elderly Vmax, EC50 10.4 ng/mL): 63.4 % and 43.8 %"))
@pytest.mark.parametrize("t", [4.0, 48.0])
def test_arakawa2016_paroxetine_single_dose(t):
    assert _sert("paroxetine", 20.0, t) == pytest.approx(PAROXETINE[t], abs=PP)
