"""Takano et al. 2006 (Psychopharmacology 185:395): duloxetine's SERT occupancy by [11C]DASB PET
in healthy volunteers, 6–53 h after one 60 mg dose and 6–78 h after the last of repeated 60 mg
doses; and the claim experiment built on it (``painsim.experiments.takano2006_duloxetine_sert``).

Held out: the duloxetine file uses only the plasma EC50 (3.7 ng/mL) of this paper. Occupancy
within ±10 percentage points (``PP``), typical patient, drug-file PK.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.occupancy import occupancy, occupancy_params
from painsim.pk import concentrations
from painsim.regimen import Regimen

from ._shared import PP, finding

pytestmark = pytest.mark.validation

# Known disagreements are kept as strict xfails: the test still asserts the published value, is
# reported as a finding (docs and validation report), and fails loudly if the model changes so
# that it starts to agree.
WASHOUT = pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: after repeated dosing SERT occupancy by duloxetine outlasts its plasma level; with the "
    "label's t1/2 ~12 h and the PET EC50, predicted occupancy falls too fast after the last dose "
    "(an effect-site delay would be needed and has no sourced value). The single-dose 53-h point "
    "fits since the drug file takes the label's exposure and absorption lag"))


def _occ_after(drug_name: str, regimen: Regimen, t_after_last: float, target: str) -> float:
    drug = load_drug(drug_name)
    times, _ = regimen.expand()
    t = float(times[-1]) + t_after_last
    c = concentrations(drug, regimen, np.array([t]))
    p = occupancy_params(drug, target)
    return float(occupancy(np.ascontiguousarray(c), p.emax, p.ec50, p.hill)[0])


# Takano et al. 2006 (Psychopharmacology 185:395), [11C]DASB: held out (the file uses only the
# plasma EC50 3.7 ng/mL). Repeated dosing: the abstract does not give the number of days; with
# t1/2 ~12 h duloxetine is at steady state after 4 days, so 14 daily doses stand for "repeated".
@pytest.mark.parametrize(("hours", "observed"), [(6.0, 0.818), (25.0, 0.719), (53.0, 0.449)])
def test_takano2006_duloxetine_sert_single_60mg(hours, observed):
    occ = _occ_after("duloxetine", Regimen(dose=60.0, n_doses=1), hours, "sert")
    assert occ == pytest.approx(observed, abs=PP)


@pytest.mark.parametrize(("hours", "observed"), [(6.0, 0.843), pytest.param(49.0, 0.719, marks=WASHOUT),
                                                  pytest.param(78.0, 0.471, marks=WASHOUT)])
def test_takano2006_duloxetine_sert_repeated_60mg(hours, observed):
    occ = _occ_after("duloxetine", Regimen(dose=60.0, n_doses=14), hours, "sert")
    assert occ == pytest.approx(observed, abs=PP)


def test_takano2006_occupancy_while_dosing_and_synaptic_rise():
    f = finding("takano2006_duloxetine_sert")
    # the points while dosing (6 h, 25 h) within ±10 pp of PET; transmitters accumulate
    assert abs(f.values["sert_single_6h"] - 0.818) <= 0.10
    assert abs(f.values["sert_repeated_6h"] - 0.843) <= 0.10
    assert abs(f.values["sert_single_25h"] - 0.719) <= 0.10
    assert f.values["ratio_5ht_week2"] > 1.2 and f.values["ratio_ne_week2"] > 1.0
    assert f.supported
