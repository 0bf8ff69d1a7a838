"""Steady-state PK of the typical patient against label / textbook values (within 25 %).

The drug files are built from independent PK parameters (CL/F, V/F, ka or Tmax, t1/2); the
values below are the labels' own summary exposures, which the files do not use. 25 %: label
means come from small healthy-volunteer groups with 30–60 % CV, and our ka is often derived
from Tmax.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.pk import concentrations
from painsim.regimen import Regimen
from painsim.steady_state import steady_state

pytestmark = pytest.mark.validation
TOL = 0.25


def _ss(name, dose, interval=None):
    return {s.name: s for s in steady_state(load_drug(name), dose, interval=interval)}


def test_desvenlafaxine_100mg_label():
    # Pristiq label (as in shared reference): 100 mg/day steady state Cmax 376 ng/mL, AUC 6747 ng.h/mL
    s = _ss("desvenlafaxine", 100.0)["desvenlafaxine"]
    assert s.cmax == pytest.approx(376.0, rel=TOL)
    assert s.auc_tau == pytest.approx(6747.0, rel=TOL)


def test_levomilnacipran_120mg_label():
    # Fetzima label: 120 mg/day steady state Cmax 341 ng/mL, AUC 5196 ng.h/mL
    s = _ss("levomilnacipran", 120.0)["levomilnacipran"]
    assert s.cmax == pytest.approx(341.0, rel=TOL)
    assert s.auc_tau == pytest.approx(5196.0, rel=TOL)


@pytest.mark.xfail(strict=True, reason=(
    "finding: ODV disposition from Taft 1997 (V 181 L, CL 23.5 L/h) gives t1/2 5.3 h against "
    "the observed 10.3 h, so the ODV peak is 283 vs 397 ng/mL (-29 %); VEN itself is within 25 %"))
def test_venlafaxine_75mg_tid_goodman_gilman():
    # Goodman & Gilman 12th ed. App. II: 75 mg every 8 h, steady-state Cmax VEN 167, ODV 397 ng/mL
    ss = _ss("venlafaxine", 225.0, interval=8.0)
    assert ss["venlafaxine"].cmax == pytest.approx(167.0, rel=TOL)
    odv = next(v for k, v in ss.items() if k != "venlafaxine")
    assert odv.cmax == pytest.approx(397.0, rel=TOL)


def test_fluoxetine_40mg_30_days_label():
    # Prozac label: after 40 mg/day for 30 days, fluoxetine 91–302 and norfluoxetine 72–258 ng/mL
    drug = load_drug("fluoxetine")
    t = np.linspace(29 * 24.0, 30 * 24.0, 49)
    c = concentrations(drug, Regimen.daily(40.0, days=30), t).mean(axis=0)
    for j, (lo, hi) in enumerate([(91.0, 302.0), (72.0, 258.0)]):
        assert (1 - TOL) * lo <= c[j] <= (1 + TOL) * hi, drug.moieties[j].name
