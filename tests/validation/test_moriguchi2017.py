"""Moriguchi et al. 2017 (Int J Neuropsychopharmacol 20:957): duloxetine's NET occupancy by
(S,S)-[18F]FMeNER-D2 PET (thalamus) in 8 healthy men, about 6 h after a single 20, 40 or 60 mg
dose: 29.7 %, 30.5 % and 40.0 %; plasma EC50 58.0 ng/mL (Emax and Hill fixed at 1).

The drug file's NET EC50 is this study's (method ``pet``), so the occupancy points are not held
out: they check that the EC50 and the drug file's exposure (the label's V/F and half-life, the
2-h absorption lag) reproduce what the PET subjects had. The values were read in verbatim
quotations of the paper's abstract and results (its full text was not accessible; see
models/references.bib). Occupancy within ±10 percentage points (``PP``), typical patient.
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

PET_EC50 = 58.0  # ng/mL


def _net_6h(dose: float) -> float:
    drug = load_drug("duloxetine")
    c = concentrations(drug, Regimen(dose=dose, n_doses=1), np.array([6.0]))
    p = occupancy_params(drug, "net")
    return float(occupancy(np.ascontiguousarray(c), p.emax, p.ec50, p.hill)[0])


def test_the_drug_file_uses_the_pet_ec50():
    p = occupancy_params(load_drug("duloxetine"), "net")
    assert p.method[0] == "pet"
    assert float(p.ec50[0]) == pytest.approx(PET_EC50)


@pytest.mark.parametrize(("dose", "observed"), [(40.0, 0.305), (60.0, 0.400)])
def test_moriguchi2017_duloxetine_net_after_a_single_dose(dose, observed):
    assert _net_6h(dose) == pytest.approx(observed, abs=PP)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: at 20 mg the PET group (3 men) had 29.7 % NET occupancy, as much as at 40 mg (30.5 %); "
    "with the paper's own EC50 that needs ~24 ng/mL 6 h after 20 mg, 2.5x the drug file's 9.7 ng/mL, "
    "so the model predicts 14.3 %. A linear PK model cannot give the flat 20-40 mg dose-occupancy"))
def test_moriguchi2017_duloxetine_net_after_20_mg():
    assert _net_6h(20.0) == pytest.approx(0.297, abs=PP)


def test_steady_state_net_occupancy_at_60_mg_is_in_the_pet_range():
    """Issue 10's criterion: the steady-state mean NET occupancy at 60 mg/day is 30-50 %
    (`painsim occupancy --drug duloxetine --dose 60`)."""
    drug = load_drug("duloxetine")
    t = np.linspace(24.0 * 13, 24.0 * 14, 97)
    c = concentrations(drug, Regimen(dose=60.0, n_doses=14), t)
    p = occupancy_params(drug, "net")
    mean = float(occupancy(np.ascontiguousarray(c), p.emax, p.ec50, p.hill).mean())
    assert 0.30 <= mean <= 0.50
