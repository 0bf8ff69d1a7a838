"""Takano et al. 2014 (Int J Neuropsychopharmacol 17:553): nortriptyline's NET occupancy by
(S,S)-[18F]FMeNER-D2 PET in patients with depression at steady state, 75–200 mg/day: ~50–70 %.

The nortriptyline file takes its NET EC50 (79.8 ng/mL) from this paper. The test asserts the
published band, 50–70 %, for the typical patient with drug-file PK. A known disagreement is a
strict xfail that still asserts the published band.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.occupancy import steady_state_occupancy

pytestmark = pytest.mark.validation


# Takano et al. 2014 (Int J Neuropsychopharmacol 17:553): nortriptyline 75–200 mg/day at steady
# state in patients gave ~50–70 % NET occupancy (its EC50 79.8 ng/mL is the file's value).
@pytest.mark.parametrize("dose", [
    pytest.param(75.0, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "finding: label PK (systemic CL 30.6 L/h, F 0.51) gives 52 ng/mL at 75 mg/day, below "
        "the levels of Takano's patients; predicted 39.4 % NET occupancy, 10.6 pp under the "
        "published 50-70 % band"))),
    150.0])
def test_takano2014_nortriptyline_net(dose):
    occ = steady_state_occupancy(load_drug("nortriptyline"), dose)["net"].mean
    assert 0.50 <= occ <= 0.70
