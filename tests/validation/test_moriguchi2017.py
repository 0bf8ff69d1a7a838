"""Moriguchi et al. 2017 (Int J Neuropsychopharmacol 20:957): duloxetine's NET occupancy by
(S,S)-[18F]FMeNER-D2 PET (thalamus) in 8 healthy men, about 6 h after a single 20, 40 or 60 mg
dose: 29.7 %, 30.5 % and 40.0 %; plasma EC50 58.0 ng/mL (Emax and Hill fixed at 1).

Held out: the duloxetine file derives its NET EC50 from Ki and fu with the in-vivo/in-vitro rule
(``painsim fit-occupancy``), not from this study. The values were read in verbatim quotations of
the paper's abstract and results (its full text was not accessible; see models/references.bib).
Occupancy within ±10 percentage points (``PP``), typical patient, drug-file PK.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.occupancy import load_occupancy_fit, occupancy, occupancy_params
from painsim.pk import concentrations
from painsim.regimen import Regimen

from ._shared import PP

pytestmark = pytest.mark.validation

PET_EC50 = 58.0  # ng/mL


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: duloxetine's NET occupancy is underestimated 3-6 fold. The Ki-derived NET EC50 "
    "(130 ng/mL) is 2.2x the PET value (58 ng/mL), and the drug file's PK (CL/F 114 L/h from 8 "
    "healthy men) gives lower concentrations than the PET subjects had: predicted 5.3 / 10.1 / 14.4 % "
    "at 6 h after 20 / 40 / 60 mg against 29.7 / 30.5 / 40.0 %"))
@pytest.mark.parametrize(("dose", "observed"), [(20.0, 0.297), (40.0, 0.305), (60.0, 0.400)])
def test_moriguchi2017_duloxetine_net_after_a_single_dose(dose, observed):
    drug = load_drug("duloxetine")
    c = concentrations(drug, Regimen(dose=dose, n_doses=1), np.array([6.0]))
    p = occupancy_params(drug, "net")
    assert float(occupancy(np.ascontiguousarray(c), p.emax, p.ec50, p.hill)[0]) == pytest.approx(observed, abs=PP)


def test_moriguchi2017_derived_ec50_lies_within_the_rules_spread():
    """The derived EC50 is 2.2x the measured one, but within the 95 % band of the in-vivo/in-vitro
    rule it comes from (log10 SD of the rule's residuals, written by painsim fit-occupancy)."""
    sd = load_occupancy_fit()["scaling"]["log10_sd"]
    derived = float(occupancy_params(load_drug("duloxetine"), "net").ec50[0])
    assert abs(math.log10(derived / PET_EC50)) <= 1.96 * sd
