"""Matthaei et al. 2021 (Front Pharmacol 12:688950), table 3: 25 mg amitriptyline single dose in
healthy volunteers by CYP2D6 activity score (AS). Nortriptyline AUC0-48h 144.6 (AS 0, n = 3),
81.8 (AS 2, n = 11) and 71.1 h·µg/L (AS 3, n = 2); amitriptyline AUC0-48h 236.2, 162.2, 130.0.
Both trends are significant (Jonckheere-Terpstra p = 0.001 and 0.037).

The nortriptyline clearance multipliers come from the same table's half-lives, so this checks
their consequence on exposure (with the formation step), not an independent measurement. The
table gives means only (no SD), so only the published order is asserted: PM > NM > UM for
nortriptyline, and nortriptyline rising more than amitriptyline in PMs (1.77 vs 1.46).
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.pk import concentrations
from painsim.regimen import Regimen

from ._phenotype import NM, PM, UM, phenotype_theta

pytestmark = pytest.mark.validation


def _auc48(code: int) -> np.ndarray:
    ami = load_drug("amitriptyline")
    t = np.linspace(0.0, 48.0, 4801)
    c = concentrations(ami, Regimen.daily(25.0, days=1), t, th=phenotype_theta(ami, code))
    return np.trapezoid(c, t, axis=0)  # amitriptyline, nortriptyline


def test_matthaei2021_nortriptyline_exposure_order_by_cyp2d6_phenotype():
    pm, nm, um = _auc48(PM), _auc48(NM), _auc48(UM)
    assert pm[1] > nm[1] > um[1]  # model 1.44 : 1 : 0.85 (observed 1.77 : 1 : 0.87)
    assert pm[1] / nm[1] > pm[0] / nm[0] > 1.0  # NT rises more than AT (model 1.44 vs 1.26)
